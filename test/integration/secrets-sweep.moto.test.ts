import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedSecrets } from '../../src/aws/secrets.js';
import { main } from '../../src/cli/key-monitor.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { BEHAVIOURS, startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { captureOutput, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';
import { leakedRuns } from '../support/echo-shapes.js';

// Every sandbox behaviour (echoes, escape codes, stalls, errors included) through the CLI, text and
// --json, and through one Lambda run with each key in the documented and the console's key/value
// shape: no run of 8 characters of an API secret, no signature the sandbox saw, and no run of more
// than 4 characters of a key.
describe.skipIf(toolMissing('moto_server'))('secrets never leave, whatever the exchange does', () => {
  let sandbox: Sandbox;
  let moto: Moto;
  beforeAll(async () => {
    [sandbox, moto] = await Promise.all([startSandbox({ slowMs: 300 }), startMoto()]);
    useEmulator(moto.endpoint);
  });
  afterAll(async () => {
    await Promise.all([sandbox?.close(), moto?.stop()]);
  });

  it('no secret, signature or full key in any output of any behaviour', async () => {
    let all = '';
    const io = { out: (t: string) => (all += t), err: (t: string) => (all += t) };
    const creds = BEHAVIOURS.map((b) => [b, sandbox.credentials(b)] as const);
    for (const [b, c] of creds) {
      for (const json of [[], ['--json']]) {
        await main(
          ['check', '--timeout-ms', '500', ...json],
          { EXCHANGE_API_KEY: c.apiKey, EXCHANGE_API_SECRET: c.apiSecret, EXCHANGE_BASE_URL: sandbox.baseUrl(b), IP_ECHO_URL: sandbox.ipEchoUrl },
          io,
        );
      }
    }
    const sm = new SecretsManagerClient({});
    const keys = [];
    for (const [b, c] of creds) {
      await sm.send(new CreateSecretCommand({ Name: `sw/${b}`, SecretString: JSON.stringify(c) }));
      await sm.send(new CreateSecretCommand({ Name: `sw/kv-${b}`, SecretString: JSON.stringify({ [c.apiKey]: c.apiSecret }) }));
      keys.push({ name: b, secretId: `sw/${b}`, expectTrade: true }, { name: `kv-${b}`, secretId: `sw/kv-${b}`, expectTrade: true });
    }
    sm.destroy();
    const config = loadRuntimeConfig({
      MONITORED_KEYS: JSON.stringify(keys),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      CHECK_TIMEOUT_MS: '500',
    });
    const { buildCheckHandler } = await import('../../src/handlers/check.js');
    const handler = buildCheckHandler(() => ({
      config,
      secrets: new CachedSecrets(new SecretsManagerClient({}), 1),
      target: lambdaCheckTarget(config),
      now: Date.now,
      incidents: null,
    }));
    const run = await captureOutput(() => handler({}, { functionName: 'c', awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 } as unknown as Context));
    all += run.raw + JSON.stringify(run.value);

    const sigs = sandbox.requests.map((r) => r.sig).filter((s): s is string => typeof s === 'string');
    expect(sigs.length).toBeGreaterThan(50);
    const leaks: string[] = [];
    for (const [b, c] of creds) {
      // Not only whole values: no run of 8 characters of a secret or 5 of a key, in any case, anywhere.
      for (const run of leakedRuns(all, c.apiSecret, 8)) leaks.push(`secret of ${b}: ${run}`);
      for (const run of leakedRuns(all, c.apiKey, 5)) leaks.push(`key of ${b}: ${run}`);
    }
    if (sigs.some((s) => all.includes(s))) leaks.push('a signature');
    expect(leaks).toEqual([]);
  }, 120_000);
});
