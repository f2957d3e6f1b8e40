import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { runCli, type CliRun } from '../support/run-cli.js';

/**
 * Inputs that name no real secret, stack or proxy get a named error (exit 2, nothing done), from the
 * built CLI as a user runs it. A sandbox with a working key stands by: a command that ignored the bad
 * input and went on with the environment's key would reach it, and these tests would see it.
 */
describe('key-monitor check and rotate: secrets, stacks and proxies that cannot be meant', () => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  beforeAll(async () => {
    sandbox = await startSandbox();
    const { apiKey, apiSecret } = sandbox.credentials('healthy');
    env = { EXCHANGE_API_KEY: apiKey, EXCHANGE_API_SECRET: apiSecret, EXCHANGE_BASE_URL: sandbox.baseUrl(), IP_ECHO_URL: sandbox.ipEchoUrl };
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const usage = (run: CliRun, message: string) => {
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(2);
    expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  };

  it.each([
    [['check', '--secret-id', ''], {}, '--secret-id is empty: give the secret’s name or ARN'],
    [['check', '--secret-id', '   '], {}, '--secret-id is empty'],
    [['check', '--secret-id', 'prod/cdc trading'], {}, '--secret-id: "prod/cdc trading" is not a secret name'],
    [['check', '--secret-id', 'prod/cdc\nDiagnosis: OK'], {}, '--secret-id: "prod/cdc Diagnosis: OK" is not a secret name'],
    [['check', '--secret-id', 'x'.repeat(513)], {}, 'is not a secret name'],
    [['check', '--secret-id', 'arn:aws:secretsmanager:eu-west-1:123:secret:x'], {}, 'is not a secret name'],
    [['rotate', '--secret-id', ''], {}, '--secret-id is empty'],
    [['rotate', '--secret-id', 'prod/*'], {}, '--secret-id: "prod/*" is not a secret name'],
    [['rotate', '--secret-id', 'prod/cdc', '--stack', ''], {}, '--stack is empty'],
    [['rotate', '--secret-id', 'prod/cdc', '--stack', '-x'], {}, '--stack needs a value'],
    [['verify', '--key', 'trading'], {}, '--key is a nudge option; verify takes --stack, --json, --wait-seconds, --timeout-ms'],
    [['verify', '--wait-seconds', '0'], {}, '--wait-seconds'],
    [['ack', 'trading', '--note', 'x'.repeat(201)], {}, '--note is 201 characters; at most 200 fit in an alert'],
    [['ack', 'trading', '--by', 'y'.repeat(61)], {}, '--by is 61 characters; at most 60 fit in an alert'],
    [['ack', 'trading', '--note', '\u0007 '], {}, '--note is empty'],
    [['nudge'], {}, 'nudge needs --key NAME'],
    [['nudge', '--key', 'trading bot'], {}, 'nudge needs --key NAME'],
    [['nudge', '--key', 'trading', '--reason', ' '], {}, '--reason is empty'],
    [['nudge', '--key', 'trading', '--sandbox'], {}, '--sandbox is a check option; nudge takes --stack, --key, --reason, --json, --timeout-ms'],
    [
      ['check', '--proxy', 'http://proxy.example.com:3128'],
      { KEY_MONITOR_PROXY_TOKEN: 'proxy-token-123456' },
      '--proxy is plain http:// to a host that is not loopback: the proxy token (KEY_MONITOR_PROXY_TOKEN) would cross the network in clear text',
    ],
    [
      [],
      { USE_CRYPTO_PROXY: 'true', CRYPTO_PROXY_URL: 'http://10.0.0.5:3128', CRYPTO_PROXY_TOKEN: 'proxy-token-123456' },
      'CRYPTO_PROXY_URL is plain http:// to a host that is not loopback: the proxy token (CRYPTO_PROXY_TOKEN)',
    ],
    [[], { HTTPS_PROXY: 'http://proxy.corp:8080', KEY_MONITOR_PROXY_TOKEN: 'proxy-token-123456' }, 'HTTPS_PROXY is plain http://'],
    [
      ['check', '--proxy', 'https://proxy.example.com:3128/tunnel'],
      {},
      '--proxy must be http(s)://host:port only: a CONNECT proxy takes no path, query or fragment',
    ],
    [['check', '--proxy', 'https://proxy.example.com:3128?auth=abc'], {}, '--proxy must be http(s)://host:port only'],
    [[], { HTTPS_PROXY: 'http://proxy.corp:8080/#frag' }, 'HTTPS_PROXY must be http(s)://host:port only'],
  ])('%o with %o', async (args, extra, message) => {
    const before = sandbox.requests.length;
    const run = await runCli(args.length > 0 ? args : ['check'], { ...env, ...extra });
    usage(run, message);
    expect(run.stdout).toBe('');
    expect(sandbox.requests.length).toBe(before); // nothing was checked with the environment's key
    expect(run.stderr).not.toContain('proxy-token-123456');
  });

  it('a JSON caller gets the same error as JSON', async () => {
    const run = await runCli(['check', '--secret-id', '', '--json'], env);
    usage(run, '--secret-id is empty');
    expect(JSON.parse(run.stdout)).toEqual({ schemaVersion: 1, error: { kind: 'usage', message: '--secret-id is empty: give the secret’s name or ARN' } });
  });

  it('still takes what is meant: a proxy token over https://, plain http:// without a token or on loopback', async () => {
    // The proxy is not there: the check must get as far as trying it (a named proxy fault, not a usage error).
    for (const [args, extra] of [
      [['--proxy', 'https://localhost:9'], { KEY_MONITOR_PROXY_TOKEN: 'proxy-token-123456' }],
      [['--proxy', 'http://127.0.0.1:9/'], { KEY_MONITOR_PROXY_TOKEN: 'proxy-token-123456' }],
      [['--proxy', 'http://127.0.0.1:9'], {}],
    ] as [string[], Record<string, string>][]) {
      const run = await runCli(['check', '--json', '--timeout-ms', '500', ...args], { ...env, ...extra });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toMatchObject({ diagnosis: 'PROXY_UNREACHABLE' });
    }
  });
});
