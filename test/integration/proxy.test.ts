import { createServer } from 'node:net';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { captureOutput, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../src/monitor/checks.js';
import { checkClient } from '../../src/monitor/check-client.js';
import { validateCredentials } from '../../src/monitor/credentials.js';
import type { ProxySettings } from '../../src/exchange/proxy.js';
import { startSandbox, type Behaviour, type Sandbox } from '../../src/sandbox/exchange.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import { runCli } from '../support/run-cli.js';
import { loopbackCertificate } from '../support/tls.js';

/**
 * Checks that leave through a forward proxy on the whitelisted host: a loopback HTTP CONNECT proxy
 * in front of the sandbox speaking TLS, so the tunnel is what production would use (TLS end to end,
 * the proxy sees only host:port).
 */
let sandbox: Sandbox;
let ca: string;
let open: Awaited<ReturnType<typeof startConnectProxy>>;
let guarded: Awaited<ReturnType<typeof startConnectProxy>>;
const TOKEN = 'proxy-token-0123456789abcdef';

beforeAll(async () => {
  const tls = await loopbackCertificate();
  ca = tls.cert;
  [sandbox, open, guarded] = await Promise.all([startSandbox({ tls }), startConnectProxy(), startConnectProxy({ token: TOKEN })]);
});
afterAll(async () => {
  await Promise.all([sandbox?.close(), open?.close(), guarded?.close()]);
});

async function check(proxy: ProxySettings, opts: { behaviour?: Behaviour; baseUrl?: string; expectedIps?: string[] } = {}) {
  const client = checkClient({ baseUrl: opts.baseUrl ?? sandbox.baseUrl(opts.behaviour ?? 'healthy'), timeoutMs: 1_500, proxy, ca });
  try {
    return await runChecks({
      credentials: validateCredentials(sandbox.credentials(opts.behaviour ?? 'healthy')),
      expectTrade: true,
      expectedIps: opts.expectedIps ?? ['203.0.113.7'],
      ipEchoUrl: sandbox.ipEchoUrl,
      exchange: client,
      site: 'aws',
    });
  } finally {
    await client.close();
  }
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('checks through an HTTP CONNECT forward proxy', () => {
  it('checks a healthy key end to end through the tunnel, the egress check included', async () => {
    const report = await check({ url: open.url, token: null, noProxy: null });
    expect(report.diagnosis).toBe('OK');
    expect(report.egressIp).toBe('203.0.113.7');
    const origin = new URL(sandbox.origin).host;
    // Every call went through the tunnel: the exchange, the ticker and the IP echo share one origin.
    expect(open.tunnels.length).toBeGreaterThan(0);
    expect(new Set(open.tunnels)).toEqual(new Set([origin]));
  });

  it('sends the token as Proxy-Authorization (Bearer) to a proxy that demands one, and nowhere else', async () => {
    const from = sandbox.requests.length;
    const report = await check({ url: guarded.url, token: TOKEN, noProxy: null });
    expect(report.diagnosis).toBe('OK');
    expect(guarded.authHeaders).toContain(`Bearer ${TOKEN}`);
    expect(JSON.stringify(sandbox.requests.slice(from))).not.toContain(TOKEN);
    expect(JSON.stringify(report)).not.toContain(TOKEN);
  });

  it('names a proxy that refuses authentication (407), never confusing it with 40101', async () => {
    const report = await check({ url: guarded.url, token: 'wrong-token', noProxy: null });
    expect(report.diagnosis).toBe('PROXY_AUTH_FAILED');
    expect(report.advice).toContain('Proxy-Authorization');
    const none = await check({ url: guarded.url, token: null, noProxy: null });
    expect(none.diagnosis).toBe('PROXY_AUTH_FAILED');
  });

  it('names a proxy that cannot be reached', async () => {
    const report = await check({ url: `http://127.0.0.1:${await closedPort()}`, token: null, noProxy: null });
    expect(report.diagnosis).toBe('PROXY_UNREACHABLE');
    expect(report.checks.find((c) => c.name === 'public-api')?.detail).toContain('the proxy could not be reached');
  });

  it('names a proxy that cannot reach the exchange (CONNECT refused or failed)', async () => {
    const report = await check({ url: open.url, token: null, noProxy: null }, { baseUrl: `https://127.0.0.1:${await closedPort()}/exchange/v1` });
    expect(report.diagnosis).toBe('PROXY_CONNECT_FAILED');
    expect(report.advice).toContain('supports CONNECT');
  });

  it('still tells 40101 and 40103 apart through the tunnel', async () => {
    expect((await check({ url: open.url, token: null, noProxy: null }, { behaviour: 'bad-secret' })).diagnosis).toBe('AUTH_FAILED');
    expect((await check({ url: open.url, token: null, noProxy: null }, { behaviour: 'ip-not-whitelisted' })).diagnosis).toBe('IP_NOT_WHITELISTED');
  });

  it('compares the proxy host’s egress IP with the whitelist', async () => {
    const report = await check({ url: open.url, token: null, noProxy: null }, { expectedIps: ['198.51.100.23'] });
    expect(report.diagnosis).toBe('EGRESS_IP_MISMATCH');
  });

  it('bypasses the proxy for NO_PROXY hosts', async () => {
    const from = open.tunnels.length;
    const report = await check({ url: open.url, token: null, noProxy: '127.0.0.1' });
    expect(report.diagnosis).toBe('OK');
    expect(open.tunnels.length).toBe(from);
  });
});

describe('key-monitor check through a proxy', () => {
  const env = () => ({
    NODE_EXTRA_CA_CERTS: '',
    EXCHANGE_API_KEY: sandbox.credentials('healthy').apiKey,
    EXCHANGE_API_SECRET: sandbox.credentials('healthy').apiSecret,
  });
  const target = () => ['check', '--base-url', sandbox.baseUrl('healthy'), '--ip-echo-url', sandbox.ipEchoUrl, '--expected-ip', '203.0.113.7'];
  let caFile: string;

  beforeAll(async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    caFile = join(mkdtempSync(join(tmpdir(), 'ekm-ca-')), 'ca.pem');
    writeFileSync(caFile, ca);
  });

  it('--proxy routes every call through the tunnel and says so; the token comes from the environment only', async () => {
    const run = await runCli([...target(), '--proxy', guarded.url], { ...env(), NODE_EXTRA_CA_CERTS: caFile, KEY_MONITOR_PROXY_TOKEN: TOKEN });
    expect(run.stdout).toContain(`via proxy ${guarded.url}`);
    expect(run.stdout).toContain('Diagnosis: OK');
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('understands the bots’ USE_CRYPTO_PROXY / CRYPTO_PROXY_URL / CRYPTO_PROXY_TOKEN as a forward proxy', async () => {
    const run = await runCli(target(), {
      ...env(),
      NODE_EXTRA_CA_CERTS: caFile,
      USE_CRYPTO_PROXY: 'true',
      CRYPTO_PROXY_URL: guarded.url,
      CRYPTO_PROXY_TOKEN: TOKEN,
    });
    expect(run.stdout).toContain(`via proxy ${guarded.url}`);
    expect(run.code).toBe(0);
  });

  it('follows HTTPS_PROXY and NO_PROXY, the usual conventions', async () => {
    const via = await runCli(target(), { ...env(), NODE_EXTRA_CA_CERTS: caFile, HTTPS_PROXY: open.url });
    expect(via.stdout).toContain(`via proxy ${open.url}`);
    expect(via.code).toBe(0);
  });

  it('says PROXY_AUTH_FAILED (exit 1) when the proxy wants a token it did not get', async () => {
    const run = await runCli([...target(), '--proxy', guarded.url], { ...env(), NODE_EXTRA_CA_CERTS: caFile });
    expect(run.stdout).toContain('Diagnosis: PROXY_AUTH_FAILED');
    expect(run.code).toBe(1);
  });

  it('refuses a proxy URL with credentials in it, and a token on the command line', async () => {
    const creds = await runCli([...target(), '--proxy', 'http://user:pw@127.0.0.1:3128']);
    expect(creds.code).toBe(2);
    expect(creds.stderr).toContain('--proxy must not carry credentials');
    expect(creds.stderr).not.toContain('pw@');
    const argvToken = await runCli([...target(), '--proxy-token', 'x']);
    expect(argvToken.code).toBe(2);
  });
});

describe('the check Lambda in proxy egress mode (EXCHANGE_PROXY_URL, token from Secrets Manager)', () => {
  // Plain http behind the proxy: the tunnel (CONNECT, with its Proxy-Authorization) is the same, and
  // the function's own client needs no test CA.
  let plain: Sandbox;
  let moto: Moto | undefined;
  const saved = { ...process.env };
  const context = { functionName: 'check', awsRequestId: 'req', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
  const motoMissing = toolMissing('moto_server');

  beforeAll(async () => {
    plain = await startSandbox();
    if (!motoMissing) {
      moto = await startMoto();
      useEmulator(moto.endpoint);
    }
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([plain?.close(), moto?.stop()]);
  });

  /**
   * One deployed function (one warm process): each call is one scheduled invocation; the key's log line
   * comes back. `asDeployed`: the module's own handler, configured from process.env as the Lambda
   * runtime does (once per test file); otherwise the same wiring from a given environment.
   */
  async function deployed(extra: Record<string, string>, asDeployed = false) {
    const creds = plain.mint('healthy');
    const name = `k${Math.random().toString(36).slice(2, 8)}`;
    const sm = new SecretsManagerClient({});
    await sm.send(new CreateSecretCommand({ Name: `${name}/key`, SecretString: JSON.stringify(creds) }));
    const env = {
      MONITORED_KEYS: JSON.stringify([{ name, secretId: `${name}/key`, expectTrade: true }]),
      EXCHANGE_BASE_URL: plain.baseUrl(),
      IP_ECHO_URL: plain.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      CHECK_TIMEOUT_MS: '1500',
      SECRET_CACHE_TTL_MS: '1',
      ...extra,
    };
    const checkModule = await import('../../src/handlers/check.js');
    if (asDeployed) Object.assign(process.env, env);
    const handler = asDeployed ? checkModule.handler : checkModule.buildCheckHandler(checkModule.lambdaCheckDeps(env));
    return async () => {
      const { docs, raw } = await captureOutput(() => handler({}, context));
      const line = docs.find((d) => d['key'] === name) ?? {};
      return { diagnosis: line['diagnosis'], advice: String(line['advice'] ?? ''), raw };
    };
  }

  it.skipIf(motoMissing)('leaves through the configured proxy', async () => {
    const from = open.tunnels.length;
    const invoke = await deployed({ EXCHANGE_PROXY_URL: open.url });
    expect((await invoke()).diagnosis).toBe('OK');
    expect(open.tunnels.length).toBeGreaterThan(from);
  });

  it.skipIf(motoMissing)('a refused token (407) is read again: storing the right one fixes the next invocation of the same warm function', async () => {
    const sm = new SecretsManagerClient({});
    await sm.send(new CreateSecretCommand({ Name: 'proxy/rotated', SecretString: JSON.stringify({ token: 'the-old-token-000' }) }));
    const invoke = await deployed({ EXCHANGE_PROXY_URL: guarded.url, EXCHANGE_PROXY_TOKEN_SECRET_ID: 'proxy/rotated' }, true);
    const refused = await invoke();
    expect(refused.diagnosis).toBe('PROXY_AUTH_FAILED');
    await sm.send(new PutSecretValueCommand({ SecretId: 'proxy/rotated', SecretString: TOKEN }));
    const fixed = await invoke();
    expect(fixed.diagnosis).toBe('OK');
    // So the advice may say so.
    expect(refused.advice).toContain('read again on the next run');
    expect(fixed.raw).not.toContain(TOKEN);
    // A token that works is kept while warm: no read per run (the secret could even go away).
    await sm.send(new DeleteSecretCommand({ SecretId: 'proxy/rotated', ForceDeleteWithoutRecovery: true }));
    expect((await invoke()).diagnosis).toBe('OK');
  });

  it.skipIf(motoMissing)(
    'a token that cannot be read is PROXY_TOKEN_UNREADABLE naming why, not a wrong token; it is read again on the next invocation',
    async () => {
      const invoke = await deployed({ EXCHANGE_PROXY_URL: guarded.url, EXCHANGE_PROXY_TOKEN_SECRET_ID: 'proxy/later' });
      const missing = await invoke();
      expect(missing.diagnosis).toBe('PROXY_TOKEN_UNREADABLE');
      expect(missing.advice).toContain('secret proxy/later does not exist');
      expect(missing.advice).not.toContain('Put the right token');
      await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: 'proxy/later', SecretString: TOKEN }));
      expect((await invoke()).diagnosis).toBe('OK');
    },
  );

  it.skipIf(motoMissing)('a token secret stored as binary is named as such', async () => {
    await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: 'proxy/binary', SecretBinary: Buffer.from(TOKEN) }));
    const invoke = await deployed({ EXCHANGE_PROXY_URL: guarded.url, EXCHANGE_PROXY_TOKEN_SECRET_ID: 'proxy/binary' });
    const binary = await invoke();
    expect(binary.diagnosis).toBe('PROXY_TOKEN_UNREADABLE');
    expect(binary.advice).toContain('secret proxy/binary holds binary data (SecretBinary); store the token as a SecretString');
  });
});
