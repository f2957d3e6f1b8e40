/**
 * The notifier's batch: each queue message parsed (queue-message.ts) and delivered to every channel
 * (deliver-notification.ts). The use case behind the notifier Lambda, over ports (channels secret,
 * ledger, senders, queue visibility, log), no AWS import.
 *
 * A message a channel asked to retry is held back (the channel's wait or the exponential back-off,
 * whichever is longer) and reported as a batch item failure, so the queue delivers it again; after
 * the queue's maxReceiveCount it moves to the dead-letter queue. A message that can never be
 * delivered (not a notification) is logged, counted and dropped, so it cannot loop. A channel that
 * refuses a message for good is reported to the other channels in the same batch
 * (deliverWithFailover).
 */
import { buildChannels, type ConfigProblem } from '../channels/config.js';
import type { Channel } from '../channels/channel.js';
import { sendNotification, type SendPorts } from '../channels/send.js';
import { CHANNEL_FAILED_KIND, channelsSecretProblemNotification, leftOutRefusal } from './channel-failed.js';
import {
  deliverReport,
  deliverWithFailover,
  redeliveryDelaySeconds,
  type ChannelRefusal,
  type DeliveryPorts,
  type FailoverContext,
} from './deliver-notification.js';
import type { DeliveryLedger } from './ports.js';
import type { ChannelsSecretSource, MessageVisibility } from './ports.js';
import { bodyExcerpt, parseQueueMessage } from './queue-message.js';

/** One queue message as the event source delivers it (an SQS record has these fields). */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly receiptHandle: string;
  /** The queue's ARN: where the message is held back. */
  readonly eventSourceARN: string;
  readonly attributes?: { readonly ApproximateReceiveCount?: string | undefined } | undefined;
}

/** Log lines carry ids, names and redacted reasons, never a notification body or a channel secret. */
export interface NotifierLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

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

/** What one batch did, counted as the delivery metrics count it. */
export interface Counts {
  sent: number;
  failed: number;
  retried: number;
  rejected: number;
}

/** This batch's channels, and what its configuration leaves out. */
interface BatchChannels {
  readonly channels: readonly Channel[];
  /** Channels configured but broken, as refusals: each is reported like a channel that refuses for good. */
  readonly leftOut: readonly ChannelRefusal[];
  /** Problems of the channels secret that name no channel, reported on their own. */
  readonly secretProblems: readonly ConfigProblem[];
  readonly secretUnusable: boolean;
  /** The chat channels have not had this batch's messages (secret unreadable or unusable): come back for them. */
  readonly holdForChatChannels: boolean;
  readonly atMs: number;
}

/** This batch's channels: read the secret once per invocation (cached while warm). */
async function channelsForBatch(deps: NotifyDeps, log: NotifierLog): Promise<BatchChannels> {
  const secret = await deps.channelsSecret.read();
  if (!secret.ok) {
    // Email and Amazon Q still go out; the HTTP channels get the message on a redelivery.
    log.error('channels secret unreadable: only email and Amazon Q are delivered now, the message will be retried', {
      fault: secret.fault,
      errorName: secret.errorName,
    });
  }
  const built = buildChannels({
    secretJson: secret.ok ? secret.json : undefined,
    emailTopicArn: deps.emailTopicArn,
    chatbotTopicArn: deps.chatbotTopicArn,
    source: deps.source,
  });
  // Field and rule only: ConfigProblem never carries a value.
  for (const p of built.problems) log.error('channel configuration problem: this channel is left out', { field: p.field, problem: p.problem });
  if (built.channels.length === 0) log.error('no notification channel is configured: nothing can be delivered');
  const atMs = deps.send.nowMs();
  return {
    channels: built.channels,
    leftOut: built.leftOut.map((l) => leftOutRefusal(l, atMs)),
    secretProblems: built.secretProblems,
    secretUnusable: built.secretUnusable,
    holdForChatChannels: !secret.ok || built.secretUnusable,
    atMs,
  };
}

async function handleRecord(
  record: QueueRecord,
  batch: BatchChannels,
  deps: NotifyDeps,
  log: NotifierLog,
  counts: Counts,
  inFlight: FailoverContext['inFlight'],
): Promise<string | null> {
  const base = { messageId: record.messageId, receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1) };
  const message = parseQueueMessage(record.body, { source: deps.source, dashboardUrl: deps.dashboardUrl });
  if (message.kind === 'invalid') {
    counts.rejected++;
    // Dropped (reported as done): a message that can never parse would otherwise loop until the DLQ.
    log.error('queue message rejected and dropped', { ...base, problem: message.problem, excerpt: bodyExcerpt(record.body) });
    return null;
  }
  if (message.kind === 'ignored') {
    log.info('queue message ignored', { ...base, why: message.why });
    return null;
  }
  const n = message.notification;
  const { channels } = batch;
  const ports: DeliveryPorts = {
    ledger: deps.ledger,
    send: (channel, notification) => sendNotification(channel, notification, deps.send),
    log: { warn: (m, f) => log.warn(m, { ...base, ...f }), error: (m, f) => log.error(m, { ...base, ...f }) },
    nowMs: deps.send.nowMs,
  };
  const context = { source: deps.source, dashboardUrl: deps.dashboardUrl, inFlight };
  const isReport = n.kind === CHANNEL_FAILED_KIND;
  const { result, failover } = await deliverWithFailover(n, channels, ports, context, isReport ? [] : batch.leftOut);
  const reports = [...failover];
  if (!isReport && batch.secretProblems.length > 0) {
    const report = channelsSecretProblemNotification(batch.secretProblems, batch.secretUnusable, batch.atMs, n, context);
    reports.push({ channel: 'channels-secret', notification: report, ...(await deliverReport(report, channels, ports, context)) });
  }
  const retries = [...result.retry];
  for (const r of [result, ...reports.filter((f) => f.delivered).map((f) => f.result)]) {
    counts.sent += r.sent.length;
    counts.failed += r.gaveUp.length;
    counts.retried += r.retry.length;
  }
  // A channel its configuration leaves out missed this notification as surely as one that refused it.
  if (!isReport) counts.failed += batch.leftOut.length + (batch.secretProblems.length > 0 ? 1 : 0);
  log.info('notification delivered', {
    ...base,
    notificationId: n.id,
    kind: n.kind,
    origin: message.kind,
    sent: result.sent,
    skipped: result.skipped,
    gaveUp: result.gaveUp.map((g) => g.channel),
    retry: result.retry.map((r) => ({ channel: r.channel, afterMs: r.afterMs })),
  });
  for (const f of reports) {
    log.info('channel refusal reported to the other channels', {
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
  // An unreadable or unusable channels secret means the HTTP channels have not had it yet: come back for them.
  if (retries.length === 0 && !batch.holdForChatChannels) return null;

  const seconds = redeliveryDelaySeconds(base.receiveCount, retries);
  try {
    await deps.visibility.change(record.eventSourceARN, record.receiptHandle, seconds);
  } catch (err) {
    // The queue's own visibility timeout applies instead; the retry still happens.
    log.warn('could not hold the message back; it returns after the queue’s visibility timeout', { ...base, errorName: (err as Error | null)?.name });
  }
  return record.messageId;
}

/** What the queue is told: the messages to deliver again, and the batch's counts. */
export interface BatchOutcome {
  /** Message ids to deliver again (SQS batch item failures). */
  readonly retry: readonly string[];
  readonly counts: Counts;
}

/** Every record of the batch concurrently (a batch is at most a few messages); never throws per record. */
export async function notifyBatch(records: readonly QueueRecord[], deps: NotifyDeps, log: NotifierLog): Promise<BatchOutcome> {
  const counts: Counts = { sent: 0, failed: 0, retried: 0, rejected: 0 };
  const batch = await channelsForBatch(deps, log);
  const inFlight: FailoverContext['inFlight'] = new Map();
  const retry = await Promise.all(
    records.map(async (record) => {
      try {
        return await handleRecord(record, batch, deps, log, counts, inFlight);
      } catch (err) {
        log.error('queue message could not be handled; it will be retried', { messageId: record.messageId, errorName: (err as Error | null)?.name });
        return record.messageId;
      }
    }),
  );
  return { retry: retry.filter((id): id is string => id !== null), counts };
}
