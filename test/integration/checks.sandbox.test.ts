import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../src/monitor/checks.js';
import { validateCredentials } from '../../src/monitor/credentials.js';
import { ExchangeClient } from '../../src/exchange/client.js';
import { checkClient } from '../../src/monitor/check-client.js';
import { UnsafeRequestError } from '../../src/exchange/probe-guard.js';
import { startSandbox, type Behaviour, type Sandbox } from '../../src/sandbox/exchange.js';
import type { Diagnosis } from '../../src/monitor/types.js';

let sandbox: Sandbox;
let client: ExchangeClient;

beforeAll(async () => {
  sandbox = await startSandbox({ slowMs: 5_000 });
});
afterAll(async () => {
  await sandbox.close();
});

/** One real check over loopback HTTP; the behaviour is chosen by the key and the base URL path. */
async function check(
  behaviour: Behaviour,
  over: {
    expectTrade?: boolean;
    expectedIps?: string[];
    timeoutMs?: number;
    raw?: object;
    baseUrl?: string;
    expectWithdraw?: boolean;
    expectMaster?: boolean;
    expectDerivatives?: boolean;
  } = {},
) {
  client = checkClient({ baseUrl: over.baseUrl ?? sandbox.baseUrl(behaviour), timeoutMs: over.timeoutMs ?? 2_000 });
  try {
    return await runChecks({
      credentials: validateCredentials(over.raw ?? sandbox.credentials(behaviour)),
      expectTrade: over.expectTrade ?? true,
      expectWithdraw: over.expectWithdraw,
      expectMaster: over.expectMaster,
      expectDerivatives: over.expectDerivatives,
      expectedIps: over.expectedIps ?? ['203.0.113.7'],
      ipEchoUrl: sandbox.ipEchoUrl,
      exchange: client,
      site: 'aws',
    });
  } finally {
    await client.close();
  }
}

const methodsCalled = (from: number) => sandbox.requests.slice(from).map((r) => r.method);

describe('every diagnosis over real HTTP against the sandbox', () => {
  const cases: [string, Behaviour, Parameters<typeof check>[1], Diagnosis][] = [
    ['healthy trading key', 'healthy', {}, 'OK'],
    ['healthy read-only key', 'read-only', { expectTrade: false }, 'OK'],
    ['no credentials', 'healthy', { raw: {} }, 'CREDENTIALS_MISSING'],
    ['quoted secret', 'healthy', { raw: { apiKey: 'sbxAAAAAAAAAAAA', apiSecret: '"quoted-secret"' } }, 'CREDENTIALS_MALFORMED'],
    ['wrong secret', 'bad-secret', {}, 'AUTH_FAILED'],
    ['unknown key', 'healthy', { raw: { apiKey: 'sbxUNKNOWNKEY000', apiSecret: 'whatever-secret-1' } }, 'AUTH_FAILED'],
    ['IP not whitelisted', 'ip-not-whitelisted', {}, 'IP_NOT_WHITELISTED'],
    ['no Trade permission', 'read-only', {}, 'TRADE_PERMISSION_MISSING'],
    ['Trade on a read-only key', 'healthy', { expectTrade: false }, 'TRADE_PERMISSION_UNEXPECTED'],
    ['clock skew', 'clock-skew', {}, 'NONCE_REJECTED'],
    ['egress IP changed', 'healthy', { expectedIps: ['198.51.100.23'] }, 'EGRESS_IP_MISMATCH'],
    ['429', 'rate-limited', {}, 'RATE_LIMITED'],
    ['502 HTML page', 'unavailable', {}, 'EXCHANGE_UNAVAILABLE'],
    ['timeout', 'slow', { timeoutMs: 200 }, 'EXCHANGE_UNAVAILABLE'],
    ['a code with no rule (10001)', 'unexpected', {}, 'UNEXPECTED_RESPONSE'],
    ['an HTML 401 page on the probes, read-only key (proves nothing: not OK)', 'html-probe-refusals', { expectTrade: false }, 'UNEXPECTED_RESPONSE'],
    ['an HTML 401 page on the probes, trading key (not "no Trade")', 'html-probe-refusals', {}, 'UNEXPECTED_RESPONSE'],
    ['a key that can withdraw', 'withdraw-enabled', {}, 'WITHDRAW_PERMISSION_UNEXPECTED'],
    ['a key that can withdraw, declared so', 'withdraw-enabled', { expectWithdraw: true }, 'OK'],
    ['a sub-account key (no expectation)', 'sub-account', {}, 'OK'],
    ['a sub-account key where a master key is expected', 'sub-account', { expectMaster: true }, 'SUB_ACCOUNT_KEY'],
    ['a suspended account', 'account-suspended', {}, 'ACCOUNT_SUSPENDED'],
    ['an account that may not trade', 'not-tradable', {}, 'ACCOUNT_NOT_TRADABLE'],
    ['a read-only key on an account that may not trade', 'not-tradable', { expectTrade: false }, 'TRADE_PERMISSION_UNEXPECTED'],
    ['API access disabled (140001)', 'api-disabled', {}, 'API_DISABLED'],
    ['no derivatives access, needed', 'no-derivatives', { expectDerivatives: true }, 'DERIVATIVES_ACCESS_MISSING'],
    ['no derivatives access, not needed', 'no-derivatives', {}, 'OK'],
    ['a redirect that claims success', 'redirect', {}, 'UNEXPECTED_RESPONSE'],
    ['a 403 that claims success (code 0)', 'code-zero-error', {}, 'UNEXPECTED_RESPONSE'],
    ['null entries in the balance list', 'null-balances', {}, 'UNEXPECTED_RESPONSE'],
  ];
  it.each(cases)('%s → %s', async (_label, behaviour, over, expected) => {
    const report = await check(behaviour, over);
    expect(report.diagnosis).toBe(expected);
    expect(report.healthy).toBe(expected === 'OK');
    expect(report.checks.map((c) => c.name)).toEqual([
      'credentials',
      'egress-ip',
      'public-api',
      'signed-read',
      'account',
      'trade-permission',
      'withdraw-permission',
    ]);
  });
});

describe('check details', () => {
  it('reports the portfolio the signed read saw and the measured clock skew', async () => {
    const report = await check('healthy');
    const read = report.checks.find((c) => c.name === 'signed-read');
    expect(read?.balances).toEqual({
      count: 18,
      valued: 17,
      totalMarketValue: 18588.54,
      inUse: { sig: '', orders: false, positions: false },
      summary: expect.objectContaining({ count: 18, total: 18588.54, rest: 1289.2 }),
    });
    expect(read?.balances?.summary?.assets.slice(0, 2)).toEqual([
      { asset: 'CRO', quantity: 24422.72427884, price: 4776.11 / 24422.72427884 },
      { asset: 'BTC', quantity: 0.0412, price: 4013.72 / 0.0412 },
    ]);
    expect(read?.detail).toContain('18 balances, 17 with a market value, total 18,588.54 USD');
    const pub = report.checks.find((c) => c.name === 'public-api');
    expect(Math.abs(pub?.clockSkewMs ?? Infinity)).toBeLessThan(2_000);
    expect(report.egressIp).toBe('203.0.113.7');
  });

  it('measures the skew that makes the exchange reject nonces', async () => {
    const report = await check('clock-skew');
    const pub = report.checks.find((c) => c.name === 'public-api');
    expect(pub?.status).toBe('warn');
    expect(pub?.clockSkewMs).toBeGreaterThan(100_000);
    expect(report.advice).toMatch(/clock skew measured against the exchange: \+1[12]\d\.\d s/);
  });

  it('names the egress IP in the 40103 fix', async () => {
    const report = await check('ip-not-whitelisted');
    expect(report.advice).toContain('Add 203.0.113.7 to the key’s IP whitelist');
  });

  it('a minted bad-secret key comes with a wrong secret too, as from credentials()', async () => {
    expect((await check('bad-secret', { raw: sandbox.mint('bad-secret') })).diagnosis).toBe('AUTH_FAILED');
    expect((await check('healthy', { raw: sandbox.mint('healthy') })).diagnosis).toBe('OK');
  });

  it('does not call a 40101 probe "no Trade" when the read failed too', async () => {
    const report = await check('bad-secret');
    expect(report.checks.find((c) => c.name === 'trade-permission')?.status).toBe('skip');
  });
});

describe('the client’s manners', () => {
  it('never retries an authentication failure', async () => {
    const from = sandbox.requests.length;
    await check('bad-secret');
    expect(methodsCalled(from).filter((m) => m === 'private/user-balance')).toHaveLength(1);
  });

  it('retries 429 with a fresh id, nonce and signature each attempt', async () => {
    const from = sandbox.requests.length;
    await check('rate-limited');
    const attempts = sandbox.requests.slice(from).filter((r) => r.method === 'private/user-balance');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.nonce)).size).toBe(3);
    expect(new Set(attempts.map((a) => a.id)).size).toBe(3);
    expect(new Set(attempts.map((a) => a.sig)).size).toBe(3);
    const nonces = attempts.map((a) => a.nonce as number);
    expect([...nonces].sort((a, b) => a - b)).toEqual(nonces);
  });

  it('keeps to its time budget when the exchange hangs', async () => {
    const started = Date.now();
    const report = await check('slow', { timeoutMs: 200 });
    expect(report.checks.find((c) => c.name === 'signed-read')?.detail).toContain('no answer in time');
    // A 600 ms budget (3 × 200 ms); the sandbox would only have answered after 5 s.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses to send anything that could trade or withdraw, before it reaches the exchange', async () => {
    const from = sandbox.requests.length;
    const c = checkClient({ baseUrl: sandbox.baseUrl(), timeoutMs: 1_000 });
    const creds = sandbox.credentials('healthy');
    expect(() => c.privatePost('private/create-order', { instrument_name: 'BTC_USD', side: 'BUY', type: 'LIMIT', price: '1', quantity: '1' }, creds)).toThrow(
      UnsafeRequestError,
    );
    expect(() => c.privatePost('private/cancel-order', { order_id: '18342311' }, creds)).toThrow(UnsafeRequestError);
    expect(() => c.privatePost('private/cancel-all-orders', {}, creds)).toThrow(UnsafeRequestError);
    expect(() => c.privatePost('private/create-withdrawal', { currency: 'BTC', amount: '1', address: 'x' }, creds)).toThrow(UnsafeRequestError);
    expect(() => c.privatePost('private/get-deposit-address', { currency: 'BTC', network: 'BTC' }, creds)).toThrow(UnsafeRequestError);
    expect(() => c.privatePost('private/get-deposit-address', { currency: 'btc; drop' }, creds)).toThrow(UnsafeRequestError);
    await c.close();
    expect(sandbox.requests.length).toBe(from);
  });

  it('only ever sends reads, the probe cancel with a random client_oid, and the deposit-address read', async () => {
    const from = sandbox.requests.length;
    await check('healthy');
    await check('read-only');
    const sent = sandbox.requests.slice(from).filter((r) => r.method.startsWith('private/'));
    expect(new Set(sent.map((r) => r.method))).toEqual(
      new Set(['private/user-balance', 'private/get-accounts', 'private/cancel-order', 'private/get-deposit-address']),
    );
    for (const r of sent.filter((s) => s.method === 'private/get-deposit-address')) expect(r.params).toEqual({ currency: 'BTC' });
    for (const r of sent.filter((s) => s.method === 'private/cancel-order')) {
      expect(Object.keys(r.params as object)).toEqual(['client_oid']);
      expect((r.params as { client_oid: string }).client_oid).toMatch(/^hc-[0-9a-f]{32}$/);
    }
  });
});

describe('replies that are not answers are never OK', () => {
  it('a base URL with a wrong path (404 HTML) is a setup fault, not an outage', async () => {
    const report = await check('healthy', { baseUrl: `${sandbox.origin}/wrong/path/v1` });
    expect(report.diagnosis).toBe('EXCHANGE_URL_INVALID');
    expect(report.advice).not.toContain('status.crypto.com');
    expect(report.advice).toContain('https://api.crypto.com/exchange/v1');
  });

  it('null entries in the balance list are a diagnosis, not a crash', async () => {
    const report = await check('null-balances');
    expect(report.checks.find((c) => c.name === 'signed-read')?.detail).toContain('not a balance object');
  });

  it('shows the real time of a check: all its attempts, and how many', async () => {
    const report = await check('rate-limited');
    const read = report.checks.find((c) => c.name === 'signed-read');
    expect(read?.attempts).toBeGreaterThan(1);
    expect(read?.elapsedMs).toBeGreaterThanOrEqual(read?.latencyMs ?? 0);
  });
});

describe('nothing sensitive leaves, whatever the exchange sends back', () => {
  it('an exchange that echoes the signed request (JSON and HTML) leaks neither the key beyond 4 characters nor a signature', async () => {
    const from = sandbox.requests.length;
    const report = await check('echo');
    const text = JSON.stringify(report);
    const { apiKey, apiSecret } = sandbox.credentials('echo');
    const sigs = sandbox.requests
      .slice(from)
      .map((r) => r.sig)
      .filter((x): x is string => typeof x === 'string');
    expect(sigs.length).toBeGreaterThan(0);
    for (const sig of sigs) expect(text).not.toContain(sig);
    expect(text).not.toContain(apiKey.slice(0, 5));
    expect(text).not.toContain(apiSecret.slice(0, 5));
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  it('escape codes and forged lines from the exchange arrive as one inert line', async () => {
    const report = await check('escape-codes');
    for (const c of report.checks) {
      expect(c.detail).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    expect(report.advice).not.toMatch(/[\u0000-\u001f]/);
  });
});
