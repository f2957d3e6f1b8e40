/**
 * `key-monitor ack` as an operator runs it: the built CLI in its own process, against a deployed
 * monitor on moto_server (a stack whose outputs name the state table and the queue), whose real check
 * handler runs under a clock the test moves and writes the incidents the CLI acknowledges.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import { CachedSecrets } from '../../src/aws/secrets.js';
import type { Notification } from '../../src/contract/notification.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { captureOutput, createStateTable, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';
import { runCli } from '../support/run-cli.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const STACK = 'AckTest';
const context = { functionName: 'check', awsRequestId: 'req', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

describe.skipIf(toolMissing('moto_server'))('key-monitor ack against a deployed monitor (moto_server)', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let aws: Record<string, string>;
  let sqs: SQSClient;
  let queueUrl: string;
  let store: DynamoIncidentStore;
  let check: () => Promise<void>;
  let flakyKey: string;
  let steadyKey: string;
  const clock = { now: Date.now() - 20 * HOUR };

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    aws = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
    sqs = new SQSClient({});
    await createStateTable('ack-state');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ack-queue', Attributes: { VisibilityTimeout: '0' } }))).QueueUrl as string;
    const template = {
      Resources: { Marker: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: { StateTableName: { Value: 'ack-state' }, NotificationQueueUrl: { Value: queueUrl }, ScheduleMinutes: { Value: '5' } },
    };
    await new CloudFormationClient({}).send(new CreateStackCommand({ StackName: STACK, TemplateBody: JSON.stringify(template) }));
    const sm = new SecretsManagerClient({});
    const steady = sandbox.mint('healthy');
    const flaky = sandbox.mint('read-only');
    flakyKey = flaky.apiKey;
    steadyKey = steady.apiKey;
    await sm.send(new CreateSecretCommand({ Name: 'ack/steady', SecretString: JSON.stringify(steady) }));
    await sm.send(new CreateSecretCommand({ Name: 'ack/flaky', SecretString: JSON.stringify(flaky) }));
    const config = loadRuntimeConfig({
      MONITORED_KEYS: JSON.stringify([
        { name: 'steady', secretId: 'ack/steady', expectTrade: true },
        { name: 'flaky', secretId: 'ack/flaky', expectTrade: true },
      ]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
    });
    store = new DynamoIncidentStore(new DynamoDBClient({}), 'ack-state', 30, () => clock.now);
    const { buildCheckHandler } = await import('../../src/handlers/check.js');
    const handler = buildCheckHandler(() => ({
      config,
      secrets: new CachedSecrets(new SecretsManagerClient({}), 1),
      target: lambdaCheckTarget(config),
      now: () => clock.now,
      incidents: {
        store,
        sink: new SqsNotificationQueue(new SQSClient({}), queueUrl),
        policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 4 * HOUR, keyMaxAgeDays: 90 },
        messages: { source: STACK, expectedIps: config.expectedIps, links: () => [] },
        maintenance: null,
      },
    }));
    check = async () => {
      await captureOutput(() => handler({}, context));
    };
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  const cli = (args: string[], env: Record<string, string> = {}) => runCli([...args, '--stack', STACK], { ...aws, ...env });
  /** Everything on the queue now, taken off it. */
  const drain = async (): Promise<Notification[]> => {
    const all: Notification[] = [];
    for (;;) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = out.Messages ?? [];
      if (messages.length === 0) return all;
      for (const m of messages) {
        all.push(JSON.parse(m.Body ?? '{}') as Notification);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle as string }));
      }
    }
  };
  /** Check runs every 5 min for `ms`. */
  const runFor = async (ms: number) => {
    for (const end = clock.now + ms; clock.now < end; clock.now += 5 * MIN) await check();
  };
  const flakyIncident = async () => (await store.load(['steady', 'flaky'])).keys.get('flaky')?.state.incident ?? null;

  it('acknowledges a key’s open incident: the state says who, the acknowledged notification is queued, exit 0 with --json', async () => {
    await runFor(10 * MIN);
    expect((await drain()).map((n) => n.kind)).toEqual(['opened']);
    const run = await cli(['ack', 'flaky', '--by', 'Ann', '--note', 'rotating now', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ acknowledged: true, key: 'flaky', diagnosis: 'TRADE_PERMISSION_MISSING', by: 'Ann', byFrom: '--by', note: 'rotating now' });
    const incident = await flakyIncident();
    expect(incident?.ack).toMatchObject({ by: 'Ann', note: 'rotating now', via: 'cli' });
    const sent = await drain();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'acknowledged', severity: 'info', scope: { type: 'key', key: 'flaky' }, source: STACK });
    expect(sent[0]?.subject).toMatch(/^ℹ️ flaky: Ann is on it — /);
    expect(sent[0]?.facts).toContainEqual({ label: 'Acknowledged', value: expect.stringMatching(/^Ann is on it \(since .+\): rotating now$/) });
    // The outbox it went through is empty again.
    expect((await store.load(['flaky'])).keys.get('flaky')?.outbox).toEqual([]);
  });

  it('a second acknowledgement of the same incident state is refused, named, exit 5; nothing is queued', async () => {
    const run = await cli(['ack', 'flaky', '--by', 'Bob', '--json']);
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/^key-monitor: ack: incident key:flaky:\d+ is already acknowledged by Ann \(since .+ UTC\)\n$/);
    expect(JSON.parse(run.stdout)).toMatchObject({ acknowledged: false, error: { kind: 'already-acknowledged' }, acknowledgedBy: 'Ann' });
    expect((await flakyIncident())?.ack?.by).toBe('Ann');
    expect(await drain()).toEqual([]);
  });

  it('a healthy key or a name that is nothing gets "no open incident", exit 3', async () => {
    const healthy = await cli(['ack', 'steady']);
    expect(healthy.code).toBe(3);
    expect(healthy.stderr).toBe('key-monitor: ack: key steady has no open incident\n');
    const nothing = await cli(['ack', 'key:nobody:1', '--json']);
    expect(nothing.code).toBe(3);
    expect(JSON.parse(nothing.stdout)).toMatchObject({ error: { kind: 'no-open-incident' } });
    const missing = await cli(['ack']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe(
      'key-monitor: ack needs what to acknowledge: a monitored key’s name or an open incident’s id (key-monitor status lists both)',
    );
  });

  it('status shows who acknowledged and when', async () => {
    const json = await cli(['status', '--json']);
    const report = JSON.parse(json.stdout) as { keys: { key: string; acknowledged: unknown }[] };
    expect(report.keys.find((k) => k.key === 'flaky')?.acknowledged).toMatchObject({ by: 'Ann', note: 'rotating now', via: 'cli' });
    expect(report.keys.find((k) => k.key === 'steady')?.acknowledged).toBeNull();
    const text = await cli(['status']);
    expect(text.stdout).toMatch(/flaky +key:flaky:\d+ +👤 acknowledged by Ann at \d{4}-\d\d-\d\d \d\d:\d\d UTC: rotating now/);
  });

  it('reminders stop while acknowledged; a change of diagnosis clears it and alerts again; reminders resume', async () => {
    await runFor(9 * HOUR);
    expect(await drain()).toEqual([]);
    sandbox.setBehaviour(flakyKey, 'ip-not-whitelisted');
    await runFor(10 * MIN);
    expect((await drain()).map((n) => n.kind)).toEqual(['changed']);
    expect((await flakyIncident())?.ack ?? null).toBeNull();
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { keys: { key: string; acknowledged: unknown }[] };
    expect(status.keys.find((k) => k.key === 'flaky')?.acknowledged).toBeNull();
    await runFor(4 * HOUR);
    expect((await drain()).map((n) => n.kind)).toEqual(['reminder']);
  });

  it('acknowledges by incident id; without --by it names the caller’s AWS identity and says so', async () => {
    const id = (await flakyIncident())?.id as string;
    const run = await cli(['ack', id]);
    expect(run.code, run.stderr).toBe(0);
    // moto's GetCallerIdentity answers arn:aws:sts::123456789012:user/moto.
    expect(run.stdout).toMatch(/^Acknowledged key flaky \(.+\) as moto \(from your AWS identity\)\.\n/);
    expect((await flakyIncident())?.ack).toMatchObject({ by: 'moto', via: 'cli' });
    expect((await drain()).map((n) => [n.kind, n.id])).toEqual([['acknowledged', expect.stringMatching(new RegExp(`^${id}#ack:`))]]);
  });

  it('resolution ends the acknowledged incident: nothing is left to acknowledge', async () => {
    sandbox.setBehaviour(flakyKey, 'healthy');
    await runFor(5 * MIN);
    expect((await drain()).map((n) => n.kind)).toEqual(['resolved']);
    expect(await flakyIncident()).toBeNull();
    const run = await cli(['ack', 'flaky']);
    expect(run.code).toBe(3);
  });

  it('a security incident is acknowledged the same way, by key or by id; status shows it acknowledged', async () => {
    const w = { currency: 'BTC', amount: 0.5, address: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh', network_id: 'BTC', status: '5' };
    sandbox.recordWithdrawal(steadyKey, { ...w, id: 'w-ack-1', create_time: clock.now + MIN });
    await runFor(65 * MIN);
    const opened = (await drain()).filter((n) => n.scope.type === 'key' && n.scope.key === 'steady');
    expect(opened.map((n) => [n.kind, n.severity])).toEqual([['opened', 'critical']]);
    const run = await cli(['ack', 'steady', '--by', 'Ann', '--note', 'not us: rotating', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ acknowledged: true, key: 'steady', diagnosis: 'WITHDRAWAL_DETECTED', by: 'Ann' });
    expect(String(out['incidentId'])).toMatch(/^security:steady:\d+$/);
    const state = (await store.load(['steady'])).keys.get('steady')?.state;
    expect(state?.security?.ack).toMatchObject({ by: 'Ann', note: 'not us: rotating', via: 'cli' });
    expect((await drain()).map((n) => n.kind)).toEqual(['acknowledged']);
    const again = await cli(['ack', String(out['incidentId']), '--by', 'Bob']);
    expect(again.code).toBe(5);
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { keys: { key: string; security?: { acknowledged: unknown } }[] };
    expect(status.keys.find((k) => k.key === 'steady')?.security?.acknowledged).toMatchObject({ by: 'Ann', note: 'not us: rotating', via: 'cli' });
  });
});
