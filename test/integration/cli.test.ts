import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/key-monitor.js';
import { SCENARIO_NAMES, SCENARIOS, type Scenario } from '../../src/cli/scenarios.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { startBlackHole } from '../support/black-hole.js';
import { runCli } from '../support/run-cli.js';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMoto, toolMissing, type Moto } from '../support/moto.js';
import { HOSTILE_BASE_URLS } from '../support/hostile-base-urls.js';
import { leakedRuns } from '../support/echo-shapes.js';

const DNS_STUB = fileURLToPath(new URL('../support/dns-stub.cjs', import.meta.url));

async function inProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, env, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('the quick start: key-monitor check --sandbox', () => {
  it('runs a healthy check against the built-in sandbox, says so, and exits 0', async () => {
    const run = await runCli(['check', '--sandbox']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SANDBOX');
    expect(run.stdout).toMatch(/✅ signed-read\s+authenticated; 18 balances/);
    expect(run.stdout).toContain('Diagnosis: OK');
    expect(run.stderr).toBe('');
  });

  it('prints one JSON object with --json, versioned, with the sandbox named', async () => {
    const run = await runCli(['check', '--sandbox', '--json']);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ schemaVersion: 1, healthy: true, diagnosis: 'OK', egressIp: '203.0.113.7', target: { sandbox: 'healthy' } });
    expect((json['checks'] as unknown[]).length).toBe(7);
  });
});

describe('with no credentials, the check never falls back to the sandbox', () => {
  it('is CREDENTIALS_MISSING, exit 2, with a hint to try --sandbox, and sends nothing anywhere', async () => {
    const hole = await startBlackHole();
    // A base URL that would hang if anything were sent: the check must not even try.
    const run = await runCli(['check', '--ip-echo-url', hole.endpoint], { EXCHNAGE_API_KEY: 'typo-in-the-name-1234' });
    await hole.close();
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Diagnosis: CREDENTIALS_MISSING');
    expect(run.stdout).toContain('--sandbox');
    expect(run.stdout).not.toContain('SANDBOX');
  });

  it('says the same in --json, with no check marked ok that did not run', async () => {
    const run = await runCli(['check', '--json']);
    const json = JSON.parse(run.stdout) as { diagnosis: string; checks: { name: string; status: string; ok: boolean | null }[] };
    expect(json.diagnosis).toBe('CREDENTIALS_MISSING');
    for (const c of json.checks.filter((x) => x.status === 'skip')) expect(c.ok, c.name).toBeNull();
    expect(json.checks.filter((x) => x.ok === true)).toHaveLength(0);
  });
});

describe('every sandbox scenario shows its diagnosis and exit status', () => {
  it.each(SCENARIO_NAMES)('%s', async (name) => {
    const run = await inProcess(['check', '--sandbox', name, '--json']);
    const json = JSON.parse(run.stdout) as { diagnosis: string; advice: string; security: { findings: { diagnosis: string }[] } | null };
    const scenario: Scenario = SCENARIOS[name];
    const expected = scenario.expect;
    expect(json.diagnosis).toBe(expected);
    const exit = expected === 'OK' ? 0 : expected.startsWith('CREDENTIALS_') || expected === 'EXCHANGE_URL_INVALID' ? 2 : 1;
    expect(run.code).toBe(exit);
    if (scenario.security) expect(json.security?.findings.map((f) => f.diagnosis)).toEqual(scenario.security.finding ? [scenario.security.finding] : []);
  });
});

describe('the security watch beside the verdict', () => {
  it('funds-dropped: the drop since the previous check, with before and after, on a healthy key (exit 0)', async () => {
    const run = await inProcess(['check', '--sandbox', 'funds-dropped']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Diagnosis: OK');
    expect(run.stdout).toMatch(/Security: 🟠 FUNDS_DROPPED — Money or assets left the account: The account's value fell 40\.0 % \(\$7,435\.4\d\)/);
    expect(run.stdout).toMatch(/\n {2}Before: 18 balances, total \$18,588\.54 at .*\n {2}After: 18 balances, total \$11,153\.13 at /);
  });

  it('prices-halved: a market that halves with the same quantities is nothing', async () => {
    const run = await inProcess(['check', '--sandbox', 'prices-halved']);
    expect(run.stdout).toContain('Security: nothing found');
    expect(run.stdout).not.toContain('FUNDS_DROPPED');
  });

  it('foreign-orders: names the order the bot did not place, and not the bot’s own', async () => {
    const run = await inProcess(['check', '--sandbox', 'foreign-orders']);
    expect(run.stdout).toContain('Security: 🟠 FOREIGN_ORDERS — Orders your bot did not place: 1 open order without the bot\'s client_oid prefix "bot-7f3a-"');
    expect(run.stdout).toContain('  Orders: CRO_USD SELL 24000 [x-web-1764900300]');
  });

  it('withdrawal-made: a withdrawal in the last day is critical, with the address shortened', async () => {
    const run = await inProcess(['check', '--sandbox', 'withdrawal-made']);
    expect(run.stdout).toMatch(/Security: 🔴 WITHDRAWAL_DETECTED — A withdrawal left the account: A withdrawal of 0\.5 BTC to bc1qxy…0wlh \(processing\) at /);
    expect(run.stdout).not.toContain('bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh');
  });

  it('withdrawal-history-refused: the watch says it could not look, never "nothing found"', async () => {
    const run = await inProcess(['check', '--sandbox', 'withdrawal-history-refused']);
    expect(run.stdout).toContain('Security: 🟠 WITHDRAWAL_WATCH_NOT_DETERMINED — The withdrawal watch could not read the history');
    expect(run.stdout).not.toContain('Security: nothing found');
  });

  it('sub-account: the withdrawal history is not read, and the check says why', async () => {
    const run = await inProcess(['check', '--sandbox', 'sub-account']);
    expect(run.stdout).toContain('not watched: withdrawals: sub-account key: withdrawals happen from the master account');
    // The history was not read: "nothing found" would claim it was.
    expect(run.stdout).not.toContain('Security: nothing found\n');
    expect(run.stdout).toContain('Security: nothing found in what was read; the withdrawal history was not read');
  });

  it('a single real-style check says what it cannot watch', async () => {
    const run = await inProcess(['check', '--sandbox', 'healthy']);
    expect(run.stdout).toContain('Security: nothing found');
    expect(run.stdout).toContain('not watched: money leaving the account');
  });
});

describe('bad input gets a clear one-line message and exit 2, never a stack trace', () => {
  it.each([
    [['check', '--bogus'], 'unknown option --bogus'],
    [['check', '--jsn'], 'unknown option --jsn — did you mean --json?'],
    [['check', '--secret-idd', 'x'], 'did you mean --secret-id?'],
    [['chek'], 'unknown command "chek" — did you mean "check"?'],
    [['check', '--timeout-ms', 'soon'], '--timeout-ms: a whole number'],
    [['check', '--expected-ip', '1.2.3'], '--expected-ip: "1.2.3" is not an IP address'],
    [
      ['check', '--expected-ip', '10.0.0.5'],
      '--expected-ip: 10.0.0.5 is a private address (RFC 1918, 10.0.0.0/8); the exchange whitelist needs the public address',
    ],
    [['check', '--secret-id', 'prod/a', '--secret-id', 'prod/b'], '--secret-id is given more than once; give it once'],
    [['mute', '--for', '2h', '--reason', ''], '--reason is empty: say why alerts are muted, or leave --reason out'],
    [['check', '--base-url', 'ftp://x'], '--base-url must be an https:// URL'],
    [['check', '--base-url', 'http://api.crypto.com/exchange/v1'], '--base-url must use https://'],
    [['check', '--base-url', 'https://x.test/exchange/v1/private/cancel-all-orders?_='], '--base-url must not contain a query string'],
    [['check', '--base-url', 'https://x.test/exchange/v1/private/cancel-all-orders'], '--base-url must be the API root'],
    [['check', '--sandbox', 'nope'], 'unknown scenario "nope"'],
    [['check', '--sandbox', 'healthyy'], 'did you mean "healthy"?'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['rotate'], 'rotate needs --secret-id'],
    [['rotate', '--secret-id', 's', '--json'], '--json is a check option'],
    [['rotate', '--secret-id', 's', '--wait-seconds', 'forever'], '--wait-seconds: a whole number'],
    [['check', '--file', 'k.json'], '--file is a rotate option'],
    [['check', '--secret-id'], '--secret-id needs a value'],
    [[], 'missing command'],
  ])('%o', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(2); // the problem, then where help is
    expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    // With --json among the arguments, the same error also comes as one JSON object on stdout.
    if (args.includes('--json')) expect(JSON.parse(run.stdout)).toMatchObject({ error: { kind: 'usage' } });
    else expect(run.stdout).toBe('');
  });

  it.each(HOSTILE_BASE_URLS)('a base URL that names a method in any spelling is refused with exit 2, from the flag and the environment: %s', async (url) => {
    const creds = { EXCHANGE_API_KEY: 'sbxAbCdEf0123456789XY', EXCHANGE_API_SECRET: 'S3cr3tValueThatMustNotLeak' };
    const [flag, env] = await Promise.all([runCli(['check', '--base-url', url], creds), runCli(['check', '--json'], { ...creds, EXCHANGE_BASE_URL: url })]);
    expect(flag.code).toBe(2);
    expect(flag.stderr.split('\n')[0]).toMatch(/^key-monitor: --base-url must be the API root \(like https:\/\/api\.crypto\.com\/exchange\/v1\)/);
    expect(flag.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(flag.stdout).toBe('');
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('EXCHANGE_BASE_URL must be the API root');
    expect(JSON.parse(env.stdout)).toMatchObject({ error: { kind: 'usage' } });
  });

  it('check --secret-id --json: one clean line on stderr, and a JSON error on stdout', async () => {
    const run = await runCli(['check', '--secret-id', '--json']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('key-monitor: --secret-id needs a value (found the option --json instead)');
    expect(JSON.parse(run.stdout)).toEqual({
      schemaVersion: 1,
      error: { kind: 'usage', message: '--secret-id needs a value (found the option --json instead)' },
    });
  });

  it.each([
    [{ EXPECTED_EGRESS_IP: 'not-an-ip' }, 'EXPECTED_EGRESS_IP: "not-an-ip" is not an IP address'],
    [{ EXCHANGE_BASE_URL: 'http://api.crypto.com/exchange/v1' }, 'EXCHANGE_BASE_URL must use https://'],
    [{ IP_ECHO_URL: 'ftp://x' }, 'IP_ECHO_URL must be an https:// URL'],
  ])('a bad environment value names the variable, not a flag: %o', async (env, message) => {
    const run = await runCli(['check'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain('--expected-ip');
  });

  it('--help exits 0 and lists the scenarios; --version prints the version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ip-not-whitelisted');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^key-monitor \d+\.\d+\.\d+\n$/);
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

  it.each([
    ['cut-off-replies', 'EXCHANGE_UNAVAILABLE', 'the reply was cut off (HTTP 200, JSON that ends before it is complete)'],
    ['empty-replies', 'EXCHANGE_UNAVAILABLE', 'an empty reply with HTTP 200'],
    ['oversized-replies', 'UNEXPECTED_RESPONSE', 'the reply was larger than 1 MB (HTTP 200); the monitor reads no more than that'],
  ] as const)('%s while the public API answers: %s, named for what it is, not a base-URL fault (exit 1)', async (behaviour, diagnosis, named) => {
    const { apiKey, apiSecret } = sandbox.credentials(behaviour);
    const run = await runCli([...target(behaviour), '--json'], { EXCHANGE_API_KEY: apiKey, EXCHANGE_API_SECRET: apiSecret });
    const json = JSON.parse(run.stdout) as { diagnosis: string; advice: string; checks: { name: string; status: string; detail: string }[] };
    expect(json.diagnosis).toBe(diagnosis);
    expect(run.code).toBe(1);
    expect(json.checks.find((c) => c.name === 'public-api')?.status).toBe('pass');
    expect(json.checks.find((c) => c.name === 'signed-read')?.detail).toBe(named);
    expect(json.advice).not.toMatch(/base URL|--base-url|exchangeBaseUrl/);
  });

  it.each([
    ['exchange.invalid', 'EXCHANGE_HOST_UNKNOWN', 2, 'the host name does not resolve (ENOTFOUND exchange.invalid)'],
    ['exchange.again.invalid', 'EXCHANGE_UNAVAILABLE', 1, 'connection failed (EAI_AGAIN)'],
  ] as const)('a base URL host %s (resolver stubbed, nothing asked) is %s, exit %i', async (host, diagnosis, exit, named) => {
    const { apiKey, apiSecret } = sandbox.credentials('healthy');
    const run = await runCli(['check', '--base-url', `https://${host}/exchange/v1`, '--ip-echo-url', sandbox.ipEchoUrl, '--json'], {
      EXCHANGE_API_KEY: apiKey,
      EXCHANGE_API_SECRET: apiSecret,
      NODE_OPTIONS: `--require ${DNS_STUB}`,
    });
    const json = JSON.parse(run.stdout) as { diagnosis: string; advice: string; checks: { name: string; detail: string }[] };
    expect(json.diagnosis).toBe(diagnosis);
    expect(run.code).toBe(exit);
    expect(json.checks.find((c) => c.name === 'public-api')?.detail).toBe(named);
    if (diagnosis === 'EXCHANGE_HOST_UNKNOWN') {
      expect(json.advice).toContain('Check the host name in --base-url (or EXCHANGE_BASE_URL) for a typo, and DNS');
      expect(json.advice).not.toContain('try again in a minute');
    }
  });

  it('masks key and secret fragments the exchange quotes back, in the checklist and in --json, whatever surrounds them', async () => {
    const { apiKey, apiSecret } = sandbox.credentials('echo-fragments');
    const env = { EXCHANGE_API_KEY: apiKey, EXCHANGE_API_SECRET: apiSecret };
    const [text, json] = await Promise.all([runCli(target('echo-fragments'), env), runCli([...target('echo-fragments'), '--json'], env)]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('Diagnosis: ACCOUNT_SUSPENDED');
    expect(JSON.parse(json.stdout)).toMatchObject({ diagnosis: 'ACCOUNT_SUSPENDED', keyPrefix: apiKey.slice(0, 4) });
    for (const run of [text, json]) {
      const shown = run.stdout + run.stderr;
      expect(leakedRuns(shown, apiKey, 5)).toEqual([]);
      expect(leakedRuns(shown, apiSecret, 8)).toEqual([]);
      // The exchange's words stay; what it quoted of the key and secret does not.
      expect(shown).toContain('ACCOUNT_IS_SUSPENDED api_key=[redacted]');
      expect(shown).toContain('NO_ACTIVE_ORDER for [redacted]');
      expect(shown).toContain('Authentication failure: secret=[redacted]');
    }
  });

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

  it('refuses a key from one family with the secret from the other, naming both', async () => {
    const { apiKey, apiSecret } = sandbox.credentials('healthy');
    const run = await runCli(target('healthy'), { EXCHANGE_API_KEY: apiKey, EXCHANGE_CUSTOM_API_SECRET: apiSecret });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('EXCHANGE_API_KEY is set but EXCHANGE_API_SECRET is not');
    expect(run.stderr).toContain('EXCHANGE_CUSTOM_API_SECRET belongs to the other pair');
    expect(run.stdout + run.stderr).not.toContain(apiKey);
  });

  it('refuses two complete families that disagree', async () => {
    const a = sandbox.credentials('healthy');
    const b = sandbox.credentials('read-only');
    const run = await runCli(target('healthy'), {
      EXCHANGE_API_KEY: a.apiKey,
      EXCHANGE_API_SECRET: a.apiSecret,
      EXCHANGE_CUSTOM_API_KEY: b.apiKey,
      EXCHANGE_CUSTOM_API_SECRET: b.apiSecret,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unset one pair');
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

  it('refuses a key with a zero-width space as malformed', async () => {
    const { apiKey, apiSecret } = sandbox.credentials('healthy');
    const run = await runCli(target('healthy'), { EXCHANGE_API_KEY: `${apiKey.slice(0, 6)}\u200b${apiKey.slice(6)}`, EXCHANGE_API_SECRET: apiSecret });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('CREDENTIALS_MALFORMED');
    expect(run.stdout).toContain('U+200B');
  });

  it('shows a retried check’s real time and its attempts', async () => {
    const { apiKey, apiSecret } = sandbox.credentials('rate-limited');
    const run = await runCli(target('rate-limited'), { EXCHANGE_API_KEY: apiKey, EXCHANGE_API_SECRET: apiSecret });
    expect(run.stdout).toMatch(/signed-read .*\(3 attempts, [\d,]+ ms\)/);
  });

  it('prints escape codes and forged lines from the exchange as inert text', async () => {
    const { apiKey, apiSecret } = sandbox.credentials('escape-codes');
    const run = await runCli(target('escape-codes'), { EXCHANGE_API_KEY: apiKey, EXCHANGE_API_SECRET: apiSecret });
    expect(run.stdout).not.toContain('\u001b');
    expect(run.stdout).not.toContain('\r');
    expect(run.stdout.split('\n').filter((l) => l.startsWith('Diagnosis:'))).toEqual(['Diagnosis: UNEXPECTED_RESPONSE — Unexpected response']);
  });

  it('never prints a secret, a signature or a full key, whatever happens', async () => {
    const outputs: string[] = [];
    const from = sandbox.requests.length;
    const behaviours = ['healthy', 'bad-secret', 'ip-not-whitelisted', 'read-only', 'clock-skew', 'rate-limited', 'unavailable', 'unexpected', 'echo'] as const;
    for (const behaviour of behaviours) {
      const { apiKey, apiSecret } = sandbox.credentials(behaviour);
      for (const json of [[], ['--json']]) {
        const run = await runCli([...target(behaviour), ...json], { EXCHANGE_API_KEY: apiKey, EXCHANGE_API_SECRET: apiSecret });
        outputs.push(run.stdout + run.stderr);
        expect(run.stdout).toContain(apiKey.slice(0, 4));
      }
    }
    const everything = outputs.join('\n');
    const sigs = sandbox.requests
      .slice(from)
      .map((r) => r.sig)
      .filter((s): s is string => typeof s === 'string');
    expect(sigs.length).toBeGreaterThan(10);
    for (const behaviour of behaviours) {
      const { apiKey, apiSecret } = sandbox.credentials(behaviour);
      expect(everything).not.toContain(apiSecret);
      expect(everything).not.toContain(apiKey);
      expect(everything).not.toContain(apiKey.slice(0, 5));
    }
    for (const sig of sigs) expect(everything).not.toContain(sig);
    expect(everything).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe('answers that prove nothing never make a plain OK (a key from the environment, the sandbox standing in for the exchange)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const check = (behaviour: Parameters<Sandbox['baseUrl']>[0], ...more: string[]) => {
    const { apiKey, apiSecret } = sandbox.credentials(behaviour);
    return runCli(['check', '--base-url', sandbox.baseUrl(behaviour), '--ip-echo-url', sandbox.ipEchoUrl, ...more], {
      EXCHANGE_API_KEY: apiKey,
      EXCHANGE_API_SECRET: apiSecret,
    });
  };

  it('a withdraw probe answering 503 prints "withdraw permission not determined" and a verdict that names what it did not verify', async () => {
    const text = await check('withdraw-probe-unavailable');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/⚠️ +withdraw-permission withdraw permission not determined/);
    expect(text.stdout).toContain('Diagnosis: OK — Key is healthy (not verified: withdraw permission)\n');
    const json = JSON.parse((await check('withdraw-probe-unavailable', '--json')).stdout) as {
      diagnosis: string;
      notVerified: string[];
      checks: { name: string; ok: boolean | null }[];
    };
    expect(json.diagnosis).toBe('OK');
    expect(json.notVerified).toEqual(['withdraw-permission']);
    expect(json.checks.find((c) => c.name === 'withdraw-permission')?.ok).toBeNull();
  });

  it('a healthy key with every check verified says nothing more, and --json lists nothing unverified', async () => {
    const text = await check('healthy');
    expect(text.stdout).toContain('Diagnosis: OK — Key is healthy\n');
    expect(JSON.parse((await check('healthy', '--json')).stdout)).toMatchObject({ diagnosis: 'OK', notVerified: [] });
  });

  it('a withdraw probe refused with an auth-class code other than 40101 is "not determined", never "cannot withdraw"', async () => {
    const text = await check('withdraw-probe-other-refusal');
    expect(text.stdout).toMatch(/withdraw-permission withdraw permission not determined: .*code 10002/);
    expect(text.stdout).not.toContain('cannot withdraw');
  });

  it('--expect-master with get-accounts answering 500 is EXCHANGE_UNAVAILABLE, exit 1, saying what it could not verify', async () => {
    const run = await check('accounts-unavailable', '--expect-master');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/❌ account +could not verify that the key belongs to the master account: HTTP 500, code 50001/);
    expect(run.stdout).toContain('Diagnosis: EXCHANGE_UNAVAILABLE');
    // Without the expectation the account details are only a warning, and the verdict says it did not verify them.
    const plain = await check('accounts-unavailable');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('Diagnosis: OK — Key is healthy (not verified: account)');
  });

  it('--expect-derivatives with an account answer that lacks the flags is UNEXPECTED_RESPONSE, exit 1', async () => {
    const run = await check('accounts-without-flags', '--expect-derivatives', '--json');
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as { diagnosis: string; checks: { name: string; detail: string }[] };
    expect(json.diagnosis).toBe('UNEXPECTED_RESPONSE');
    expect(json.checks.find((c) => c.name === 'account')?.detail).toMatch(/^could not verify derivatives access: /);
  });

  it('a 120 s clock skew is over the exchange’s 60 s nonce limit, not near it', async () => {
    const run = await check('clock-skew');
    expect(run.stdout).toMatch(/⚠️ +public-api +clock skew \+1[12]\d\.\d s: over the exchange’s 60 s nonce limit/);
    expect(run.stdout).not.toContain('near the exchange');
  });

  describe('with --expected-ip and an IP echo that answers something other than an IP', () => {
    it.each(['garbage', 'html', 'empty', 'error'] as const)('%s: EGRESS_NOT_VERIFIED, exit 1, never OK', async (mode) => {
      sandbox.setIpEcho(mode);
      try {
        const run = await check('healthy', '--expected-ip', '203.0.113.7');
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(/❌ egress-ip +could not verify the egress IP: /);
        expect(run.stdout).toContain('Diagnosis: EGRESS_NOT_VERIFIED — Egress IP not verified');
        expect(run.stdout).toContain('The IP echo did not answer with an IP address');
        // A real key verdict still wins over an unverified egress.
        const revoked = await check('ip-not-whitelisted', '--expected-ip', '203.0.113.7');
        expect(revoked.stdout).toContain('Diagnosis: IP_NOT_WHITELISTED');
      } finally {
        sandbox.setIpEcho('ip');
      }
    });

    it('an IP echo that does not answer at all is the same', async () => {
      const hole = await startBlackHole();
      const { apiKey, apiSecret } = sandbox.credentials('healthy');
      const run = await runCli(
        ['check', '--base-url', sandbox.baseUrl('healthy'), '--ip-echo-url', hole.endpoint, '--expected-ip', '203.0.113.7', '--timeout-ms', '300'],
        {
          EXCHANGE_API_KEY: apiKey,
          EXCHANGE_API_SECRET: apiSecret,
        },
      );
      await hole.close();
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('Diagnosis: EGRESS_NOT_VERIFIED');
    });
  });
});

describe('--secret-id against a Secrets Manager that never answers', () => {
  it('honours --timeout-ms and reports the stall instead of hanging', async () => {
    const hole = await startBlackHole();
    const started = Date.now();
    const run = await runCli(['check', '--secret-id', 'prod/cdc', '--timeout-ms', '300', '--json'], {
      AWS_ENDPOINT_URL: hole.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
    });
    await hole.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ diagnosis: 'SECRET_STORE_UNAVAILABLE' });
  });

  it('says when no region is set, with the fix', async () => {
    const run = await runCli(['check', '--secret-id', 'prod/cdc', '--json'], {
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    });
    expect(run.code).toBe(2);
    const json = JSON.parse(run.stdout) as { diagnosis: string; advice: string };
    expect(json.diagnosis).toBe('SECRET_NOT_READABLE');
    expect(json.advice).toContain('AWS_REGION');
  });
});

describe('npm start (the README’s first command)', () => {
  it('runs the sandbox check and exits 0', async () => {
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('npm', ['start', '--silent'], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp' },
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('SANDBOX exchange');
    expect(out.stdout).toContain('Diagnosis: OK');
  });
});

describe.skipIf(toolMissing('moto_server'))('--secret-id against Secrets Manager (moto_server) and the sandbox', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let aws: Record<string, string>;
  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    aws = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
    };
    const sm = new SecretsManagerClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const { apiKey, apiSecret } = sandbox.credentials('healthy');
    await sm.send(new CreateSecretCommand({ Name: 'cli/good', SecretString: JSON.stringify({ apiKey, apiSecret }) }));
    // What the console's key/value editor makes when the key is typed as the field name.
    await sm.send(new CreateSecretCommand({ Name: 'cli/kv', SecretString: JSON.stringify({ [apiKey]: apiSecret }) }));
    // The key JSON stored as binary (the CLI's --secret-binary, or an SDK call), not as a string.
    await sm.send(new CreateSecretCommand({ Name: 'cli/binary', SecretBinary: Buffer.from(JSON.stringify({ apiKey, apiSecret })) }));
    sm.destroy();
  });
  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  it('checks the key in the secret, with no AWS SDK end-of-support banner on Node 20', async () => {
    const run = await runCli(['check', '--secret-id', 'cli/good'], aws);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Diagnosis: OK');
    expect(run.stderr).toBe('');
  });

  it('a secret stored as SecretBinary is named as such (exit 2), not "no value yet", and its key is never shown', async () => {
    const { apiKey } = sandbox.credentials('healthy');
    const [text, json] = await Promise.all([
      runCli(['check', '--secret-id', 'cli/binary'], aws),
      runCli(['check', '--secret-id', 'cli/binary', '--json'], aws),
    ]);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('Diagnosis: CREDENTIALS_MALFORMED');
    expect(text.stdout).toContain('the secret holds binary data (SecretBinary); store the key as a JSON SecretString');
    expect(text.stdout).not.toContain('no value yet');
    expect(JSON.parse(json.stdout)).toMatchObject({ diagnosis: 'CREDENTIALS_MALFORMED', advice: expect.stringContaining('holds binary data') });
    expect(text.stdout + json.stdout).not.toContain(apiKey.slice(0, 5));
  });

  it('a secret in the console’s key/value form is CREDENTIALS_MALFORMED and its key is never shown, in text or JSON', async () => {
    const { apiKey, apiSecret } = sandbox.credentials('healthy');
    for (const args of [
      ['check', '--secret-id', 'cli/kv'],
      ['check', '--secret-id', 'cli/kv', '--json'],
    ]) {
      const run = await runCli(args, aws);
      expect(run.code).toBe(2);
      expect(run.stdout + run.stderr).toContain('CREDENTIALS_MALFORMED');
      expect(run.stdout + run.stderr).not.toContain(apiKey.slice(0, 5));
      expect(run.stdout + run.stderr).not.toContain(apiSecret);
    }
  });
});
