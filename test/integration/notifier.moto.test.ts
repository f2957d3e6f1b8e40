/**
 * The notifier Lambda end to end on moto_server: the real handler, fed SQS events built from
 * messages actually received from the queue (real receipt handles and receive counts), delivering
 * to loopback receivers for the HTTP channels and to SNS topics whose SQS inboxes show what email
 * and Amazon Q subscribers would get. The delivery ledger is a real DynamoDB table.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CachedChannelsSecret } from '../../src/aws/channels-secret.js';
import { DynamoDeliveryLedger } from '../../src/aws/delivery-ledger.js';
import { dynamoDbCall } from '../../src/aws/dynamodb-call.js';
import { SqsMessageVisibility, SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import { publishOutcome, SnsPublisher } from '../../src/aws/sns-publish.js';
import { emailChannel } from '../../src/channels/email.js';
import { createHttpSender, type HttpSender } from '../../src/channels/deliver.js';
import type { Notification } from '../../src/contract/notification.js';
import { buildNotifyHandler, type NotifyDeps } from '../../src/handlers/notify.js';
import { CHANNEL_FAILED_WINDOW_MS, channelFailedId } from '../../src/monitor/channel-failed.js';
import type { DeliveryLedger } from '../../src/monitor/ports.js';
import { PATHS, SIGNING_SECRET, TELEGRAM_TOKEN, leaks } from '../channels/support/cases.js';
import { EXPECTED } from '../channels/support/expected.js';
import { verifyStandardWebhook } from '../channels/support/inspect.js';
import { NOW_MS, OPENED } from '../channels/support/notifications.js';
import { startReceiver, type CannedReply, type Receiver } from '../channels/support/receiver.js';
import { alarmMessage } from '../monitor/support/alarms.js';
import { captureOutput, startMoto, toolMissing, useEmulator, type Moto, createStateTable } from '../support/moto.js';

const skip = toolMissing('moto_server');
const context = {
  functionName: 'notify',
  awsRequestId: 'req-n',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:notify',
  memoryLimitInMB: '256',
  functionVersion: '$LATEST',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const HTTP_CHANNELS = ['slack', 'teams', 'telegram', 'discord', 'webhook'] as const;
type HttpName = (typeof HTTP_CHANNELS)[number];
const SEND_TIMEOUT_MS = 1_500;

describe.skipIf(skip)('notifier Lambda: SQS → every channel, once (moto_server DynamoDB, SQS, SNS, Secrets Manager)', () => {
  let moto: Moto;
  let sqs: SQSClient;
  let sns: SNSClient;
  let sender: HttpSender;
  let queueUrl: string;
  let queueArn: string;
  let alarmTopicArn: string;
  let emailTopicArn: string;
  let chatbotTopicArn: string;
  const inboxUrls: Record<'email' | 'chatbot', string> = { email: '', chatbot: '' };
  const receivers = {} as Record<HttpName, Receiver>;
  let secretJson = '';
  let deps: NotifyDeps;
  let handler: ReturnType<typeof buildNotifyHandler>;
  /** Everything the handler wrote, across tests, for the leak check. */
  let output = '';
  /** The notifier's clock. Reports of a refusing channel are once per window, so tests about them each take a window of their own. */
  let clock = NOW_MS;
  let windows = 0;
  /** An hour into a window no earlier test used. */
  const freshWindow = () =>
    (clock = Math.floor(NOW_MS / CHANNEL_FAILED_WINDOW_MS) * CHANNEL_FAILED_WINDOW_MS + ++windows * CHANNEL_FAILED_WINDOW_MS + 60 * 60_000);

  beforeAll(async () => {
    moto = await startMoto();
    useEmulator(moto.endpoint);
    sqs = new SQSClient({});
    sns = new SNSClient({});
    const sm = new SecretsManagerClient({});
    await createStateTable('ekm-state');
    // Visibility 0: a received message stays visible unless the handler holds it back, which is what we check.
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ekm-notifications', Attributes: { VisibilityTimeout: '0' } }))).QueueUrl!;
    queueArn = await arnOf(queueUrl);
    alarmTopicArn = (await sns.send(new CreateTopicCommand({ Name: 'ekm-alarms' }))).TopicArn!;
    await sns.send(new SubscribeCommand({ TopicArn: alarmTopicArn, Protocol: 'sqs', Endpoint: queueArn }));
    for (const name of ['email', 'chatbot'] as const) {
      const topic = (await sns.send(new CreateTopicCommand({ Name: `ekm-${name}` }))).TopicArn!;
      if (name === 'email') emailTopicArn = topic;
      else chatbotTopicArn = topic;
      inboxUrls[name] = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-inbox` }))).QueueUrl!;
      await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: await arnOf(inboxUrls[name]) }));
    }
    for (const name of HTTP_CHANNELS) receivers[name] = await startReceiver();
    secretJson = JSON.stringify({
      slack: { webhookUrl: `${receivers.slack.baseUrl}${PATHS.slack}` },
      teams: { webhookUrl: `${receivers.teams.baseUrl}${PATHS.teams}` },
      telegram: { botToken: TELEGRAM_TOKEN, chatId: '-1001234567890', messageThreadId: 5, apiBaseUrl: receivers.telegram.baseUrl },
      discord: { webhookUrl: `${receivers.discord.baseUrl}${PATHS.discord.replace('?wait=true', '')}` },
      webhook: { url: `${receivers.webhook.baseUrl}${PATHS.webhook}`, signingSecret: SIGNING_SECRET },
    });
    await sm.send(new CreateSecretCommand({ Name: 'ekm/channels', SecretString: secretJson }));
    sender = createHttpSender({ timeoutMs: SEND_TIMEOUT_MS });
    deps = {
      source: 'ekm-prod',
      emailTopicArn,
      chatbotTopicArn,
      channelsSecret: new CachedChannelsSecret(sm, 'ekm/channels'),
      ledger: new DynamoDeliveryLedger(dynamoDbCall(), 'ekm-state'),
      // The webhook signs with the send time; a fixed clock makes its request exact.
      send: { http: sender, sns: new SnsPublisher(sns), nowMs: () => clock },
      visibility: new SqsMessageVisibility(sqs, (arn) => (arn === queueArn ? queueUrl : null)),
    };
    handler = buildNotifyHandler(() => deps);
  });

  afterAll(async () => {
    await sender?.close();
    await Promise.all(Object.values(receivers).map((r) => r.close()));
    await moto?.stop();
  });

  beforeEach(async () => {
    clock = NOW_MS;
    for (const r of Object.values(receivers)) {
      r.requests.length = 0;
      r.respond(okReply);
    }
    await Promise.all([queueUrl, ...Object.values(inboxUrls)].map((QueueUrl) => sqs.send(new PurgeQueueCommand({ QueueUrl }))));
  });

  async function arnOf(url: string): Promise<string> {
    return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  }

  /** The reply each service sends on success. */
  function okReply(req: { url: string }) {
    if (req.url.startsWith('/bot')) return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true,"result":{"message_id":1}}' };
    if (req.url.startsWith('/api/webhooks')) return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":"1"}' };
    if (req.url.startsWith('/workflows')) return { status: 202, body: '' };
    if (req.url.startsWith('/hooks')) return { status: 204 };
    return { status: 200, body: 'ok' };
  }

  async function enqueue(...notifications: Notification[]): Promise<void> {
    await new SqsNotificationQueue(sqs, queueUrl).send(notifications);
  }

  async function receive(max = 10): Promise<Message[]> {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    );
    return out.Messages ?? [];
  }

  function event(messages: readonly Message[]): SQSEvent {
    return {
      Records: messages.map((m): SQSRecord => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: {
          ApproximateReceiveCount: m.Attributes?.['ApproximateReceiveCount'] ?? '1',
          SentTimestamp: m.Attributes?.['SentTimestamp'] ?? '0',
          SenderId: m.Attributes?.['SenderId'] ?? 'x',
          ApproximateFirstReceiveTimestamp: m.Attributes?.['ApproximateFirstReceiveTimestamp'] ?? '0',
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      })),
    };
  }

  /** What the Lambda service does: invoke, then delete the records that did not fail. */
  async function invoke(messages: readonly Message[], using = handler) {
    const run = await captureOutput(() => using(event(messages), context) as Promise<SQSBatchResponse>);
    output += run.raw;
    const failed = new Set(run.value.batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of messages) if (!failed.has(m.MessageId!)) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    const emf = run.docs.find((d) => '_aws' in d) ?? {};
    return { response: run.value, docs: run.docs, emf };
  }

  async function inbox(name: 'email' | 'chatbot'): Promise<{ subject?: string; message: string }[]> {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: inboxUrls[name], MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    for (const m of out.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl: inboxUrls[name], ReceiptHandle: m.ReceiptHandle! }));
    return (out.Messages ?? []).map((m) => {
      const body = JSON.parse(m.Body!) as { Subject?: string; Message: string };
      return { subject: body.Subject, message: body.Message };
    });
  }

  const counts = () => Object.fromEntries(HTTP_CHANNELS.map((n) => [n, receivers[n].requests.length]));
  const withId = (id: string): Notification => ({ ...OPENED, id });
  /** Make a held-back message visible now (what waiting out its visibility timeout would do). */
  const fastForward = (m: Message) =>
    sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));

  it('delivers one notification to every channel, exactly the documented request each', async () => {
    await enqueue(OPENED);
    const messages = await receive();
    expect(messages).toHaveLength(1);
    const { response, emf } = await invoke(messages);
    expect(response).toEqual({ batchItemFailures: [] });

    for (const name of HTTP_CHANNELS) {
      const requests = receivers[name].requests;
      expect(requests, name).toHaveLength(1);
      const expected = EXPECTED[name].opened;
      expect(requests[0]!.url).toBe(PATHS[name]);
      expect(requests[0]!.headers).toMatchObject(expected.headers);
      expect(JSON.parse(requests[0]!.body)).toEqual(expected.body);
    }
    const hook = receivers.webhook.requests[0]!;
    expect(verifyStandardWebhook(SIGNING_SECRET, hook.headers, hook.body, NOW_MS / 1000)).toBe(true);

    const mails = await inbox('email');
    expect(mails).toEqual([
      {
        subject: '[ALERT] trading: IP not whitelisted (40103) - add 203.0.113.7 to the key',
        message: emailChannel({ topicArn: emailTopicArn }).build(OPENED).message,
      },
    ]);
    expect(mails[0]!.message).toContain('Fix: Add 203.0.113.7 to the key’s IP whitelist.');
    const chats = await inbox('chatbot');
    expect(chats).toHaveLength(1);
    expect(JSON.parse(chats[0]!.message)).toMatchObject({ version: '1.0', source: 'custom', id: 'inc-7f3a#1', metadata: { threadId: 'inc-7f3a' } });

    expect(emf).toMatchObject({ DeliveriesSent: 7, DeliveriesFailed: 0, DeliveriesRetried: 0, MessagesRejected: 0 });
    expect(await receive()).toHaveLength(0);
  });

  it('a redelivered message, or the same notification enqueued twice, sends nothing new', async () => {
    await enqueue(withId('inc-dup#1'));
    const [first] = await receive();
    await invoke([first!]);
    expect(counts()).toEqual({ slack: 1, teams: 1, telegram: 1, discord: 1, webhook: 1 });
    expect(await inbox('email')).toHaveLength(1);

    // SQS redelivers the same message (its delete was lost), and a producer retry enqueued it again.
    await enqueue(withId('inc-dup#1'));
    const [again] = await receive();
    const { response, emf } = await invoke([first!, again!]);
    expect(response.batchItemFailures).toEqual([]);
    expect(counts()).toEqual({ slack: 1, teams: 1, telegram: 1, discord: 1, webhook: 1 });
    expect(await inbox('email')).toHaveLength(0);
    expect(await inbox('chatbot')).toHaveLength(1); // from the first delivery only
    expect(emf).toMatchObject({ DeliveriesSent: 0 });
  });

  it('one channel answering 500 does not stop the others; the message is held back and only that channel is retried', async () => {
    receivers.slack.respond({ status: 500, body: `upstream error at ${receivers.slack.baseUrl}${PATHS.slack}` });
    await enqueue(withId('inc-500#1'));
    const [received] = await receive();
    // The queue's own visibility timeout is 0: a message nobody holds back is received again at once.
    const [message] = await receive();
    expect(message?.MessageId).toBe(received!.MessageId);
    const first = await invoke([message!]);
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: message!.MessageId }]);
    expect(counts()).toEqual({ slack: 1, teams: 1, telegram: 1, discord: 1, webhook: 1 });
    expect(first.emf).toMatchObject({ DeliveriesSent: 6, DeliveriesRetried: 1, DeliveriesFailed: 0 });
    const retryLog = first.docs.find((d) => d['message'] === 'delivery will be retried');
    expect(retryLog).toMatchObject({ channel: 'slack', afterMs: 30_000, reason: 'slack: HTTP 500: upstream error at [redacted]' });

    // Held back: the queue's own visibility is 0, so only the handler's ChangeMessageVisibility hides it.
    expect(await receive()).toHaveLength(0);
    await fastForward(message!);
    const [redelivered] = await receive();
    expect(redelivered?.MessageId).toBe(message!.MessageId);
    expect(redelivered?.Attributes?.['ApproximateReceiveCount']).toBe('3');

    receivers.slack.respond(okReply);
    const second = await invoke([redelivered!]);
    expect(second.response.batchItemFailures).toEqual([]);
    expect(counts()).toEqual({ slack: 2, teams: 1, telegram: 1, discord: 1, webhook: 1 });
    expect(await inbox('email')).toHaveLength(1);
    expect(second.emf).toMatchObject({ DeliveriesSent: 1 });
  });

  it('a deleted Discord webhook (404) is given up and recorded, never retried', async () => {
    freshWindow();
    receivers.discord.respond({ status: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Unknown Webhook","code":10015}' });
    await enqueue(withId('inc-404#1'));
    const [message] = await receive();
    const { response, emf, docs } = await invoke([message!]);
    expect(response.batchItemFailures).toEqual([]);
    // The notification on the 6 others, then the report that Discord stopped accepting alerts on the same 6.
    expect(emf).toMatchObject({ DeliveriesSent: 12, DeliveriesFailed: 1, DeliveriesRetried: 0 });
    expect(docs.find((d) => d['message'] === 'delivery failed permanently; not retried')).toMatchObject({
      level: 'ERROR',
      channel: 'discord',
      reason: expect.stringContaining('webhook deleted'),
    });

    // Even if the message came back, Discord is not tried again, and the report is not repeated.
    await invoke([message!]);
    expect(counts()).toMatchObject({ discord: 1, slack: 2 });
  });

  /** The "stopped accepting alerts" reports each receiver got. */
  const reports = (name: HttpName) => receivers[name].requests.filter((r) => r.body.includes('stopped accepting alerts'));

  it('a Slack webhook answering 404 no_service pages every other channel at once with the fix, once per window, never Slack itself', async () => {
    freshWindow();
    receivers.slack.respond({ status: 404, headers: { 'content-type': 'text/html' }, body: 'no_service' });
    await enqueue(withId('inc-noservice#1'));
    const first = await invoke(await receive());
    expect(first.response.batchItemFailures).toEqual([]);
    expect(first.emf).toMatchObject({ DeliveriesSent: 12, DeliveriesFailed: 1, DeliveriesRetried: 0 });

    // Every other channel: the notification, then the report naming Slack, its answer and the fix.
    expect(counts()).toEqual({ slack: 1, teams: 2, telegram: 2, discord: 2, webhook: 2 });
    const report = JSON.parse(reports('webhook')[0]!.body);
    expect(report).toMatchObject({
      type: 'exchange-key-monitor.channel-failed',
      data: {
        kind: 'channel-failed',
        severity: 'critical',
        subject: '🔴 ekm-prod: slack stopped accepting alerts',
        fix: expect.stringMatching(
          /^The incoming webhook was removed or disabled.*create a new incoming webhook .*store its URL as slack\.webhookUrl in the channels secret/,
        ),
        scope: { type: 'monitor' },
      },
    });
    expect(report.data.id).toBe(channelFailedId('slack', clock));
    expect(report.data.id).toMatch(/^channel-failed:slack:2026-01-0\dT(00|06|12|18):00:00\.000Z$/);
    expect(report.data.facts).toEqual(
      expect.arrayContaining([
        { label: 'Channel', value: 'slack' },
        { label: 'Answer', value: 'HTTP 404: no_service' },
        { label: 'Notification id', value: 'inc-noservice#1' },
      ]),
    );
    expect(JSON.parse(reports('telegram')[0]!.body).text).toContain('<b>Fix:</b> The incoming webhook was removed or disabled');
    expect(JSON.parse(reports('discord')[0]!.body).content).toBe('🔴 ekm-prod: slack stopped accepting alerts');
    expect(reports('teams')).toHaveLength(1);
    const mails = await inbox('email');
    expect(mails.map((m) => m.subject)).toEqual(expect.arrayContaining(['[ALERT] ekm-prod: slack stopped accepting alerts']));
    expect(mails.find((m) => m.subject?.includes('stopped accepting'))!.message).toContain('Answer:');
    expect((await inbox('chatbot')).filter((m) => JSON.parse(m.message).content.title.includes('slack stopped accepting alerts'))).toHaveLength(1);
    expect(first.docs.find((d) => d['message'] === 'channel refusal reported to the other channels')).toMatchObject({
      refusedBy: 'slack',
      sent: ['email', 'chatbot', 'teams', 'telegram', 'discord', 'webhook'],
    });

    // Later in the same window, another refusal by Slack reaches the others as itself, not as a second report.
    clock += 60 * 60_000;
    await enqueue(withId('inc-noservice#2'));
    await invoke(await receive());
    expect(counts()).toEqual({ slack: 2, teams: 3, telegram: 3, discord: 3, webhook: 3 });
    expect(reports('webhook')).toHaveLength(1);
    expect(reports('slack')).toHaveLength(0);

    // The next window reports it again.
    freshWindow();
    await enqueue(withId('inc-noservice#3'));
    await invoke(await receive());
    expect(reports('webhook')).toHaveLength(2);
    expect(JSON.parse(reports('webhook')[1]!.body).data.id).not.toBe(report.data.id);
    expect(reports('slack')).toHaveLength(0);
  });

  it('a refusal of the report itself is not reported in turn: two dead channels make two reports, not a cascade', async () => {
    freshWindow();
    receivers.slack.respond({ status: 403, body: 'invalid_token' });
    receivers.telegram.respond({
      status: 403,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the supergroup chat"}',
    });
    await enqueue(withId('inc-twodead#1'));
    const { response, emf, docs } = await invoke(await receive());
    expect(response.batchItemFailures).toEqual([]);
    // The notification and both reports, each refused by the dead channel it was sent to.
    expect(counts()).toEqual({ slack: 2, teams: 3, telegram: 2, discord: 3, webhook: 3 });
    expect(
      reports('webhook')
        .map((r) => JSON.parse(r.body).data.subject)
        .sort(),
    ).toEqual(['🔴 ekm-prod: slack stopped accepting alerts', '🔴 ekm-prod: telegram stopped accepting alerts']);
    const telegramReport = reports('webhook')
      .map((r) => JSON.parse(r.body).data)
      .find((d) => d.subject.includes('telegram'));
    expect(telegramReport.fix).toMatch(/^The bot was removed from the chat, or blocked: add the bot back to the chat/);
    expect(emf).toMatchObject({ DeliveriesFailed: 4 });
    expect(docs.filter((d) => d['message'] === 'channel refusal reported to the other channels')).toHaveLength(2);
  });

  it('a report that a channel asks to retry holds back the refused message, and the redelivery sends only the report', async () => {
    freshWindow();
    receivers.slack.respond({ status: 404, body: 'no_service' });
    receivers.telegram.respond((req) =>
      req.body.includes('stopped accepting alerts')
        ? { status: 429, headers: { 'content-type': 'application/json' }, body: '{"ok":false,"error_code":429,"parameters":{"retry_after":5}}' }
        : okReply(req),
    );
    await enqueue(withId('inc-reportretry#1'));
    const [message] = await receive();
    const first = await invoke([message!]);
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: message!.MessageId }]);
    expect(counts()).toEqual({ slack: 1, teams: 2, telegram: 2, discord: 2, webhook: 2 });

    receivers.telegram.respond(okReply);
    clock += 60_000;
    await fastForward(message!);
    const second = await invoke(await receive());
    expect(second.response.batchItemFailures).toEqual([]);
    expect(counts()).toEqual({ slack: 1, teams: 2, telegram: 3, discord: 2, webhook: 2 });
    expect(JSON.parse(reports('telegram')[1]!.body).text).toContain('slack stopped accepting alerts');
    expect(second.emf).toMatchObject({ DeliveriesSent: 1, DeliveriesFailed: 0 });
  });

  it('several messages refused by one channel in one batch make one report', async () => {
    freshWindow();
    receivers.discord.respond({ status: 401, headers: { 'content-type': 'application/json' }, body: '{"message":"Invalid Webhook Token","code":50027}' });
    await enqueue(withId('inc-batch#1'), withId('inc-batch#2'), withId('inc-batch#3'));
    const messages = await receive();
    expect(messages).toHaveLength(3);
    const { response, emf } = await invoke(messages);
    expect(response.batchItemFailures).toEqual([]);
    expect(reports('webhook')).toHaveLength(1);
    expect(JSON.parse(reports('webhook')[0]!.body).data.fix).toMatch(/^The webhook token is invalid/);
    expect(emf).toMatchObject({ DeliveriesSent: 3 * 6 + 6, DeliveriesFailed: 3, DeliveriesRetried: 0 });
  });

  it('a verdict the ledger fails to write once is written on the next try: the redelivery for another channel repeats nothing', async () => {
    // The ledger's clock runs ahead on demand, to pass the claim lease as a slow redelivery would.
    let ahead = 0;
    const real = new DynamoDeliveryLedger(dynamoDbCall(), 'ekm-state', { now: () => Date.now() + ahead });
    let failures = 1;
    const flaky: DeliveryLedger = {
      claim: (id, ch) => real.claim(id, ch),
      release: (id, ch, token) => real.release(id, ch, token),
      record: async (id, ch, token, verdict) => {
        if (ch === 'slack' && failures-- > 0) throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
        return real.record(id, ch, token, verdict);
      },
    };
    const flakyHandler = buildNotifyHandler(() => ({ ...deps, ledger: flaky }));
    receivers.telegram.respond({
      status: 429,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":false,"error_code":429,"parameters":{"retry_after":1}}',
    });
    await enqueue(withId('inc-flakyledger#1'));
    const [message] = await receive();
    const first = await captureOutput(() => flakyHandler(event([message!]), context) as Promise<SQSBatchResponse>);
    output += first.raw;
    expect(first.value.batchItemFailures).toHaveLength(1);

    // Telegram recovers; the message comes back after the lease of any claim left behind.
    receivers.telegram.respond(okReply);
    ahead = 5 * 60_000;
    await fastForward(message!);
    const again = await receive();
    const second = await captureOutput(() => flakyHandler(event(again), context) as Promise<SQSBatchResponse>);
    output += second.raw;
    expect(second.value.batchItemFailures).toEqual([]);
    expect(counts()).toEqual({ slack: 1, teams: 1, telegram: 2, discord: 1, webhook: 1 });
    expect(await inbox('email')).toHaveLength(1);
    expect(await inbox('chatbot')).toHaveLength(1);
  });

  it('a verdict the ledger never writes repeats the send on that channel only, after the lease', async () => {
    let ahead = 0;
    const real = new DynamoDeliveryLedger(dynamoDbCall(), 'ekm-state', { now: () => Date.now() + ahead });
    const broken: DeliveryLedger = {
      claim: (id, ch) => real.claim(id, ch),
      release: (id, ch, token) => real.release(id, ch, token),
      record: async (id, ch, token, verdict) => {
        if (ch === 'slack') throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
        return real.record(id, ch, token, verdict);
      },
    };
    const brokenHandler = buildNotifyHandler(() => ({ ...deps, ledger: broken }));
    receivers.telegram.respond({ status: 503, body: '' });
    await enqueue(withId('inc-brokenledger#1'));
    const [message] = await receive();
    const first = await captureOutput(() => brokenHandler(event([message!]), context) as Promise<SQSBatchResponse>);
    output += first.raw;
    expect(first.docs.find((d) => String(d['message']).startsWith('delivery not recorded'))).toMatchObject({
      channel: 'slack',
      attempts: 3,
      errorName: 'ProvisionedThroughputExceededException',
    });

    receivers.telegram.respond(okReply);
    ahead = 5 * 60_000;
    await fastForward(message!);
    const again = await receive();
    const second = await captureOutput(() => brokenHandler(event(again), context) as Promise<SQSBatchResponse>);
    output += second.raw;
    expect(counts()).toEqual({ slack: 2, teams: 1, telegram: 2, discord: 1, webhook: 1 });
    expect(await inbox('email')).toHaveLength(1);
  });

  it('a CloudWatch alarm arriving through SNS goes to every channel as monitor-alarm, and its OK as resolved', async () => {
    await sns.send(new PublishCommand({ TopicArn: alarmTopicArn, Subject: 'ALARM: "ekm-prod-heartbeat"', Message: JSON.stringify(alarmMessage()) }));
    const [alarm] = await receive();
    expect(JSON.parse(alarm!.Body!)).toMatchObject({ Type: 'Notification', TopicArn: alarmTopicArn });
    expect((await invoke([alarm!])).response.batchItemFailures).toEqual([]);

    const hook = JSON.parse(receivers.webhook.requests[0]!.body);
    expect(hook).toMatchObject({
      type: 'exchange-key-monitor.monitor-alarm',
      data: {
        id: 'alarm:ekm-prod-heartbeat#2026-01-02T10:02:00.000+0000',
        kind: 'monitor-alarm',
        severity: 'critical',
        subject: '🔴 ekm-prod: No check ran for 15 minutes',
        scope: { type: 'monitor' },
      },
    });
    expect(JSON.parse(receivers.slack.requests[0]!.body).text).toBe('🔴 ekm-prod: No check ran for 15 minutes');
    for (const name of HTTP_CHANNELS) expect(receivers[name].requests, name).toHaveLength(1);
    expect((await inbox('email'))[0]?.subject).toBe('[ALERT] ekm-prod: No check ran for 15 minutes');
    expect(await inbox('chatbot')).toHaveLength(1);

    await sns.send(
      new PublishCommand({
        TopicArn: alarmTopicArn,
        Message: JSON.stringify(alarmMessage({ NewStateValue: 'OK', OldStateValue: 'ALARM', StateChangeTime: '2026-01-02T10:40:00.000+0000' })),
      }),
    );
    await invoke(await receive());
    const resolved = JSON.parse(receivers.webhook.requests[1]!.body);
    expect(resolved).toMatchObject({
      data: { kind: 'monitor-alarm-resolved', severity: 'resolved', subject: '✅ ekm-prod: resolved — No check ran for 15 minutes', fix: null },
    });
    expect(JSON.parse(receivers.discord.requests[1]!.body).embeds[0].color).toBe(0x2ecc71);
    expect((await inbox('email'))[0]?.subject).toBe('[RESOLVED] ekm-prod: resolved - No check ran for 15 minutes');

    // INSUFFICIENT_DATA tells nobody anything.
    await sns.send(new PublishCommand({ TopicArn: alarmTopicArn, Message: JSON.stringify(alarmMessage({ NewStateValue: 'INSUFFICIENT_DATA' })) }));
    await invoke(await receive());
    expect(receivers.webhook.requests).toHaveLength(2);
  });

  it('two invocations handling the same message at once send on each channel at most once', async () => {
    await enqueue(withId('inc-race#1'));
    const [message] = await receive();
    // Slow replies widen the window in which both are between claim and record.
    for (const name of HTTP_CHANNELS) receivers[name].respond((req) => ({ ...okReply(req), delayMs: 200 }));
    // One capture around both: captureOutput patches process-wide streams, so two at once would mix.
    const run = await captureOutput(() => Promise.all([0, 1].map(() => handler(event([message!]), context) as Promise<SQSBatchResponse>)));
    output += run.raw;
    expect(counts()).toEqual({ slack: 1, teams: 1, telegram: 1, discord: 1, webhook: 1 });
    expect(await inbox('email')).toHaveLength(1);
    expect(await inbox('chatbot')).toHaveLength(1);
    const emf = run.docs.filter((d) => '_aws' in d);
    expect(emf).toHaveLength(2);
    expect(emf.reduce((sum, d) => sum + Number(d['DeliveriesSent']), 0)).toBe(7);
    // The loser of each claim asks to come back later rather than assume the winner succeeded.
    const retried = emf.reduce((sum, d) => sum + Number(d['DeliveriesRetried']), 0);
    const heldBack = run.value.reduce((sum, r) => sum + r.batchItemFailures.length, 0);
    expect(retried).toBeLessThanOrEqual(7);
    expect(retried > 0).toBe(heldBack > 0);
  });

  it('a poison message is logged without its payload, counted and dropped, and the rest of the batch is delivered', async () => {
    await sqs.send(new (await import('@aws-sdk/client-sqs')).SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `\x1b[2J${'garbage '.repeat(100)}` }));
    await enqueue(withId('inc-poison#1'));
    const messages = await receive();
    expect(messages).toHaveLength(2);
    const { response, emf, docs } = await invoke(messages);
    expect(response.batchItemFailures).toEqual([]);
    expect(emf).toMatchObject({ MessagesRejected: 1, DeliveriesSent: 7 });
    const rejected = docs.find((d) => d['message'] === 'queue message rejected and dropped');
    expect(rejected).toMatchObject({ level: 'ERROR', problem: 'body is not JSON' });
    expect(String(rejected!['excerpt']).length).toBeLessThanOrEqual(200);
    expect(String(rejected!['excerpt'])).not.toContain('\x1b');
    expect(await receive()).toHaveLength(0);
  });

  it('a channel that hangs ends at the sender timeout as a retry; the others are not held up', async () => {
    receivers.telegram.respond({ status: 200, body: '{"ok":true}', delayMs: 30_000 });
    await enqueue(withId('inc-hang#1'));
    const [message] = await receive();
    const started = Date.now();
    const { response, docs } = await invoke([message!]);
    expect(Date.now() - started).toBeLessThan(SEND_TIMEOUT_MS + 3_000);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(docs.find((d) => d['message'] === 'delivery will be retried')).toMatchObject({
      channel: 'telegram',
      reason: expect.stringContaining('no reply within'),
    });
    expect(counts()).toEqual({ slack: 1, teams: 1, telegram: 1, discord: 1, webhook: 1 });
    expect(await inbox('email')).toHaveLength(1);
  });

  it('an unreadable channels secret still delivers email and Amazon Q, and retries the message for the rest', async () => {
    const broken: NotifyDeps = { ...deps, channelsSecret: new CachedChannelsSecret(new SecretsManagerClient({}), 'ekm/does-not-exist') };
    const brokenHandler = buildNotifyHandler(() => broken);
    await enqueue(withId('inc-nosecret#1'));
    const [message] = await receive();
    const run = await captureOutput(() => brokenHandler(event([message!]), context) as Promise<SQSBatchResponse>);
    output += run.raw;
    expect(run.value.batchItemFailures).toEqual([{ itemIdentifier: message!.MessageId }]);
    expect(run.docs.find((d) => String(d['message']).startsWith('channels secret unreadable'))).toMatchObject({
      level: 'ERROR',
      fault: 'not-found',
      errorName: 'ResourceNotFoundException',
    });
    expect(counts()).toEqual({ slack: 0, teams: 0, telegram: 0, discord: 0, webhook: 0 });
    expect(await inbox('email')).toHaveLength(1);
    expect(await inbox('chatbot')).toHaveLength(1);

    // The secret is back: the redelivery reaches the HTTP channels and does not repeat the email.
    await fastForward(message!);
    await invoke(await receive());
    expect(counts()).toEqual({ slack: 1, teams: 1, telegram: 1, discord: 1, webhook: 1 });
    expect(await inbox('email')).toHaveLength(0);
  });

  it('a channels-secret edit that breaks the Slack section pages every other channel once per window, counts a failed delivery, and names the field, never the value', async () => {
    freshWindow();
    const doc = JSON.parse(secretJson) as Record<string, Record<string, unknown>>;
    doc['slack'] = { ...doc['slack'], channel: '#alerts' };
    const edited: NotifyDeps = { ...deps, channelsSecret: { read: async () => ({ ok: true, json: JSON.stringify(doc) }) } };
    const editedHandler = buildNotifyHandler(() => edited);
    await enqueue(withId('inc-slack-typo#1'), withId('inc-slack-typo#2'));
    const { response, emf } = await invoke(await receive(), editedHandler);
    expect(response.batchItemFailures).toEqual([]);
    expect(counts()).toMatchObject({ slack: 0, teams: 3, telegram: 3, discord: 3, webhook: 3 });
    // Each message missed Slack: both count, and the alarm on DeliveriesFailed fires.
    expect(emf).toMatchObject({ DeliveriesFailed: 2 });
    const mails = await inbox('email');
    const report = mails.find((m) => m.subject?.includes('slack stopped accepting alerts'));
    expect(mails).toHaveLength(3);
    expect(report?.message).toContain('slack.channel unknown field');
    expect(report?.message).toContain('Correct it in the channels secret');
    expect(report?.message).not.toContain(receivers.slack.baseUrl);

    // The next message in the same window is delivered without a second report.
    await enqueue(withId('inc-slack-typo#3'));
    await invoke(await receive(), editedHandler);
    expect((await inbox('email')).map((m) => m.subject)).toEqual([expect.not.stringContaining('stopped accepting')]);
  });

  it('a channels secret that no longer parses pages email and Amazon Q, and keeps the message for the chat channels until it is fixed', async () => {
    freshWindow();
    let json = secretJson.replace(/}$/, ',}');
    const edited: NotifyDeps = { ...deps, channelsSecret: { read: async () => ({ ok: true, json }) } };
    const editedHandler = buildNotifyHandler(() => edited);
    await enqueue(withId('inc-badjson#1'));
    const [message] = await receive();
    const { response, emf } = await invoke([message!], editedHandler);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: message!.MessageId }]);
    expect(counts()).toEqual({ slack: 0, teams: 0, telegram: 0, discord: 0, webhook: 0 });
    expect(emf).toMatchObject({ DeliveriesFailed: 1 });
    const mails = await inbox('email');
    expect(mails).toHaveLength(2);
    const report = mails.find((m) => m.subject?.includes('the channels secret cannot be read: chat channels get no alerts'));
    expect(report?.message).toContain('(secret) is not valid JSON');
    expect(report?.message).not.toContain(receivers.slack.baseUrl);
    expect(await inbox('chatbot')).toHaveLength(2);

    // Fixed: the redelivery reaches the chat channels and repeats neither the email nor the report.
    json = secretJson;
    await fastForward(message!);
    const second = await invoke(await receive(), editedHandler);
    expect(second.response.batchItemFailures).toEqual([]);
    expect(counts()).toEqual({ slack: 1, teams: 1, telegram: 1, discord: 1, webhook: 1 });
    expect(await inbox('email')).toHaveLength(0);
  });

  it('a misspelt channel section is reported to the channels that work', async () => {
    freshWindow();
    const doc = JSON.parse(secretJson) as Record<string, unknown>;
    doc['slak'] = doc['slack'];
    delete doc['slack'];
    const edited: NotifyDeps = { ...deps, channelsSecret: { read: async () => ({ ok: true, json: JSON.stringify(doc) }) } };
    await enqueue(withId('inc-slak#1'));
    const { emf } = await invoke(
      await receive(),
      buildNotifyHandler(() => edited),
    );
    expect(counts()).toMatchObject({ slack: 0, teams: 2, telegram: 2 });
    expect(emf).toMatchObject({ DeliveriesFailed: 1 });
    const mails = await inbox('email');
    expect(mails.find((m) => m.subject?.includes('the channels secret has a problem'))?.message).toContain('slak unknown field (did you mean "slack"?)');
  });

  describe('every permanent refusal a channel documents pages through all the others, with the fix for that answer', () => {
    const text = (status: number, body: string): CannedReply => ({ status, headers: { 'content-type': 'text/plain' }, body });
    const json = (status: number, body: unknown): CannedReply => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const tg = (status: number, description: string, parameters?: unknown) =>
      json(status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });
    const moved = (status: number): CannedReply => ({ status, headers: { location: 'https://elsewhere.example/hook' }, body: '' });
    const redirect = (field: string) => new RegExp(`^The address answers with a redirect .*${field.replace('.', '\\.')}`);
    const slackItself = /^Slack refused this message itself/;
    const slackWebhookGone = /^The incoming webhook was removed or disabled/;
    const botGone = /^The bot was removed from the chat, or blocked: add the bot back to the chat/;
    const flowGone = /^The workflow or its trigger no longer exists/;
    const flowRefuses = /^The workflow no longer accepts this URL/;
    const unauthorised = /^The receiver refuses the request as unauthorised/;
    const badBody = /^The receiver refuses the body/;

    type Refusal = { readonly channel: 'email' | 'chatbot' | HttpName; readonly what: string; readonly fix: RegExp } & (
      { readonly reply: CannedReply } | { readonly topicGone: true } | { readonly snsError: string }
    );
    const REFUSALS: readonly Refusal[] = [
      // Slack: the documented error codes (statuses as documented, or as Slack is known to send them).
      { channel: 'slack', what: '404 no_service', reply: text(404, 'no_service'), fix: slackWebhookGone },
      { channel: 'slack', what: '404 no_service_id', reply: text(404, 'no_service_id'), fix: slackWebhookGone },
      { channel: 'slack', what: '404 no_team', reply: text(404, 'no_team'), fix: slackWebhookGone },
      { channel: 'slack', what: '403 invalid_token', reply: text(403, 'invalid_token'), fix: /^The webhook’s token is no longer valid/ },
      { channel: 'slack', what: '404 no_active_hooks', reply: text(404, 'no_active_hooks'), fix: /^Incoming webhooks are turned off/ },
      { channel: 'slack', what: '404 channel_not_found', reply: text(404, 'channel_not_found'), fix: /^The channel the webhook posts to was deleted/ },
      { channel: 'slack', what: '400 user_not_found', reply: text(400, 'user_not_found'), fix: /^The channel the webhook posts to was deleted/ },
      { channel: 'slack', what: '410 channel_is_archived', reply: text(410, 'channel_is_archived'), fix: /^The webhook’s channel is archived/ },
      { channel: 'slack', what: '403 action_prohibited', reply: text(403, 'action_prohibited'), fix: /^A workspace setting forbids/ },
      {
        channel: 'slack',
        what: '403 posting_to_general_channel_denied',
        reply: text(403, 'posting_to_general_channel_denied'),
        fix: /^A workspace setting forbids/,
      },
      { channel: 'slack', what: '403 team_disabled', reply: text(403, 'team_disabled'), fix: /^The Slack workspace is disabled/ },
      { channel: 'slack', what: '400 invalid_payload', reply: text(400, 'invalid_payload'), fix: slackItself },
      { channel: 'slack', what: '400 no_text', reply: text(400, 'no_text'), fix: slackItself },
      { channel: 'slack', what: '400 too_many_attachments', reply: text(400, 'too_many_attachments'), fix: slackItself },
      { channel: 'slack', what: '200 that is not ok', reply: text(200, 'no_text'), fix: slackItself },
      { channel: 'slack', what: '302 redirect', reply: moved(302), fix: redirect('slack.webhookUrl') },
      { channel: 'slack', what: '401 unexplained', reply: text(401, ''), fix: /^Slack refuses the webhook for good/ },
      // Telegram: error_code and description as the Bot API sends them.
      { channel: 'telegram', what: '401 Unauthorized', reply: tg(401, 'Unauthorized'), fix: /^Telegram no longer accepts the bot token/ },
      { channel: 'telegram', what: '403 bot was blocked by the user', reply: tg(403, 'Forbidden: bot was blocked by the user'), fix: botGone },
      { channel: 'telegram', what: '403 bot was kicked', reply: tg(403, 'Forbidden: bot was kicked from the supergroup chat'), fix: botGone },
      { channel: 'telegram', what: '403 bot is not a member', reply: tg(403, 'Forbidden: bot is not a member of the channel chat'), fix: botGone },
      {
        channel: 'telegram',
        what: '403 not enough rights',
        reply: tg(403, 'Forbidden: not enough rights to send text messages to the chat'),
        fix: /^The bot may not post in the chat: make it an administrator/,
      },
      {
        channel: 'telegram',
        what: '400 chat not found',
        reply: tg(400, 'Bad Request: chat not found'),
        fix: /^Telegram knows no such chat for this bot: check telegram\.chatId/,
      },
      {
        channel: 'telegram',
        what: '400 upgraded to a supergroup',
        reply: tg(400, 'Bad Request: group chat was upgraded to a supergroup chat', { migrate_to_chat_id: -1009876543210 }),
        fix: /^The group became a supergroup/,
      },
      {
        channel: 'telegram',
        what: '400 message thread not found',
        reply: tg(400, 'Bad Request: message thread not found'),
        fix: /^The forum topic telegram\.messageThreadId/,
      },
      {
        channel: 'telegram',
        what: '400 message is too long',
        reply: tg(400, 'Bad Request: message is too long'),
        fix: /^Telegram refused this message itself/,
      },
      {
        channel: 'telegram',
        what: "400 can't parse entities",
        reply: tg(400, "Bad Request: can't parse entities: unsupported start tag"),
        fix: /^Telegram refused this message itself/,
      },
      { channel: 'telegram', what: '404 Not Found', reply: tg(404, 'Not Found'), fix: /^Telegram answers 404/ },
      { channel: 'telegram', what: '302 redirect', reply: moved(302), fix: redirect('telegram.apiBaseUrl') },
      // Teams Workflows: any 4xx.
      { channel: 'teams', what: '400', reply: json(400, { error: { code: 'InvalidRequestContent' } }), fix: /^The workflow refused the request/ },
      { channel: 'teams', what: '401', reply: json(401, { error: { code: 'DirectApiAuthorizationRequired' } }), fix: flowRefuses },
      { channel: 'teams', what: '403', reply: json(403, { error: { code: 'WorkflowTriggerIsNotEnabled' } }), fix: flowRefuses },
      { channel: 'teams', what: '404', reply: json(404, { error: { code: 'WorkflowNotFound' } }), fix: flowGone },
      { channel: 'teams', what: '410', reply: json(410, {}), fix: flowGone },
      { channel: 'teams', what: '413', reply: json(413, { error: { code: 'RequestEntityTooLarge' } }), fix: /^Teams refused this message itself/ },
      { channel: 'teams', what: '405', reply: json(405, {}), fix: /^Teams refuses the workflow URL for good/ },
      { channel: 'teams', what: '302 redirect', reply: moved(302), fix: redirect('teams.webhookUrl') },
      // Discord: the documented invalid-request statuses.
      {
        channel: 'discord',
        what: '400 Invalid Form Body',
        reply: json(400, { message: 'Invalid Form Body', code: 50035 }),
        fix: /^Discord refused this message itself/,
      },
      {
        channel: 'discord',
        what: '401 Invalid Webhook Token',
        reply: json(401, { message: 'Invalid Webhook Token', code: 50027 }),
        fix: /^The webhook token is invalid/,
      },
      {
        channel: 'discord',
        what: '403 Missing Permissions',
        reply: json(403, { message: 'Missing Permissions', code: 50013 }),
        fix: /^The webhook may not post in its channel/,
      },
      { channel: 'discord', what: '404 Unknown Webhook', reply: json(404, { message: 'Unknown Webhook', code: 10015 }), fix: /^The webhook was deleted/ },
      { channel: 'discord', what: '302 redirect', reply: moved(302), fix: redirect('discord.webhookUrl') },
      // The signed webhook: every redirect and 4xx.
      ...[301, 302, 307, 308].map((status) => ({
        channel: 'webhook' as const,
        what: `${status} redirect`,
        reply: moved(status),
        fix: redirect('webhook.url'),
      })),
      { channel: 'webhook', what: '400', reply: text(400, 'bad request'), fix: badBody },
      { channel: 'webhook', what: '401', reply: text(401, 'signature mismatch'), fix: unauthorised },
      { channel: 'webhook', what: '403', reply: text(403, 'forbidden'), fix: unauthorised },
      { channel: 'webhook', what: '404', reply: text(404, 'not found'), fix: /^Nothing answers at webhook\.url/ },
      { channel: 'webhook', what: '410', reply: text(410, ''), fix: /^The receiver disabled this endpoint/ },
      { channel: 'webhook', what: '413', reply: text(413, 'too large'), fix: /^The receiver refuses bodies this large/ },
      { channel: 'webhook', what: '422', reply: text(422, 'unprocessable'), fix: badBody },
      { channel: 'webhook', what: '405', reply: text(405, 'method not allowed'), fix: /^The receiver refuses the notification for good/ },
      // SNS: a deleted topic for real (moto), the denials moto cannot produce as the SDK names them.
      { channel: 'email', what: 'topic deleted', topicGone: true, fix: /^The SNS topic no longer exists/ },
      { channel: 'email', what: 'AuthorizationErrorException', snsError: 'AuthorizationErrorException', fix: /^The notifier may not publish to the topic/ },
      { channel: 'email', what: 'KMSDisabledException', snsError: 'KMSDisabledException', fix: /^The topic’s KMS key/ },
      { channel: 'email', what: 'InvalidParameterException', snsError: 'InvalidParameterException', fix: /^SNS refused this message itself/ },
      { channel: 'chatbot', what: 'topic deleted', topicGone: true, fix: /^The SNS topic no longer exists/ },
      { channel: 'chatbot', what: 'KMSAccessDeniedException', snsError: 'KMSAccessDeniedException', fix: /^The topic’s KMS key/ },
    ];
    const paged: string[] = [];

    it.each(REFUSALS.map((r, i) => [`${r.channel} ${r.what}`, i, r] as const))('%s', async (_name, i, refusal) => {
      freshWindow();
      let caseDeps: NotifyDeps = deps;
      if ('reply' in refusal) receivers[refusal.channel as HttpName].respond(refusal.reply);
      const field = refusal.channel === 'email' ? 'emailTopicArn' : 'chatbotTopicArn';
      if ('topicGone' in refusal) caseDeps = { ...deps, [field]: `arn:aws:sns:us-east-1:123456789012:ekm-deleted-${refusal.channel}` };
      if ('snsError' in refusal) {
        const real = new SnsPublisher(sns);
        const refused = caseDeps[field];
        const error = Object.assign(new Error(`User: arn:aws:iam::123456789012:role/x is not authorized: ${refused}`), {
          name: refusal.snsError,
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
        });
        caseDeps = { ...deps, send: { ...deps.send, sns: { publish: async (m) => (m.topicArn === refused ? publishOutcome(error) : real.publish(m)) } } };
      }
      const id = `inc-refusal-${i}#1`;
      await enqueue(withId(id));
      const run = await invoke(
        await receive(),
        buildNotifyHandler(() => caseDeps),
      );
      expect(run.response.batchItemFailures).toEqual([]);
      expect(run.docs.find((d) => d['message'] === 'delivery failed permanently; not retried')).toMatchObject({ channel: refusal.channel });

      const subject = `🔴 ekm-prod: ${refusal.channel} stopped accepting alerts`;
      const others = [...HTTP_CHANNELS, 'email', 'chatbot'].filter((c) => c !== refusal.channel);
      const reached: string[] = [];
      for (const name of HTTP_CHANNELS) {
        const got = reports(name);
        if (name === refusal.channel) expect(got, 'never sent to the refusing channel').toEqual([]);
        else if (got.length === 1 && got[0]!.body.includes(subject)) reached.push(name);
      }
      const mails = refusal.channel === 'email' ? [] : await inbox('email');
      const mail = mails.find((m) => m.subject === `[ALERT] ekm-prod: ${refusal.channel} stopped accepting alerts`);
      if (mail) reached.push('email');
      const chats = refusal.channel === 'chatbot' ? [] : await inbox('chatbot');
      if (chats.some((c) => (JSON.parse(c.message) as { content: { title: string } }).content.title.includes(`${refusal.channel} stopped accepting alerts`)))
        reached.push('chatbot');
      expect(reached.sort()).toEqual(others.sort());

      // The fix for that answer, as the report states it.
      const report = refusal.channel === 'webhook' ? null : (JSON.parse(reports('webhook')[0]!.body) as { data: Notification }).data;
      const fix = report?.fix ?? /\nFix: (.*)\n/.exec(mail!.message)?.[1] ?? '';
      expect(fix).toMatch(refusal.fix);
      expect(fix).toMatch(/Then run npx key-monitor test-alert to check\.$/);
      if (report) expect(report.facts.find((f) => f.label === 'Answer')?.value).not.toBe('no reason recorded');
      paged.push(`${refusal.channel} ${refusal.what} → ${reached.length} others`);
    });

    it('covers every channel: each refusal paged all six others', () => {
      expect(paged).toHaveLength(REFUSALS.length);
      expect(new Set(REFUSALS.map((r) => r.channel))).toEqual(new Set([...HTTP_CHANNELS, 'email', 'chatbot']));
      expect(paged.every((p) => p.endsWith('→ 6 others'))).toBe(true);
    });
  });

  it('never puts a token, webhook URL, signing secret or the secret JSON in a log line or metric', () => {
    expect(output.length).toBeGreaterThan(1_000);
    expect(leaks(output)).toEqual([]);
    expect(output).not.toContain(TELEGRAM_TOKEN.split(':')[1]);
    expect(output).not.toContain(secretJson);
    expect(output).not.toContain('webhookQuerySecret01');
    for (const r of Object.values(receivers)) expect(output).not.toContain(r.baseUrl + '/');
  });
});
