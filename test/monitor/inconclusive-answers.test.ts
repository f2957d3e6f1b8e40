import { describe, expect, it } from 'vitest';
import type { TimedReply } from '../../src/exchange/client.js';
import { parseReply, type ExchangeReply } from '../../src/exchange/reply.js';
import { runChecks } from '../../src/monitor/checks.js';
import { validateCredentials } from '../../src/monitor/credentials.js';
import { DIAGNOSIS_TABLE } from '../../src/monitor/diagnosis-table.js';
import { keyRun } from '../../src/monitor/incident-run.js';
import { decideRun, type IncidentPolicy } from '../../src/monitor/incident-rules.js';
import { NEW_KEY_STATE, NEW_MONITOR_STATE, type KeyRun, type KeyState } from '../../src/monitor/incident-state.js';
import type { ExchangePort } from '../../src/monitor/ports.js';
import type { CheckName, Diagnosis, Report } from '../../src/monitor/types.js';
import type { WithdrawPlan } from '../../src/monitor/withdraw-schedule.js';
import { SANDBOX_PORTFOLIO } from '../../src/sandbox/portfolio.js';

/**
 * The attack on "never resolved or OK without a conclusive answer": every answer that proves nothing
 * that can be produced for each check, through the real path of a run (reply parsing → checks →
 * diagnosis → the key's run → the incident rules). The key is healthy everywhere else, and an
 * incident about exactly what that check proves is open: none of these answers may resolve it, make
 * the check pass, or let a healthy verdict claim the check.
 */
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const MIN = 60_000;
const IP = '203.0.113.7';
const POLICY: IncidentPolicy = { openAfterRuns: 1, resolveAfterRuns: 1, remindEveryMs: 0, keyMaxAgeDays: 0 };
const CREDS = validateCredentials({ apiKey: 'abcd1234efgh5678ijkl', apiSecret: 'secretsecretsecretsecret' });

type Answer = { readonly status: number; readonly body: string } | { readonly network: 'timeout' | 'connection' };
const json = (o: unknown) => JSON.stringify(o);
const html = (title: string) => `<!DOCTYPE html><html><head><title>${title}</title></head><body>${title}</body></html>`;

const ACCOUNT = { uuid: 'm', enabled: true, tradable: true, suspended: false, terminated: false, derivatives_access: true, margin_access: 'DEFAULT' };
const HEALTHY: Record<string, Answer> = {
  'ip-echo': { status: 200, body: `${IP}\n` },
  'public/get-tickers': { status: 200, body: json({ code: 0, result: { data: [{ i: 'BTC_USD', t: T0 }] } }) },
  'private/user-balance': { status: 200, body: json({ code: 0, result: SANDBOX_PORTFOLIO }) },
  'private/get-accounts': {
    status: 200,
    body: json({ code: 0, result: { this_account: { uuid: 'm', hierarchy: 'MASTER' }, master_account: ACCOUNT, sub_account_list: [] } }),
  },
  'private/cancel-order': { status: 500, body: json({ code: 316, message: 'NO_ACTIVE_ORDER' }) },
  // The answer that proves a key cannot withdraw: what resolves a withdraw incident.
  'private/get-deposit-address': { status: 401, body: json({ code: 40101, message: 'Authentication failure' }) },
};

/** Answers that prove nothing, whatever the call. */
const GENERIC: Record<string, Answer> = {
  'no answer in time': { network: 'timeout' },
  'connection refused': { network: 'connection' },
  'HTTP 500, empty body': { status: 500, body: '' },
  'HTTP 500, code 50001': { status: 500, body: json({ code: 50001, message: 'INTERNAL_SERVER_ERROR' }) },
  'HTTP 502, Cloudflare HTML': { status: 502, body: html('api.crypto.com | 502: Bad gateway') },
  'HTTP 503, HTML': { status: 503, body: html('503 Service Temporarily Unavailable') },
  'HTTP 504, empty body': { status: 504, body: '' },
  'HTTP 200, empty body': { status: 200, body: '' },
  'HTTP 200, HTML page': { status: 200, body: html('Sign in to the network') },
  'HTTP 200, truncated JSON': { status: 200, body: '{"code":0,"result":{"da' },
  'HTTP 200, JSON array': { status: 200, body: '[1,2,3]' },
  'HTTP 200, code as text': { status: 200, body: json({ code: 'abc' }) },
  'HTTP 500, code 0': { status: 500, body: json({ code: 0, result: {} }) },
  'HTTP 302, code 0': { status: 302, body: json({ code: 0, result: {} }) },
  'HTTP 403, code 0': { status: 403, body: json({ code: 0, result: {} }) },
  'HTTP 401, HTML': { status: 401, body: html('401 Authorization Required') },
  'HTTP 401, JSON without a code': { status: 401, body: json({ message: 'unauthorized' }) },
  'HTTP 429, 42901': { status: 429, body: json({ code: 42901, message: 'TOO_MANY_REQUESTS' }) },
  'HTTP 200, 9010001 maintenance': { status: 200, body: json({ code: 9010001, message: 'SYSTEM_MAINTENANCE' }) },
};

/** Answers that prove nothing for one check in particular. */
const SPECIFIC: Record<CheckName, Record<string, Answer>> = {
  credentials: {},
  'public-api': {},
  'egress-ip': {
    'HTTP 200, JSON with the IP inside': { status: 200, body: json({ ip: IP }) },
    'HTTP 200, the IP with trailing text': { status: 200, body: `${IP} via proxy` },
    'HTTP 200, two IPs': { status: 200, body: `${IP}, 198.51.100.1` },
    'HTTP 200, an IP with a port': { status: 200, body: `${IP}:443` },
  },
  'signed-read': {
    'HTTP 200, code 0, no result': { status: 200, body: json({ code: 0 }) },
    'HTTP 200, code 0, data not a list': { status: 200, body: json({ code: 0, result: { data: 'x' } }) },
    'HTTP 200, code 0, a balance entry that is not an object': { status: 200, body: json({ code: 0, result: { data: [null] } }) },
  },
  account: {
    'HTTP 200, code 0, no result': { status: 200, body: json({ code: 0 }) },
    'HTTP 200, code 0, names no account': { status: 200, body: json({ code: 0, result: { sub_account_list: [] } }) },
    'HTTP 200, code 0, account without flags': { status: 200, body: json({ code: 0, result: { this_account: { uuid: 'm' }, master_account: { uuid: 'm' } } }) },
    'HTTP 200, code 0, flags that are not booleans': {
      status: 200,
      body: json({ code: 0, result: { this_account: { uuid: 'm' }, master_account: { ...ACCOUNT, suspended: 'maybe', terminated: 1, enabled: null } } }),
    },
    'HTTP 200, code 0, this account missing from the list': {
      status: 200,
      body: json({ code: 0, result: { this_account: { uuid: 'x', hierarchy: 'SUB_ACCOUNT' }, master_account: ACCOUNT, sub_account_list: [] } }),
    },
    'HTTP 500, 10001 SYS_ERROR': { status: 500, body: json({ code: 10001, message: 'SYS_ERROR' }) },
    'HTTP 401, 40101 after a good read': { status: 401, body: json({ code: 40101, message: 'Authentication failure' }) },
  },
  // Only the order lookup's own answers (212, 316, 40401) prove the scope check passed; any other
  // code, known or not, proves nothing about Trade.
  'trade-permission': {
    'HTTP 500, 10001 SYS_ERROR': { status: 500, body: json({ code: 10001, message: 'SYS_ERROR' }) },
    'HTTP 400, 40004 invalid argument': { status: 400, body: json({ code: 40004, message: 'MISSING_OR_INVALID_ARGUMENT' }) },
    'HTTP 400, 40001 BAD_REQUEST': { status: 400, body: json({ code: 40001, message: 'BAD_REQUEST' }) },
    'HTTP 200, an unknown code 777': { status: 200, body: json({ code: 777, message: 'SOMETHING_NEW' }) },
    'HTTP 401, 40103 IP_ILLEGAL': { status: 401, body: json({ code: 40103, message: 'IP_ILLEGAL' }) },
    'HTTP 400, 40102 INVALID_NONCE': { status: 400, body: json({ code: 40102, message: 'INVALID_NONCE' }) },
  },
  'withdraw-permission': {
    'HTTP 401, 40103 IP_ILLEGAL': { status: 401, body: json({ code: 40103, message: 'IP_ILLEGAL' }) },
    'HTTP 401, 40104': { status: 401, body: json({ code: 40104, message: 'USER_TIER_INVALID' }) },
    'HTTP 401, 10002 UNAUTHORIZED': { status: 401, body: json({ code: 10002, message: 'UNAUTHORIZED' }) },
    'HTTP 401, 10005': { status: 401, body: json({ code: 10005, message: 'USER_TIER_INVALID' }) },
    'HTTP 400, 40102 INVALID_NONCE': { status: 400, body: json({ code: 40102, message: 'INVALID_NONCE' }) },
    'HTTP 500, 10001 SYS_ERROR': { status: 500, body: json({ code: 10001, message: 'SYS_ERROR' }) },
    'HTTP 400, 40001 BAD_REQUEST': { status: 400, body: json({ code: 40001, message: 'BAD_REQUEST' }) },
  },
};

/** Which call each check's answer comes from, and the incident that a pass of the check would end. */
const TARGETS: readonly { check: CheckName; call: string; incident: Diagnosis }[] = [
  { check: 'egress-ip', call: 'ip-echo', incident: 'EGRESS_IP_MISMATCH' },
  { check: 'signed-read', call: 'private/user-balance', incident: 'AUTH_FAILED' },
  { check: 'account', call: 'private/get-accounts', incident: 'ACCOUNT_SUSPENDED' },
  { check: 'trade-permission', call: 'private/cancel-order', incident: 'TRADE_PERMISSION_MISSING' },
  { check: 'withdraw-permission', call: 'private/get-deposit-address', incident: 'WITHDRAW_PERMISSION_UNEXPECTED' },
];

function timed(a: Answer): TimedReply {
  const reply: ExchangeReply = 'network' in a ? { kind: 'network', error: a.network, detail: 'attack' } : parseReply(a.status, a.body, null);
  return { reply, attempts: 1, latencyMs: 1, totalMs: 1, midpointMs: T0 };
}

/** The exchange as the checks see it: healthy, except `call`, which answers `answer`. */
function exchange(call: string, answer: Answer): ExchangePort {
  const pick = (method: string) => (method === call ? answer : (HEALTHY[method] as Answer));
  return {
    getText: async () => {
      const a = pick('ip-echo');
      return { text: 'network' in a || a.status !== 200 ? null : a.body, timed: timed(a) };
    },
    publicGet: async (method) => timed(pick(method)),
    privatePost: async (method) => timed(pick(method)),
  };
}

async function check(
  call: string,
  answer: Answer,
  expectations: { expectMaster?: boolean; expectDerivatives?: boolean } = {},
  withdrawProbe: WithdrawPlan = { kind: 'now' },
): Promise<Report> {
  return runChecks({
    credentials: CREDS,
    expectTrade: true,
    expectedIps: [IP],
    ipEchoUrl: 'https://echo.test/',
    exchange: exchange(call, answer),
    site: 'aws',
    withdrawProbe,
    now: () => T0 + 5 * MIN,
    ...expectations,
  });
}

/** A key whose incident about `diagnosis` is open, then this run's report. */
function afterOpenIncident(diagnosis: Diagnosis, report: Report) {
  const opening: KeyRun = {
    key: 'k',
    keyPrefix: 'abcd',
    diagnosis,
    code: null,
    httpStatus: null,
    egressIp: IP,
    advice: 'x',
    facts: [],
    keyAgeDays: 1,
    verified: [],
  };
  const first = decideRun({
    now: T0,
    policy: POLICY,
    runs: [opening],
    keyStates: new Map<string, KeyState>([['k', NEW_KEY_STATE]]),
    monitor: NEW_MONITOR_STATE,
  });
  const opened = first.keyStates.get('k')?.incident;
  const run = keyRun({ key: { name: 'k', secretId: 's/k', expectTrade: true }, report, keyAgeDays: 1, elapsedMs: 1 }, [IP]);
  const next = decideRun({ now: T0 + 5 * MIN, policy: POLICY, runs: [run], keyStates: first.keyStates, monitor: first.monitor });
  return { opened, next };
}

const cases = TARGETS.flatMap((t) => Object.entries({ ...GENERIC, ...SPECIFIC[t.check] }).map(([name, answer]) => ({ ...t, name, answer })));

describe('every answer that proves nothing, for each check: no "resolved", no pass, no healthy verdict that claims the check', () => {
  it('the healthy exchange here does resolve each incident (so the cases below can fail)', async () => {
    for (const t of TARGETS) {
      const report = await check('none', { network: 'timeout' }, {}, { kind: 'now', last: { at: T0 - 25 * 60 * MIN, allowed: true } });
      expect(report.diagnosis, t.check).toBe('OK');
      expect(
        afterOpenIncident(t.incident, report).next.events.map((e) => e.kind),
        t.check,
      ).toEqual(['resolved']);
    }
  });

  it.each(cases)('$check ← $name', async ({ check: name, call, incident, answer }) => {
    // The Lambda: the last definite withdraw verdict was "can withdraw", a day old (the incident's evidence).
    const report = await check(call, answer, {}, { kind: 'now', last: { at: T0 - 25 * 60 * MIN, allowed: true } });
    const result = report.checks.find((c) => c.name === name);
    expect(result?.status).not.toBe('pass');
    expect(result?.ok).not.toBe(true);
    if (report.healthy) expect(report.notVerified).toContain(name);
    const { opened, next } = afterOpenIncident(incident, report);
    expect(next.events.map((e) => e.kind)).not.toContain('resolved');
    expect(next.keyStates.get('k')?.incident?.id).toBe(opened?.id);
    expect(DIAGNOSIS_TABLE[incident].provenBy).toBe(name);

    // The CLI: no history to fall back on, and the declared needs that depend on the account.
    const cli = await check(call, answer, { expectMaster: true, expectDerivatives: true });
    const seen = cli.checks.find((c) => c.name === name);
    expect(seen?.status).not.toBe('pass');
    if (name === 'withdraw-permission' || name === 'account') {
      // Healthy only where the declared needs were verified, and then it says what it did not verify.
      if (cli.healthy) expect(cli.notVerified).toEqual([name]);
      if (name === 'account' && cli.healthy) expect(seen?.account).toMatchObject({ hierarchy: 'MASTER', derivativesAccess: true });
    } else {
      // An egress, read or trade answer that proves nothing is never a healthy verdict.
      expect(cli.healthy).toBe(false);
    }
  });
});
