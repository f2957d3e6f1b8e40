/**
 * The notifier Lambda (SQS event source, ReportBatchItemFailures): wiring only. Each message is
 * parsed (monitor/queue-message.ts) and delivered to every channel (monitor/deliver-notification.ts).
 * A message a channel asked to retry is held back (ChangeMessageVisibility: the channel's wait or
 * the exponential back-off, whichever is longer) and reported as a batch item failure, so SQS
 * delivers it again; after the queue's maxReceiveCount it moves to the dead-letter queue. A message
 * that can never be delivered (not a notification) is logged, counted and dropped, so it cannot loop.
 * A channel that refuses a message for good is reported to the other channels in the same
 * invocation (deliverWithFailover).
 */
import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { buildChannels } from '../channels/config.js';
import type { Channel } from '../channels/channel.js';
import { createHttpSender } from '../channels/deliver.js';
import { sendNotification, type SendPorts } from '../channels/send.js';
import { METRIC } from '../contract/metrics.js';
import { ENV } from '../contract/env.js';
import { deliverWithFailover, redeliveryDelaySeconds, type DeliveryLedger, type FailoverContext } from '../monitor/deliver-notification.js';
import { bodyExcerpt, parseQueueMessage } from '../monitor/queue-message.js';
import { CachedChannelsSecret, type ChannelsSecretSource } from '../aws/channels-secret.js';
import { DynamoDeliveryLedger } from '../aws/delivery-ledger.js';
import { dynamoDbCall } from '../aws/dynamodb-call.js';
import { SqsMessageVisibility, lazySqsClient, type MessageVisibility } from '../aws/notification-queue.js';
import { logger, metrics } from '../aws/powertools.js';
import { secretsManagerClient } from '../aws/secrets.js';
import { SnsPublisher, snsClient } from '../aws/sns-publish.js';
import { lazily } from './lazily.js';
import { SERVICE_NAME } from '../contract/service.js';

export interface NotifyDeps {
  /** MONITOR_NAME: every notification and User-Agent says which deployment it comes from. */
  readonly source: string;
  readonly dashboardUrl?: string;
  readonly emailTopicArn?: string;
  readonly chatbotTopicArn?: string;
  readonly channelsSecret: ChannelsSecretSource;
  readonly ledger: DeliveryLedger;
  readonly send: SendPorts;
  readonly visibility: MessageVisibility;
}

interface Counts {
  sent: number;
  failed: number;
  retried: number;
  rejected: number;
}

const optional = (value: string | undefined) => (value && value.trim() !== '' ? value.trim() : undefined);

/** This batch's channels: read the secret once per invocation (cached while warm). */
async function channelsForBatch(deps: NotifyDeps): Promise<{ channels: readonly Channel[]; secretUnreadable: boolean }> {
  const secret = await deps.channelsSecret.read();
  if (!secret.ok) {
    // Email and Amazon Q still go out; the HTTP channels get the message on a redelivery.
    logger.error('channels secret unreadable: only email and Amazon Q are delivered now, the message will be retried', { fault: secret.fault, errorName: secret.errorName });
  }
  const built = buildChannels({
    secretJson: secret.ok ? secret.json : undefined,
    emailTopicArn: deps.emailTopicArn,
    chatbotTopicArn: deps.chatbotTopicArn,
    source: deps.source,
  });
  // Field and rule only: ConfigProblem never carries a value.
  for (const p of built.problems) logger.error('channel configuration problem: this channel is left out', { field: p.field, problem: p.problem });
  if (built.channels.length === 0) logger.error('no notification channel is configured: nothing can be delivered');
  return { channels: built.channels, secretUnreadable: !secret.ok };
}

async function handleRecord(
  record: SQSRecord,
  channels: readonly Channel[],
  secretUnreadable: boolean,
  deps: NotifyDeps,
  counts: Counts,
  inFlight: FailoverContext['inFlight'],
): Promise<SQSBatchItemFailure | null> {
  const base = { messageId: record.messageId, receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1) };
  const message = parseQueueMessage(record.body, { source: deps.source, dashboardUrl: deps.dashboardUrl });
  if (message.kind === 'invalid') {
    counts.rejected++;
    // Dropped (reported as done): a message that can never parse would otherwise loop until the DLQ.
    logger.error('queue message rejected and dropped', { ...base, problem: message.problem, excerpt: bodyExcerpt(record.body) });
    return null;
  }
  if (message.kind === 'ignored') {
    logger.info('queue message ignored', { ...base, why: message.why });
    return null;
  }
  const n = message.notification;
  const { result, failover } = await deliverWithFailover(
    n,
    channels,
    {
      ledger: deps.ledger,
      send: (channel, notification) => sendNotification(channel, notification, deps.send),
      log: { warn: (m, f) => logger.warn(m, { ...base, ...f }), error: (m, f) => logger.error(m, { ...base, ...f }) },
      nowMs: deps.send.nowMs,
    },
    { source: deps.source, dashboardUrl: deps.dashboardUrl, inFlight },
  );
  const retries = [...result.retry];
  for (const r of [result, ...failover.filter((f) => f.delivered).map((f) => f.result)]) {
    counts.sent += r.sent.length;
    counts.failed += r.gaveUp.length;
    counts.retried += r.retry.length;
  }
  logger.info('notification delivered', {
    ...base,
    notificationId: n.id,
    kind: n.kind,
    origin: message.kind,
    sent: result.sent,
    skipped: result.skipped,
    gaveUp: result.gaveUp.map((g) => g.channel),
    retry: result.retry.map((r) => ({ channel: r.channel, afterMs: r.afterMs })),
  });
  for (const f of failover) {
    logger.info('channel refusal reported to the other channels', {
      ...base,
      refusedBy: f.channel,
      notificationId: f.notification.id,
      sent: f.result.sent,
      skipped: f.result.skipped,
      gaveUp: f.result.gaveUp.map((g) => g.channel),
      retry: f.result.retry.map((r) => ({ channel: r.channel, afterMs: r.afterMs })),
    });
    // The report is rebuilt from the ledger on the redelivery, so a report that must be retried
    // holds back the message that caused it.
    retries.push(...f.result.retry);
  }
  // An unreadable channels secret means the HTTP channels have not had it yet: come back for them.
  if (retries.length === 0 && !secretUnreadable) return null;

  const seconds = redeliveryDelaySeconds(base.receiveCount, retries);
  try {
    await deps.visibility.change(record.eventSourceARN, record.receiptHandle, seconds);
  } catch (err) {
    // The queue's own visibility timeout applies instead; the retry still happens.
    logger.warn('could not hold the message back; it returns after the queue’s visibility timeout', { ...base, errorName: (err as Error | null)?.name });
  }
  return { itemIdentifier: record.messageId };
}

/** Every record of the batch concurrently (a batch is at most a few messages); never throws per record. */
export async function notifyBatch(event: SQSEvent, deps: NotifyDeps): Promise<SQSBatchResponse> {
  const counts: Counts = { sent: 0, failed: 0, retried: 0, rejected: 0 };
  const { channels, secretUnreadable } = await channelsForBatch(deps);
  const inFlight: FailoverContext['inFlight'] = new Map();
  const failures = await Promise.all(
    (event.Records ?? []).map(async (record) => {
      try {
        return await handleRecord(record, channels, secretUnreadable, deps, counts, inFlight);
      } catch (err) {
        logger.error('queue message could not be handled; it will be retried', { messageId: record.messageId, errorName: (err as Error | null)?.name });
        return { itemIdentifier: record.messageId };
      }
    }),
  );
  metrics.addMetric(METRIC.deliveriesSent, MetricUnit.Count, counts.sent);
  metrics.addMetric(METRIC.deliveriesFailed, MetricUnit.Count, counts.failed);
  metrics.addMetric(METRIC.deliveriesRetried, MetricUnit.Count, counts.retried);
  metrics.addMetric(METRIC.messagesRejected, MetricUnit.Count, counts.rejected);
  return { batchItemFailures: failures.filter((f): f is SQSBatchItemFailure => f !== null) };
}

/** Kept warm: clients, keep-alive connections and the secret cache survive invocations. */
const defaultDeps = lazily((): NotifyDeps => {
  const env = process.env;
  const table = optional(env[ENV.stateTable]);
  if (!table) throw new Error(`${ENV.stateTable} is not set: the notifier needs the delivery ledger`);
  const sns = new SnsPublisher(snsClient());
  const http = createHttpSender();
  return {
    source: optional(env[ENV.monitorName]) ?? SERVICE_NAME,
    dashboardUrl: optional(env[ENV.dashboardUrl]),
    emailTopicArn: optional(env[ENV.emailTopicArn]),
    chatbotTopicArn: optional(env[ENV.chatbotTopicArn]),
    channelsSecret: new CachedChannelsSecret(secretsManagerClient(), optional(env[ENV.channelsSecretId])),
    ledger: new DynamoDeliveryLedger(dynamoDbCall(), table),
    send: { http, sns, nowMs: Date.now },
    visibility: new SqsMessageVisibility(lazySqsClient()),
  };
});

export function buildNotifyHandler(getDeps: () => NotifyDeps = defaultDeps) {
  return middy((event: SQSEvent) => notifyBatch(event, getDeps()))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = buildNotifyHandler();
