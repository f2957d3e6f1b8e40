import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../lambdas/cli/key-monitor.js';
import { SCENARIO_NAMES, SCENARIOS } from '../../lambdas/cli/scenarios.js';
import { startSandbox, type Sandbox } from '../../lambdas/sandbox/exchange.js';
import { runCli } from '../support/run-cli.js';

async function inProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, env, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('key-monitor with no credentials (the quick start)', () => {
  it('runs a healthy check against the built-in sandbox, says so, and exits 0', async () => {
    const run = await runCli(['check']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SANDBOX');
    expect(run.stdout).toMatch(/✅ signed-read\s+authenticated; 18 balances/);
    expect(run.stdout).toContain('Diagnosis: OK');
    expect(run.stderr).toBe('');
  });

  it('prints one JSON object with --json', async () => {
    const run = await runCli(['check', '--json']);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ healthy: true, diagnosis: 'OK', egressIp: '203.0.113.7', sandbox: { scenario: 'healthy' } });
    expect((json['checks'] as unknown[]).length).toBe(5);
  });
});

describe('every sandbox scenario shows its diagnosis and exit status', () => {
  it.each(SCENARIO_NAMES)('%s', async (name) => {
    const run = await inProcess(['check', '--sandbox', name, '--json']);
    const json = JSON.parse(run.stdout) as { diagnosis: string; advice: string };
    const expected = SCENARIOS[name].expect;
    expect(json.diagnosis).toBe(expected);
    const exit = expected === 'OK' ? 0 : expected.startsWith('CREDENTIALS_') ? 2 : 1;
    expect(run.code).toBe(exit);
  });
});

describe('bad input gets a clear message and exit 2, never a stack trace', () => {
  it.each([
    [['check', '--bogus'], "Unknown option '--bogus'"],
    [['check', '--timeout-ms', 'soon'], '--timeout-ms: a whole number'],
    [['check', '--expected-ip', '1.2.3'], '"1.2.3" is not an IP address'],
    [['check', '--base-url', 'ftp://x'], 'use an http(s) URL'],
    [['check', '--sandbox', 'nope'], 'unknown scenario "nope"'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['rotate'], 'rotate needs --secret-id'],
    [['rotate', '--secret-id', 's', '--json'], '--json is a check option'],
    [['rotate', '--secret-id', 's', '--wait-seconds', 'forever'], '--wait-seconds: a whole number'],
    [['check', '--file', 'k.json'], '--file is a rotate option'],
    [[], 'missing command'],
  ])('%o', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(run.stdout).toBe('');
  });

  it('--help exits 0 and lists the scenarios', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ip-not-whitelisted');
  });
});

describe('a real key from the environment (the sandbox standing in for the exchange)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const target = (behaviour: Parameters<Sandbox['baseUrl']>[0]) => ['check', '--base-url', sandbox.baseUrl(behaviour), '--ip-echo-url', sandbox.ipEchoUrl];

  it('reads EXCHANGE_API_KEY / EXCHANGE_API_SECRET', async () => {
    const { apiKey, apiSecret } = sandbox.credentials('healthy');
    const run = await runCli(target('healthy'), { EXCHANGE_API_KEY: apiKey, EXCHANGE_API_SECRET: apiSecret });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('SANDBOX');
  });

  it('accepts the EXCHANGE_CUSTOM_API_* names users already have', async () => {
    const { apiKey, apiSecret } = sandbox.credentials('read-only');
    const run = await runCli([...target('read-only'), '--read-only'], { EXCHANGE_CUSTOM_API_KEY: apiKey, EXCHANGE_CUSTOM_API_SECRET: apiSecret });
    expect(run.code).toBe(0);
  });

  it('treats empty variables as missing (exit 2) instead of falling back to the sandbox', async () => {
    const run = await runCli(target('healthy'), { EXCHANGE_API_KEY: '', EXCHANGE_API_SECRET: '' });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('CREDENTIALS_MISSING');
  });

  it('names the malformed field and exits 2 without echoing it', async () => {
    const { apiKey, apiSecret } = sandbox.credentials('healthy');
    const run = await runCli(target('healthy'), { EXCHANGE_API_KEY: apiKey, EXCHANGE_API_SECRET: `${apiSecret}\n` });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('API secret has whitespace or a newline around it');
    expect(run.stdout).not.toContain(apiSecret);
  });

  it('never prints a secret, a signature or a full key, whatever happens', async () => {
    const outputs: string[] = [];
    const from = sandbox.requests.length;
    const behaviours = ['healthy', 'bad-secret', 'ip-not-whitelisted', 'read-only', 'clock-skew', 'rate-limited', 'unavailable', 'unexpected'] as const;
    for (const behaviour of behaviours) {
      const { apiKey, apiSecret } = sandbox.credentials(behaviour);
      for (const json of [[], ['--json']]) {
        const run = await runCli([...target(behaviour), ...json], { EXCHANGE_API_KEY: apiKey, EXCHANGE_API_SECRET: apiSecret });
        outputs.push(run.stdout + run.stderr);
        expect(run.stdout).toContain(apiKey.slice(0, 4));
      }
    }
    const everything = outputs.join('\n');
    const sigs = sandbox.requests.slice(from).map((r) => r.sig).filter((s): s is string => typeof s === 'string');
    expect(sigs.length).toBeGreaterThan(10);
    for (const behaviour of behaviours) {
      const { apiKey, apiSecret } = sandbox.credentials(behaviour);
      expect(everything).not.toContain(apiSecret);
      expect(everything).not.toContain(apiKey);
      expect(everything).not.toContain(apiKey.slice(0, 5));
    }
    for (const sig of sigs) expect(everything).not.toContain(sig);
  });
});
