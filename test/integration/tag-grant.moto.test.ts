/**
 * Above 50 keys the Lambdas' IAM grant is by tag: any secret tagged `exchange-key-monitor=<stack>`
 * is readable, and anyone who may tag a secret can offer one. The key list bundled with the
 * functions is what decides what they touch; these tests hold the real handlers to that on
 * moto_server, with a tagged intruder secret (holding a working key) next to the monitored ones.
 */
import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedSecrets } from '../../src/aws/secrets.js';
import { SecretVersions } from '../../src/aws/secret-versions.js';
import type { ExchangeClient } from '../../src/exchange/client.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { checkClient } from '../../src/monitor/check-client.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { ACCESS_TAG_KEY } from '../../cdk/constructs/secret-access.js';
import { captureOutput, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

const context = { functionName: 'fn', awsRequestId: 'req-tag', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const TAG = [{ Key: ACCESS_TAG_KEY, Value: 'ExchangeKeyMonitor' }];

describe.skipIf(toolMissing('moto_server'))('the tag grant offers secrets; the key list decides (moto_server)', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sm: SecretsManagerClient;
  let client: ExchangeClient;
  /** Every secret id the Lambdas asked Secrets Manager about, as sent. */
  const asked: string[] = [];
  let intruderArn = '';
  const config = () =>
    loadRuntimeConfig({
      MONITORED_KEYS: JSON.stringify([
        { name: 'bot-1', secretId: 'tagged/bot-1', expectTrade: true },
        { name: 'bot-2', secretId: 'tagged/bot-2', expectTrade: true },
      ]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
    });

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    sm = new SecretsManagerClient({});
    for (const name of ['tagged/bot-1', 'tagged/bot-2'])
      await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(sandbox.mint('healthy')), Tags: TAG }));
    // Tagged like the monitored ones, named under the same prefix, holding a key that works: the
    // sandbox answers its key with a behaviour of its own, so any use of it shows in its requests.
    const intruder = await sm.send(new CreateSecretCommand({ Name: 'tagged/bot-3', SecretString: JSON.stringify(sandbox.mint('read-only')), Tags: TAG }));
    intruderArn = intruder.ARN as string;
    sm.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { SecretId?: string; SecretIdList?: string[]; Filters?: unknown };
        asked.push(...(input.SecretIdList ?? []), ...(input.SecretId ? [input.SecretId] : []), ...(input.Filters ? ['<filter>'] : []));
        return next(args);
      },
      { step: 'initialize', name: 'recordSecretIds' },
    );
    client = checkClient({ baseUrl: config().baseUrl, timeoutMs: 2_000 });
  });

  afterAll(async () => {
    await client?.close();
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  it('the check Lambda reads and checks only its configured keys', async () => {
    asked.length = 0;
    const from = sandbox.requests.length;
    const cfg = config();
    const { buildCheckHandler } = await import('../../src/handlers/check.js');
    const handler = buildCheckHandler(() => ({
      config: cfg,
      secrets: new CachedSecrets(sm, 1),
      target: lambdaCheckTarget(cfg),
      now: Date.now,
      incidents: null,
    }));
    const { value } = await captureOutput(() => handler({}, context));
    expect(value).toMatchObject({ checked: 2, unhealthy: [] });
    expect([...new Set(asked)].sort()).toEqual(['tagged/bot-1', 'tagged/bot-2']);
    const signed = sandbox.requests.slice(from).filter((r) => r.method.startsWith('private/'));
    expect(signed.length).toBeGreaterThan(0);
    expect(signed.filter((r) => r.behaviour === 'read-only')).toEqual([]);
  });

  it('the rotation Lambda refuses a tagged secret that is not one of its keys, and changes nothing on it', async () => {
    const cfg = config();
    const { buildRotationHandler } = await import('../../src/handlers/rotate.js');
    const notified: unknown[] = [];
    const handler = buildRotationHandler(() => ({
      keys: cfg.keys,
      target: { expectedIps: cfg.expectedIps, ipEchoUrl: cfg.ipEchoUrl, exchange: client, site: 'aws' },
      store: (secretId) => new SecretVersions(sm, secretId),
      notifier: { send: async (n) => void notified.push(n) },
      source: 'tag-test',
      links: [],
      now: Date.now,
      warn: () => {},
    }));
    await sm.send(
      new PutSecretValueCommand({ SecretId: intruderArn, SecretString: JSON.stringify(sandbox.mint('healthy')), VersionStages: ['KEYMONITOR_STAGED'] }),
    );
    const before = (await sm.send(new DescribeSecretCommand({ SecretId: intruderArn }))).VersionIdsToStages;
    const from = sandbox.requests.length;
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await expect(captureOutput(() => handler({ SecretId: intruderArn, ClientRequestToken: randomUUID(), Step }, context))).rejects.toMatchObject({
        reason: 'NOT_MONITORED',
      });
    }
    expect((await sm.send(new DescribeSecretCommand({ SecretId: intruderArn }))).VersionIdsToStages).toEqual(before);
    expect(sandbox.requests.length).toBe(from);
  });
});
