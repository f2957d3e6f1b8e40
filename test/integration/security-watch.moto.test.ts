import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import { CachedSecrets } from '../../src/aws/secrets.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startSandbox, type Behaviour, type Sandbox } from '../../src/sandbox/exchange.js';
import type { Credentials } from '../../src/monitor/types.js';
import { captureOutput, createStateTable, drainQueue, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

/**
 * The security watch on the check Lambda (moto_server for Secrets Manager, DynamoDB and SQS; the
 * sandbox exchange; a clock the test moves): money that leaves an account between two runs, a market
 * that falls, and orders the bot did not place, as they reach the notification queue.
 */
const skip = toolMissing('moto_server');
const context = { functionName: 'check', awsRequestId: 'req', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const MIN = 60_000;

describe.skipIf(skip)('the security watch tells the operator when money or orders move that the bot did not move', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sqs: SQSClient;
  let queueUrl: string;
  let clock = Date.UTC(2026, 11, 1, 10, 2, 0);
  let invoke: () => Promise<{ docs: Record<string, unknown>[]; raw: string }>;
  const keys = new Map<string, Credentials>();

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    const sm = new SecretsManagerClient({});
    sqs = new SQSClient({});
    await createStateTable('sec-state');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'sec-notifications' }))).QueueUrl as string;
    const behaviours: [string, Behaviour][] = [
      ['drained', 'healthy'],
      ['crashed', 'healthy'],
      ['trader', 'open-exposure'],
      ['unwatched', 'healthy'],
    ];
    for (const [name, behaviour] of behaviours) {
      const creds = sandbox.mint(behaviour);
      keys.set(name, creds);
      await sm.send(new CreateSecretCommand({ Name: `sec/${name}`, SecretString: JSON.stringify(creds) }));
    }
    const config = loadRuntimeConfig({
      ...process.env,
      MONITORED_KEYS: JSON.stringify([
        { name: 'drained', secretId: 'sec/drained', expectTrade: true },
        { name: 'crashed', secretId: 'sec/crashed', expectTrade: true },
        { name: 'trader', secretId: 'sec/trader', expectTrade: true, botClientOidPrefix: 'bot-7f3a-' },
        { name: 'unwatched', secretId: 'sec/unwatched', expectTrade: true, securityWatch: false },
      ]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      CHECK_TIMEOUT_MS: '1000',
    });
    const { buildCheckHandler } = await import('../../src/handlers/check.js');
    const handler = buildCheckHandler(() => ({
      config,
      secrets: new CachedSecrets(new SecretsManagerClient({}), 1),
      target: lambdaCheckTarget(config),
      now: () => clock,
      incidents: {
        store: new DynamoIncidentStore(new DynamoDBClient({}), 'sec-state', 30, () => clock),
        sink: new SqsNotificationQueue(sqs, queueUrl),
        policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 60 * MIN, keyMaxAgeDays: 90 },
        messages: { source: 'SecurityTest', expectedIps: config.expectedIps, links: () => [] },
        maintenance: null,
      },
    }));
    invoke = () => captureOutput(() => handler({}, context));
    await invoke();
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  const drain = () => drainQueue<Notification>(sqs, queueUrl);
  const about = (name: string, list: Notification[]) => list.filter((n) => (n.scope as { key?: string }).key === name);
  const become = (name: string, behaviour: Behaviour) => sandbox.setBehaviour(keys.get(name)!.apiKey, behaviour);

  it('says nothing on steady runs', async () => {
    clock += 5 * MIN;
    await invoke();
    expect(await drain()).toEqual([]);
  });

  it('a 40 % drop of the quantities is one warning with before and after; prices that halve with the same quantities are nothing', async () => {
    become('drained', 'funds-dropped');
    become('crashed', 'prices-halved');
    become('unwatched', 'funds-dropped');
    clock += 5 * MIN;
    await invoke();
    const sent = await drain();
    expect(about('crashed', sent)).toEqual([]);
    expect(about('unwatched', sent)).toEqual([]);
    const [warning, ...more] = about('drained', sent);
    expect(more).toEqual([]);
    expect(warning?.kind).toBe('opened');
    expect(warning?.severity).toBe('warning');
    expect(warning?.subject).toContain('drained: Money or assets left the account');
    expect(warning?.summary).toContain("drained: The account's value fell 40.0 % ($7,435.42)");
    const fact = (label: string) => warning?.facts.find((f) => f.label === label)?.value;
    expect(fact('Before')).toBe('18 balances, total $18,588.54 at 2026-12-01 10:07 UTC ($18,588.55 at the newer prices)');
    expect(fact('After')).toBe('18 balances, total $11,153.13 at 2026-12-01 10:12 UTC');
    expect(fact('Changed')).toMatch(/^CRO 24,422.72427884 → 14,653.6345673 \(−\$1,910.45\); BTC 0.0412 → 0.02472 \(−\$1,605.49\);.* and 5 more$/);
    expect(warning?.fix).toContain('rotate');
  });

  it('the same drop is not reported again, and a healthy run does not close the security incident', async () => {
    clock += 5 * MIN;
    await invoke();
    expect(await drain()).toEqual([]);
  });

  it('an order without the bot’s client_oid prefix is a warning naming it, once', async () => {
    become('trader', 'foreign-orders');
    clock += 5 * MIN;
    await invoke();
    const [warning, ...more] = about('trader', await drain());
    expect(more).toEqual([]);
    expect(warning?.subject).toContain('trader: Orders your bot did not place');
    expect(warning?.facts.find((f) => f.label === 'Orders')?.value).toBe('CRO_USD SELL 24000 [x-web-1764900300]');
    clock += 5 * MIN;
    await invoke();
    expect(about('trader', await drain())).toEqual([]);
  });
});
