import { gzipSync } from 'node:zlib';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import { CachedSecrets } from '../../src/aws/secrets.js';
import { DynamoTriggerGate } from '../../src/aws/trigger-gate.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startSandbox, type Behaviour, type Sandbox } from '../../src/sandbox/exchange.js';
import type { Credentials } from '../../src/monitor/types.js';
import { captureOutput, createStateTable, drainQueue, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

/**
 * Instant detection: the verify Lambda on moto_server (Secrets Manager, DynamoDB, SQS) with the sandbox
 * exchange. A subscription event from the bot's log group (gzip + base64, as CloudWatch Logs sends
 * it) or a nudge checks that one key now; the alert opens on the monitor's own answer and says both.
 */
const skip = toolMissing('moto_server');
const context = { functionName: 'verify', awsRequestId: 'req', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const MIN = 60_000;
const TABLE = 'verify-state';
const BOT_GROUP = '/ecs/trading-bot';

/** What CloudWatch Logs delivers to a subscription's Lambda destination. */
function logEvent(logGroup: string, messages: { timestamp: number; message: string }[], messageType = 'DATA_MESSAGE') {
  const body = {
    messageType,
    owner: '123456789012',
    logGroup,
    logStream: 'ecs/bot/abc',
    subscriptionFilters: ['KeyMonitorTrigger'],
    logEvents: messages.map((m, i) => ({ id: String(i), ...m })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(body)).toString('base64') } };
}

describe.skipIf(skip)('a bot’s log line or a nudge verifies its key at once', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sqs: SQSClient;
  let queueUrl: string;
  let clock = Date.UTC(2026, 11, 1, 12, 3, 4);
  const keys = new Map<string, Credentials>();
  let verify: (event: unknown) => Promise<{ value: Record<string, unknown>; raw: string; docs: Record<string, unknown>[] }>;
  let scheduled: () => Promise<unknown>;
  const store = () => new DynamoIncidentStore(new DynamoDBClient({}), TABLE, 30, () => clock);
  /** The verify function's store; a test can run something between its reads and its run-record write. */
  let beforeRunEntry: (() => Promise<unknown>) | null = null;
  const verifyStore = Object.assign(store(), {});
  const saveRunEntry = verifyStore.saveRunEntry.bind(verifyStore);
  verifyStore.saveRunEntry = async (...args: Parameters<typeof saveRunEntry>) => {
    const between = beforeRunEntry;
    beforeRunEntry = null;
    await between?.();
    return saveRunEntry(...args);
  };

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    const sm = new SecretsManagerClient({});
    sqs = new SQSClient({});
    await createStateTable(TABLE);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'verify-notifications' }))).QueueUrl as string;
    for (const name of ['bot', 'other']) {
      const creds = sandbox.mint('healthy');
      keys.set(name, creds);
      await sm.send(new CreateSecretCommand({ Name: `verify/${name}`, SecretString: JSON.stringify(creds) }));
    }
    const config = loadRuntimeConfig({
      ...process.env,
      MONITORED_KEYS: JSON.stringify([...keys.keys()].map((name) => ({ name, secretId: `verify/${name}`, expectTrade: true }))),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      CHECK_TIMEOUT_MS: '1000',
    });
    const incidents = {
      sink: new SqsNotificationQueue(sqs, queueUrl),
      policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 60 * MIN, keyMaxAgeDays: 90 },
      messages: { source: 'VerifyTest', expectedIps: config.expectedIps, links: () => [] },
    };
    const { buildVerifyHandler } = await import('../../src/handlers/verify.js');
    const verifyHandler = buildVerifyHandler(() => ({
      config,
      logGroups: new Map([[BOT_GROUP, 'bot']]),
      secrets: new CachedSecrets(new SecretsManagerClient({}), 1),
      target: lambdaCheckTarget(config),
      now: () => clock,
      gate: new DynamoTriggerGate(new DynamoDBClient({}), TABLE),
      store: verifyStore,
      ...incidents,
    }));
    verify = (event) => captureOutput(() => verifyHandler(event, context) as Promise<Record<string, unknown>>);
    const { buildCheckHandler } = await import('../../src/handlers/check.js');
    const checkHandler = buildCheckHandler(() => ({
      config,
      secrets: new CachedSecrets(new SecretsManagerClient({}), 1),
      target: lambdaCheckTarget(config),
      now: () => clock,
      incidents: { ...incidents, store: store(), maintenance: null },
    }));
    scheduled = () => captureOutput(() => checkHandler({}, context));
    await scheduled(); // the deployment's first scheduled run: both keys healthy, states and run records written
    await drainQueue(sqs, queueUrl);
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  beforeEach(() => {
    clock += 5 * MIN; // past any earlier test's debounce window
    sandbox.requests.length = 0;
  });

  const behave = (name: string, b: Behaviour) => sandbox.setBehaviour(keys.get(name)!.apiKey, b);
  const sent = (method: string, name: string) => sandbox.requests.filter((r) => r.method === method && r.apiKey === keys.get(name)?.apiKey).length;
  const drain = () => drainQueue<Notification>(sqs, queueUrl);
  const item = async (pk: string, sk = 'STATE') =>
    (await new DynamoDBClient({}).send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }))).Item;

  it('a bot’s 40103 log line opens the incident on the monitor’s own answer, and the alert says both', async () => {
    behave('bot', 'ip-not-whitelisted');
    const logged = clock - 5_000;
    const apiKey = keys.get('bot')!.apiKey;
    const { value } = await verify(
      logEvent(BOT_GROUP, [{ timestamp: logged, message: `order refused {"code":40103,"message":"IP_ILLEGAL"} api_key=${apiKey}` }]),
    );
    expect(value).toMatchObject({ status: 'verified', key: 'bot', diagnosis: 'IP_NOT_WHITELISTED', healthy: false });
    const queued = await drain();
    expect(queued.map((n) => [n.kind, (n.scope as { key?: string }).key])).toEqual([['opened', 'bot']]);
    const text = JSON.stringify(queued[0]);
    const at = (ms: number) => new Date(ms).toISOString().slice(11, 19);
    expect(text).toContain(`your bot logged \\"order refused {\\"code\\":40103,\\"message\\":\\"IP_ILLEGAL\\"} api_key=`);
    expect(text).toContain(`at ${at(logged)} UTC (log group ${BOT_GROUP}); verified from 203.0.113.7 at ${at(clock)} UTC`);
    // The bot logged its whole key: the alert shows no more than its first four characters.
    expect(text).not.toContain(apiKey.slice(0, 5));
    // Every probe ran for it, once; the other key was not touched.
    expect([sent('private/user-balance', 'bot'), sent('private/cancel-order', 'bot'), sent('private/get-accounts', 'bot')]).toEqual([1, 1, 1]);
    expect(sandbox.requests.filter((r) => r.apiKey === keys.get('other')!.apiKey)).toEqual([]);
    behave('bot', 'healthy');
  });

  it('fifty log lines in the same minute verify once; a line after the minute verifies again', async () => {
    const event = logEvent(BOT_GROUP, [{ timestamp: clock, message: '{"code":40101,"message":"UNAUTHORIZED"}' }]);
    const results = await Promise.all(Array.from({ length: 50 }, () => verify(event)));
    const statuses = results.map((r) => r.value['status']);
    expect(statuses.filter((s) => s === 'verified')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'already-verifying')).toHaveLength(49);
    expect(sent('private/user-balance', 'bot')).toBe(1);
    clock += 30_000;
    expect((await verify(event)).value['status']).toBe('already-verifying');
    clock += 31_000;
    expect((await verify(event)).value['status']).toBe('verified');
    expect(sent('private/user-balance', 'bot')).toBe(2);
  });

  it('a healthy verification says nothing to the channels, resolves what it proves gone, and is the key’s last check', async () => {
    const { value } = await verify({ key: 'bot', reason: 'order refused' });
    expect(value).toMatchObject({ status: 'verified', key: 'bot', diagnosis: 'OK', healthy: true });
    // The incident of the first test is proven gone by this full check: resolved, said once.
    const queued = await drain();
    expect(queued.map((n) => n.kind)).toEqual(['resolved']);
    const again = clock;
    clock += 2 * MIN;
    expect((await verify({ key: 'bot' })).value).toMatchObject({ status: 'verified', healthy: true, notified: [] });
    expect(await drain()).toEqual([]);
    const loaded = await store().load(['bot', 'other']);
    expect(loaded.runs.get('bot')?.at).toBe(clock);
    expect(loaded.runs.get('bot')?.at).toBeGreaterThan(again);
  });

  it('checks only its own key: the other key’s state, the monitor state and the key list stay as the scheduled run wrote them', async () => {
    const before = await Promise.all([item('KEY#other'), item('MONITOR'), item('MONITOR', 'KEYS')]);
    behave('bot', 'ip-not-whitelisted');
    behave('other', 'ip-not-whitelisted');
    await verify({ key: 'bot' });
    const after = await Promise.all([item('KEY#other'), item('MONITOR'), item('MONITOR', 'KEYS')]);
    expect(after).toEqual(before);
    expect((await store().load(['bot', 'other'])).keys.get('bot')?.state.incident?.diagnosis).toBe('IP_NOT_WHITELISTED');
    behave('other', 'healthy');
    behave('bot', 'healthy');
    clock += 2 * MIN;
    await verify({ key: 'bot' });
    await drain();
  });

  it('a scheduled run and a verification of the same key at the same moment open one incident, said once', async () => {
    behave('bot', 'ip-not-whitelisted');
    await Promise.all([scheduled(), verify({ key: 'bot' })]);
    const opened = (await drain()).filter((n) => n.kind === 'opened');
    expect(opened.map((n) => (n.scope as { key?: string }).key)).toEqual(['bot']);
    behave('bot', 'healthy');
    clock += 2 * MIN;
    await verify({ key: 'bot' });
    await drain();
  });

  it('two verifications of keys in the same run-record shard at once: both entries kept', async () => {
    const at = clock;
    const results = await Promise.all([verify({ key: 'bot' }), verify({ key: 'other' })]);
    expect(results.map((r) => r.value['status'])).toEqual(['verified', 'verified']);
    const runs = (await store().load(['bot', 'other'])).runs;
    expect([runs.get('bot')?.at, runs.get('other')?.at]).toEqual([at, at]);
    await drain();
  });

  it('a scheduled run that writes the key’s run record while a verification is under way keeps its count', async () => {
    const day = new Date(clock).toISOString().slice(0, 10);
    const before = (await store().load(['bot', 'other'])).runs.get('bot')?.days[day] ?? [0, 0];
    beforeRunEntry = () => scheduled();
    await verify({ key: 'bot' });
    await drain();
    // Both the scheduled run and the verification counted: neither wrote over the other.
    expect((await store().load(['bot', 'other'])).runs.get('bot')?.days[day]).toEqual([before[0] + 2, before[1] + 2]);
  });

  it('ignores the control message a new subscription sends; refuses a log group or key it does not know, checking nothing', async () => {
    expect((await verify(logEvent(BOT_GROUP, [], 'CONTROL_MESSAGE'))).value).toEqual({ status: 'ignored' });
    const unmapped = await verify(logEvent('/ecs/someone-else', [{ timestamp: clock, message: '40101' }]));
    expect(unmapped.value).toEqual({ status: 'refused', error: 'TriggerInputError: the log group is not mapped to a monitored key' });
    expect((await verify({ key: 'nobody' })).value).toEqual({ status: 'refused', error: 'TriggerInputError: the key is not a monitored key' });
    expect((await verify({ awslogs: { data: 'not gzip' } })).value).toMatchObject({ status: 'refused' });
    expect((await verify('hello')).value).toMatchObject({ status: 'refused' });
    expect(sandbox.requests).toEqual([]);
    expect(await drain()).toEqual([]);
  });

  it('money that left before a verification is still reported by the next scheduled run: a verification does not move the comparison', async () => {
    await scheduled();
    await drain();
    behave('other', 'funds-dropped');
    clock += MIN;
    expect((await verify({ key: 'other' })).value).toMatchObject({ status: 'verified', key: 'other', healthy: true });
    clock += 4 * MIN;
    await scheduled();
    const dropped = (await drain()).filter((n) => (n.scope as { key?: string }).key === 'other');
    expect(dropped.map((n) => n.subject)).toEqual(['🟠 other: Money or assets left the account — check the account; rotate the key if you did not move it']);
    behave('other', 'healthy');
  });
});
