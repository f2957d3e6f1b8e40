/**
 * `key-monitor mute | unmute | test-alert` as an operator runs them: the built CLI in its own
 * process, against a deployed monitor on moto_server (a CloudFormation stack whose outputs name the
 * state table, the notification queue, the email topic and the channels secret). For test-alert the
 * real notifier handler works the queue in this process, delivering to loopback receivers, as the
 * deployed NotifierFunction would.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CachedChannelsSecret } from '../../src/aws/channels-secret.js';
import { DynamoDeliveryLedger } from '../../src/aws/delivery-ledger.js';
import { dynamoDbCall } from '../../src/aws/dynamodb-call.js';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { SqsMessageVisibility } from '../../src/aws/notification-queue.js';
import { SnsPublisher } from '../../src/aws/sns-publish.js';
import { createHttpSender, type HttpSender } from '../../src/channels/deliver.js';
import type { Notification } from '../../src/contract/notification.js';
import { buildNotifyHandler } from '../../src/handlers/notify.js';
import { PATHS, SIGNING_SECRET } from '../channels/support/cases.js';
import { startReceiver, type Receiver } from '../channels/support/receiver.js';
import { sqsEventOf } from '../support/sqs-event.js';
import { captureOutput, createStateTable, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';
import { runCli, type CliRun } from '../support/run-cli.js';

const HOUR = 3_600_000;
/** The documented cap (docs/incidents.md → Mute), written out: the test must fail if the code's cap changes. */
const LONGEST_MUTE_HOURS = 7 * 24;
const context = { functionName: 'notify', awsRequestId: 'req-t', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

describe.skipIf(toolMissing('moto_server'))('key-monitor mute, unmute and test-alert against a deployed monitor (moto_server)', () => {
  let moto: Moto;
  let aws: Record<string, string>;
  let sqs: SQSClient;
  let queueUrl: string;
  let queueArn: string;
  let store: DynamoIncidentStore;
  let slack: Receiver;
  let webhook: Receiver;
  let sender: HttpSender;
  let notify: ReturnType<typeof buildNotifyHandler>;

  const template = (outputs: Record<string, string>) =>
    JSON.stringify({
      Resources: { Marker: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
    });

  beforeAll(async () => {
    moto = await startMoto();
    useEmulator(moto.endpoint);
    aws = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
    sqs = new SQSClient({});
    const sns = new SNSClient({});
    const sm = new SecretsManagerClient({});
    await createStateTable('ops-state');
    await createStateTable('bare-state');
    store = new DynamoIncidentStore(new DynamoDBClient({}), 'ops-state', 30);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ops-notifications', Attributes: { VisibilityTimeout: '0' } }))).QueueUrl as string;
    queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'] as string;
    const bareQueue = (await sqs.send(new CreateQueueCommand({ QueueName: 'bare-notifications' }))).QueueUrl as string;
    const emailTopic = (await sns.send(new CreateTopicCommand({ Name: 'ops-email' }))).TopicArn as string;
    await sns.send(new SubscribeCommand({ TopicArn: emailTopic, Protocol: 'email', Endpoint: 'ops@example.com' }));
    [slack, webhook] = await Promise.all([startReceiver(), startReceiver()]);
    await sm.send(
      new CreateSecretCommand({
        Name: 'ops/channels',
        SecretString: JSON.stringify({
          slack: { webhookUrl: `${slack.baseUrl}${PATHS.slack}` },
          webhook: { url: `${webhook.baseUrl}${PATHS.webhook}`, signingSecret: SIGNING_SECRET },
        }),
      }),
    );
    await sm.send(new CreateSecretCommand({ Name: 'bare/channels', SecretString: '{}' }));
    const cf = new CloudFormationClient({});
    // Created first, so it is what a lookup with no name would find first.
    await cf.send(
      new CreateStackCommand({
        StackName: 'Ops',
        TemplateBody: template({
          StateTableName: 'ops-state',
          NotificationQueueUrl: queueUrl,
          AlertTopicArn: emailTopic,
          ChannelsSecretName: 'ops/channels',
          DashboardUrl: 'https://console.aws.amazon.com/cloudwatch/home#dashboards/dashboard/Ops',
        }),
      }),
    );
    await cf.send(
      new CreateStackCommand({
        StackName: 'Bare',
        TemplateBody: template({ StateTableName: 'bare-state', NotificationQueueUrl: bareQueue, ChannelsSecretName: 'bare/channels' }),
      }),
    );
    sender = createHttpSender({ timeoutMs: 2_000 });
    notify = buildNotifyHandler(() => ({
      source: 'Ops',
      emailTopicArn: emailTopic,
      channelsSecret: new CachedChannelsSecret(sm, 'ops/channels'),
      ledger: new DynamoDeliveryLedger(dynamoDbCall(), 'ops-state'),
      send: { http: sender, sns: new SnsPublisher(sns), nowMs: Date.now },
      visibility: new SqsMessageVisibility(sqs, (arn) => (arn === queueArn ? queueUrl : null)),
    }));
  });

  afterAll(async () => {
    await sender?.close();
    await Promise.all([slack?.close(), webhook?.close()]);
    await moto?.stop();
  });

  beforeEach(async () => {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    await store.updateMonitor((s) => ({ ...s, mute: null }));
    for (const r of [slack, webhook]) r.requests.length = 0;
  });

  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { ...aws, ...env });
  const muteState = async () => (await store.load([])).monitor.state.mute;
  const queued = async (): Promise<Notification[]> => {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as Notification);
  };
  /** One clean line naming the problem, then where help is; never a stack trace. */
  const usage = (run: CliRun, message: string | RegExp) => {
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message);
    expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  };

  describe('mute', () => {
    it('sets the mute in the store, announces it on the queue, and exits 0', async () => {
      const before = Date.now();
      const run = await cli(['mute', '--for', '2h', '--reason', 'planned key swap', '--stack', 'Ops']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^Muted until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\. key-monitor unmute ends it early/);
      const mute = await muteState();
      expect(mute?.reason).toBe('planned key swap');
      expect(mute!.until - before).toBeGreaterThanOrEqual(2 * HOUR);
      expect(mute!.until - Date.now()).toBeLessThanOrEqual(2 * HOUR);
      const [notice] = await queued();
      expect(notice).toMatchObject({
        kind: 'mute',
        severity: 'info',
        source: 'Ops',
        facts: expect.arrayContaining([{ label: 'Reason', value: 'planned key swap' }]),
      });
    });

    it('--json: one object with the window, the reason and whether the channels were told', async () => {
      const run = await cli([
        'mute',
        '--until',
        new Date(Date.now() + 3 * HOUR).toISOString(),
        '--stack',
        'Ops',
        '--json',
        '--reason',
        'line one\nline two\u001b[31m',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(json).toEqual({
        schemaVersion: 1,
        stack: 'Ops',
        muted: true,
        since: expect.any(String),
        until: expect.any(String),
        reason: 'line one line two [31m',
        announced: true,
      });
      expect(Date.parse(json['until'] as string)).toBe((await muteState())?.until);
    });

    it('refuses a mute longer than 7 days, to the hour, and changes nothing', async () => {
      const longest = LONGEST_MUTE_HOURS;
      for (const args of [
        ['--for', `${longest + 1}h`],
        ['--for', '8d'],
        ['--until', new Date(Date.now() + (longest + 1) * HOUR).toISOString()],
      ]) {
        const run = await cli(['mute', ...args, '--stack', 'Ops']);
        usage(run, 'a mute may last at most 7 days');
        expect(await muteState()).toBeNull();
      }
      expect(await queued()).toEqual([]);
      // Exactly the cap is allowed: 7 days, and not a day more.
      expect((await cli(['mute', '--for', `${longest}h`, '--stack', 'Ops'])).code).toBe(0);
      expect((await muteState())!.until - Date.now()).toBeGreaterThan((longest - 1) * HOUR);
    });

    const year = new Date().getUTCFullYear() + 1;
    it.each([
      [['--for', '0m'], '--for 0m is no mute at all: give at least 1m'],
      [['--for', '0d'], '--for 0d is no mute at all'],
      [['--until', '2020-01-01T00:00Z'], '--until is in the past (2020-01-01T00:00Z'],
      [
        ['--until', `${year}-02-30T10:00Z`],
        `--until: "${year}-02-30T10:00Z" is not a date (February ${year} has ${new Date(Date.UTC(year, 2, 0)).getUTCDate()} days)`,
      ],
      [['--until', `${year}-04-31T10:00Z`], 'is not a date (April'],
      [['--until', `${year}-13-01T10:00Z`], 'has no month 13'],
      [['--until', `${year}-01-01T24:00Z`], 'is not a time of day'],
      [['--until', `${year}-01-01T10:60Z`], 'is not a time of day'],
      [['--until', `${year}-01-01T10:00+25:00`], 'is not a time zone offset'],
      [['--until', `${year}-01-01T10:00`], '--until: give a time with its zone'],
      [['--until', 'tomorrow'], '--until: give a time with its zone'],
      [['--until', `${year}-01-01Z`], 'is not a date and time'],
      [['--for', '2w'], '--for: a duration like 90m, 2h or 1d'],
      [['--for', '1.5h'], '--for: a duration like 90m, 2h or 1d'],
      [['--for', '99999d'], '--for: a duration like 90m, 2h or 1d'],
      [['--for', '-1h'], '--for needs a value'],
      [[], 'mute needs --until 2026-12-01T06:00Z or --for 2h (one of them)'],
      [['--for', '1h', '--until', `${year}-01-01T10:00Z`], 'one of them'],
      [['--for', '1h', '--stack', ''], '--stack is empty'],
      [['--for', '1h', '--stack', '  '], '--stack is empty'],
      [['--for', '1h', '--stack', 'Ops; rm -rf /'], '--stack: "Ops; rm -rf /" is not a CloudFormation stack name'],
      [['--for', '1h', '--stack', 'Ops\u001b[2J'], 'is not a CloudFormation stack name'],
      [['--for', '1h', '--stack', 'x'.repeat(129)], 'is not a CloudFormation stack name'],
      [['--for', '1h', '--stack', 'NoSuchStack'], 'no stack named NoSuchStack in this account and region'],
      [['--for', '1h', '--timeout-ms', '0'], '--timeout-ms: a whole number from 50 to 120000'],
      [['--for', '1h', '--secret-id', 'x'], '--secret-id is a check option'],
      [['--for', '1h', 'now'], 'unexpected argument "now"'],
    ])('bad input %o: a named error, exit 2, nothing muted, nothing announced', async (args, message) => {
      const run = await cli(['mute', ...args], { KEY_MONITOR_STACK: 'Ops' });
      usage(run, message);
      expect(run.stdout).toBe('');
      expect(await muteState()).toBeNull();
      expect(await queued()).toEqual([]);
    });

    it('with --json, a bad input is a JSON error on stdout too', async () => {
      const run = await cli(['mute', '--for', '0m', '--stack', 'Ops', '--json']);
      usage(run, '--for 0m is no mute at all');
      expect(JSON.parse(run.stdout)).toEqual({
        schemaVersion: 1,
        error: { kind: 'usage', message: '--for 0m is no mute at all: give at least 1m (like 90m, 2h or 1d)' },
      });
      const stackless = await cli(['mute', '--for', '1h', '--stack', '', '--json']);
      expect(JSON.parse(stackless.stdout)).toMatchObject({ error: { kind: 'usage', message: expect.stringContaining('--stack is empty') } });
      expect(await muteState()).toBeNull();
    });

    it('an empty KEY_MONITOR_STACK means the default stack, a malformed one is named', async () => {
      usage(await cli(['mute', '--for', '1h'], { KEY_MONITOR_STACK: '' }), 'no stack named ExchangeKeyMonitor');
      usage(await cli(['mute', '--for', '1h'], { KEY_MONITOR_STACK: 'Ops Prod' }), 'KEY_MONITOR_STACK: "Ops Prod" is not a CloudFormation stack name');
      expect(await muteState()).toBeNull();
    });
  });

  describe('unmute', () => {
    it('when nothing is muted: says so, changes nothing, exits 0 (and --json says the same)', async () => {
      const run = await cli(['unmute', '--stack', 'Ops']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('Alerts are not muted.\n');
      const json = await cli(['unmute', '--stack', 'Ops', '--json']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ schemaVersion: 1, stack: 'Ops', muted: false, wasMutedUntil: null });
      expect(await muteState()).toBeNull();
    });

    it('ends a mute now, keeping it (ended) for the summary the next run sends', async () => {
      expect((await cli(['mute', '--for', '3h', '--stack', 'Ops'])).code).toBe(0);
      const until = (await muteState())!.until;
      const run = await cli(['unmute', '--stack', 'Ops', '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ schemaVersion: 1, stack: 'Ops', muted: false, wasMutedUntil: new Date(until).toISOString() });
      const after = await muteState();
      expect(after?.reason).toBe('muted with key-monitor mute');
      expect(after!.until).toBeLessThanOrEqual(Date.now());
      expect((await cli(['unmute', '--stack', 'Ops'])).stdout).toBe('Alerts are not muted.\n');
    });

    it.each([
      [['--for', '1h'], '--for is a mute option'],
      [['--stack', ''], '--stack is empty'],
      [['--stack', 'Nope'], 'no stack named Nope'],
      [['--reason', 'x'], '--reason is a mute option'],
    ])('bad input %o: exit 2, named, the mute untouched', async (args, message) => {
      expect((await cli(['mute', '--for', '1h', '--stack', 'Ops'])).code).toBe(0);
      const before = await muteState();
      usage(await cli(['unmute', ...args]), message);
      expect(await muteState()).toEqual(before);
    });
  });

  describe('test-alert', () => {
    /** What the deployed notifier does: work the queue until the CLI has its answer. */
    async function withNotifier(run: Promise<CliRun>): Promise<CliRun> {
      let finished = false;
      const done = run.finally(() => (finished = true));
      while (!finished) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
        );
        const messages = out.Messages ?? [];
        if (messages.length > 0) await deliver(messages);
      }
      return done;
    }

    async function deliver(messages: Message[]): Promise<void> {
      const event = sqsEventOf(messages, queueArn);
      const { value } = await captureOutput(() => notify(event, context) as Promise<SQSBatchResponse>);
      const failed = new Set(value.batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of messages)
        if (!failed.has(m.MessageId as string)) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle as string }));
    }

    const noLeak = (text: string) => {
      for (const secret of ['slackSecretToken', '/services/T0001', 'webhookQuerySecret01', SIGNING_SECRET, slack.baseUrl, webhook.baseUrl])
        expect(text).not.toContain(secret);
    };

    it('every channel delivers: one line per channel, exit 0', async () => {
      slack.respond({ status: 200, body: 'ok' });
      webhook.respond({ status: 200, body: 'ok' });
      const run = await withNotifier(cli(['test-alert', '--stack', 'Ops', '--wait-seconds', '60']));
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/Sent test notification test:[0-9a-f-]{36} to Ops's notification queue/);
      for (const channel of ['email', 'slack', 'webhook']) expect(run.stdout).toMatch(new RegExp(`✅ ${channel}\\s+delivered`));
      expect(slack.requests).toHaveLength(1);
      expect(webhook.requests).toHaveLength(1);
      expect(webhook.requests[0]!.body).toContain('TEST from Ops');
      noLeak(run.stdout + run.stderr);
    });

    it('a channel that refuses for good is reported failed with its reason, the others delivered, exit 1; --json says the same', async () => {
      slack.respond({ status: 404, body: 'no_service' });
      webhook.respond({ status: 200, body: 'ok' });
      const run = await withNotifier(cli(['test-alert', '--stack', 'Ops', '--wait-seconds', '60', '--json']));
      expect(run.code, run.stderr).toBe(1);
      const json = JSON.parse(run.stdout) as {
        schemaVersion: number;
        notificationId: string;
        ok: boolean;
        channels: { channel: string; result: string; detail: string }[];
        unconfirmedEmails: string[];
      };
      expect(json).toMatchObject({ schemaVersion: 1, notificationId: expect.stringMatching(/^test:/), ok: false, unconfirmedEmails: [] });
      const by = Object.fromEntries(json.channels.map((c) => [c.channel, c]));
      expect(by['email']).toMatchObject({ result: 'delivered' });
      expect(by['webhook']).toMatchObject({ result: 'delivered' });
      expect(by['slack']).toMatchObject({ result: 'failed', detail: expect.stringMatching(/404/) });
      noLeak(run.stdout + run.stderr);
    });

    it('with no notifier working the queue: every channel pending, named as such, exit 1 at the deadline', async () => {
      const run = await cli(['test-alert', '--stack', 'Ops', '--wait-seconds', '1']);
      expect(run.code).toBe(1);
      for (const channel of ['email', 'slack', 'webhook'])
        expect(run.stdout).toMatch(new RegExp(`⏳ ${channel}\\s+no delivery recorded yet: is the NotifierFunction running\\?`));
    });

    it('a monitor with no channel at all is not "all delivered": exit 1 with the fix', async () => {
      const run = await cli(['test-alert', '--stack', 'Bare', '--wait-seconds', '1']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('No channel is configured: deploy with -c alertEmail=… or fill the channels secret');
      const json = await cli(['test-alert', '--stack', 'Bare', '--wait-seconds', '1', '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, channels: [] });
    });

    it.each([
      [['--wait-seconds', '0'], '--wait-seconds: a whole number from 1 to 900'],
      [['--wait-seconds', '901'], '--wait-seconds: a whole number from 1 to 900'],
      [['--wait-seconds', 'soon'], '--wait-seconds: a whole number from 1 to 900'],
      [['--stack', ''], '--stack is empty'],
      [['--stack', 'arn:aws:cloudformation:us-east-1:123456789012:stack/Ops'], 'is not a CloudFormation stack name'],
      [['--stack', 'Nope'], 'no stack named Nope'],
      [['--for', '1h'], '--for is a mute option'],
      [['--until'], '--until needs a value'],
    ])('bad input %o: exit 2, named, nothing sent; with --json a JSON error', async (args, message) => {
      for (const json of [[], ['--json']]) {
        const run = await cli(['test-alert', ...args, ...json]);
        usage(run, message);
        if (json.length > 0) expect(JSON.parse(run.stdout)).toMatchObject({ schemaVersion: 1, error: { kind: 'usage' } });
        else expect(run.stdout).toBe('');
      }
      expect(await queued()).toEqual([]);
    });
  });
});
