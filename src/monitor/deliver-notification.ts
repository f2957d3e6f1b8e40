/**
 * Delivering one notification to every channel, once per channel (but for the duplicates below):
 * what the notifier's batch (notify-batch.ts) does for each message, over ports (ledger, send, log,
 * clock), no AWS import.
 *
 * Per channel: claim (id, channel) in the ledger, send, then record the verdict. The claim is a
 * conditional write, so when the same message is handled twice at once (an SQS redelivery racing
 * the first delivery, or a producer that enqueued twice) exactly one handler sends; the other sees
 * the claim and asks to come back later. Channels run concurrently and each one's failure is its
 * own: a dead or slow channel never blocks or fails the others.
 *
 * What "at most once" cannot cover: a handler that dies after its send but before its record (a
 * Lambda timeout or crash, or a ledger that refuses the record on every try) leaves the claim
 * without a verdict. The claim's lease then runs out and a redelivery sends again on that channel
 * only: a duplicate, never a loss. The same holds for a send that timed out after the service
 * received it (channels say so). The record is therefore tried RECORD_ATTEMPTS times.
 *
 * A channel that refuses for good is reported to the others at once (deliverWithFailover).
 */
import type { ChannelName, Channel, DeliveryOutcome } from '../channels/channel.js';
import type { Notification } from '../contract/notification.js';
import { DEFAULT_RETRY_WAIT_MS } from '../channels/outcome.js';
import type { AlarmContext } from './alarm-notification.js';
import { CHANNEL_FAILED_KIND, channelFailedNotification } from './channel-failed.js';
import type { DeliveryLedger, DeliveryVerdict, LedgerClaim, Refusal } from './ports.js';

/** Log lines carry names and redacted reasons only, never a notification body or a channel secret. */
export interface DeliveryLog {
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface DeliveryPorts {
  readonly ledger: DeliveryLedger;
  /** One attempt on one channel (channels/send.ts with the HTTP sender and the SNS adapter). */
  readonly send: (channel: Channel, notification: Notification) => Promise<DeliveryOutcome>;
  readonly log: DeliveryLog;
  /** When a refusal happened (it picks the report's window). */
  readonly nowMs: () => number;
  /** Between tries of a failed record; a real pause by default. */
  readonly pause?: (ms: number) => Promise<void>;
}

export interface RetryRequest {
  readonly channel: ChannelName;
  readonly afterMs: number;
  readonly reason: string;
}

export interface ChannelRefusal extends Refusal {
  readonly channel: ChannelName;
}

export interface DeliveryResult {
  readonly sent: readonly ChannelName[];
  /** Refused for good by this delivery. */
  readonly gaveUp: readonly ChannelRefusal[];
  readonly retry: readonly RetryRequest[];
  /** Already handled by an earlier delivery of the same notification. */
  readonly skipped: readonly ChannelName[];
  /** Of the skipped, those an earlier delivery gave up on, with the refusal it recorded. */
  readonly refusedBefore: readonly ChannelRefusal[];
}

type ChannelResult =
  | { readonly kind: 'sent' }
  | { readonly kind: 'gave-up'; readonly refusal: Refusal }
  | { readonly kind: 'retry'; readonly afterMs: number; readonly reason: string }
  | { readonly kind: 'skipped'; readonly refusal: Refusal | null };

/** Tries of a verdict record before the claim is left to its lease. */
export const RECORD_ATTEMPTS = 3;
const RECORD_PAUSE_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An error as its class name only: adapter messages can quote ARNs, URLs or tokens. */
function errorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[A-Za-z]{1,64}$/.test(name) ? name : 'Error';
}

/**
 * The verdict, recorded: a failed write is tried again at once (a throttled or dropped call is
 * the usual cause), since every try that fails widens the window in which a redelivery repeats
 * the send. A claim taken over in the meantime is not retried: it is no longer ours.
 */
async function recordVerdict(channel: Channel, n: Notification, token: string, verdict: DeliveryVerdict, ports: DeliveryPorts): Promise<void> {
  const fields = { notificationId: n.id, kind: n.kind, channel: channel.name };
  for (let attempt = 1; ; attempt++) {
    try {
      const recorded = await ports.ledger.record(n.id, channel.name, token, verdict);
      if (recorded === 'claim-lost') ports.log.warn('delivery not recorded: the claim was taken over after its lease; that handler may send it again', fields);
      return;
    } catch (err) {
      if (attempt >= RECORD_ATTEMPTS) {
        // The claim stays until its lease ends; only a redelivery of this message after that
        // (another channel's retry) would send it again, and only on this channel.
        ports.log.warn('delivery not recorded; a redelivery after the lease could repeat it on this channel', {
          ...fields,
          attempts: attempt,
          errorName: errorName(err),
        });
        return;
      }
      await (ports.pause ?? sleep)(RECORD_PAUSE_MS * attempt);
    }
  }
}

async function deliverToChannel(channel: Channel, n: Notification, ports: DeliveryPorts): Promise<ChannelResult> {
  const fields = { notificationId: n.id, kind: n.kind, channel: channel.name };
  let claim: LedgerClaim;
  try {
    claim = await ports.ledger.claim(n.id, channel.name);
  } catch (err) {
    // Sending without a claim could repeat on every redelivery; waiting cannot duplicate.
    const reason = `${channel.name}: delivery ledger unavailable (${errorName(err)})`;
    ports.log.warn('delivery ledger claim failed; will retry', { ...fields, errorName: errorName(err) });
    return { kind: 'retry', afterMs: DEFAULT_RETRY_WAIT_MS, reason };
  }
  if (claim.status === 'handled') return { kind: 'skipped', refusal: claim.outcome === 'gave-up' ? claim.refusal : null };
  if (claim.status === 'in-flight') {
    return { kind: 'retry', afterMs: Math.max(1_000, claim.retryAfterMs), reason: `${channel.name}: another delivery of this notification is in progress` };
  }

  let outcome: DeliveryOutcome;
  try {
    outcome = await ports.send(channel, n);
  } catch (err) {
    // The ports classify every reply; a throw is a bug or an unforeseen fault. Retrying lets the
    // dead-letter queue (and its alarm) catch a persistent one.
    outcome = { status: 'retry', afterMs: DEFAULT_RETRY_WAIT_MS, reason: `${channel.name}: unexpected error (${errorName(err)})` };
  }

  if (outcome.status === 'retry') {
    await ports.ledger.release(n.id, channel.name, claim.token).catch((err: unknown) => {
      // The lease runs out on its own; the redelivery only waits for it.
      ports.log.warn('delivery ledger release failed', { ...fields, errorName: errorName(err) });
    });
    ports.log.warn('delivery will be retried', { ...fields, afterMs: outcome.afterMs, reason: outcome.reason });
    return { kind: 'retry', afterMs: outcome.afterMs, reason: outcome.reason };
  }

  if (outcome.status === 'sent') {
    await recordVerdict(channel, n, claim.token, { status: 'sent' }, ports);
    return { kind: 'sent' };
  }
  const refusal: Refusal = { reason: outcome.reason, fix: outcome.fix, atMs: ports.nowMs() };
  ports.log.error('delivery failed permanently; not retried', { ...fields, reason: outcome.reason, fix: outcome.fix });
  await recordVerdict(channel, n, claim.token, { status: 'gave-up', refusal }, ports);
  return { kind: 'gave-up', refusal };
}

/** Deliver to every channel concurrently; each channel's result is its own. Never throws. */
export async function deliverNotification(n: Notification, channels: readonly Channel[], ports: DeliveryPorts): Promise<DeliveryResult> {
  const results = await Promise.all(
    channels.map(async (channel) => {
      try {
        return [channel.name, await deliverToChannel(channel, n, ports)] as const;
      } catch (err) {
        return [
          channel.name,
          { kind: 'retry', afterMs: DEFAULT_RETRY_WAIT_MS, reason: `${channel.name}: unexpected error (${errorName(err)})` } as ChannelResult,
        ] as const;
      }
    }),
  );
  const sent: ChannelName[] = [];
  const gaveUp: ChannelRefusal[] = [];
  const retry: RetryRequest[] = [];
  const skipped: ChannelName[] = [];
  const refusedBefore: ChannelRefusal[] = [];
  for (const [channel, r] of results) {
    if (r.kind === 'sent') sent.push(channel);
    else if (r.kind === 'gave-up') gaveUp.push({ channel, ...r.refusal });
    else if (r.kind === 'retry') retry.push({ channel, afterMs: r.afterMs, reason: r.reason });
    else {
      skipped.push(channel);
      if (r.refusal) refusedBefore.push({ channel, ...r.refusal });
    }
  }
  return { sent, gaveUp, retry, skipped, refusedBefore };
}

/** One "stopped accepting alerts" report and how its delivery went. */
export interface FailoverReport {
  /** The refusing or left-out channel, or the channels secret as a whole. */
  readonly channel: ChannelName | 'channels-secret';
  readonly notification: Notification;
  readonly result: DeliveryResult;
  /**
   * False when another message of the same batch delivered this very report (same id): its
   * result is shared, and counted once, by the message that delivered it.
   */
  readonly delivered: boolean;
}

export interface FailoverContext extends AlarmContext {
  /**
   * Reports being delivered, by id, shared by the messages of one batch: several messages refused
   * by the same channel deliver its report once instead of racing for the same ledger claims.
   */
  readonly inFlight: Map<string, Promise<DeliveryResult>>;
}

/**
 * Deliver `n`, then report each channel that refused it for good (now, or in an earlier delivery
 * of the same message, in case that report did not get through), and each channel its
 * configuration left out (`leftOut`), to every other channel. A refusal of a report is not
 * reported in turn: the refusing channel is then known dead, and the next real notification it
 * refuses is reported in its own window.
 */
export async function deliverWithFailover(
  n: Notification,
  channels: readonly Channel[],
  ports: DeliveryPorts,
  context: FailoverContext,
  leftOut: readonly ChannelRefusal[] = [],
): Promise<{ readonly result: DeliveryResult; readonly failover: readonly FailoverReport[] }> {
  const result = await deliverNotification(n, channels, ports);
  if (n.kind === CHANNEL_FAILED_KIND) return { result, failover: [] };
  const failover = await Promise.all(
    [...result.gaveUp, ...result.refusedBefore, ...leftOut].map(async ({ channel, ...refusal }): Promise<FailoverReport> => {
      const report = channelFailedNotification(channel, refusal, n, context);
      const delivery = await deliverReport(
        report,
        channels.filter((c) => c.name !== channel),
        ports,
        context,
      );
      return { channel, notification: report, ...delivery };
    }),
  );
  return { result, failover };
}

/**
 * Deliver a report once per batch: several messages that give rise to the same report (same id)
 * share one delivery instead of racing for the same ledger claims.
 */
export async function deliverReport(
  report: Notification,
  channels: readonly Channel[],
  ports: DeliveryPorts,
  context: Pick<FailoverContext, 'inFlight'>,
): Promise<{ readonly result: DeliveryResult; readonly delivered: boolean }> {
  const running = context.inFlight.get(report.id);
  if (running) return { result: await running, delivered: false };
  const delivery = deliverNotification(report, channels, ports);
  context.inFlight.set(report.id, delivery);
  return { result: await delivery, delivered: true };
}

/** The first redelivery waits this long; each further one twice as long. */
const REDELIVERY_BASE_SECONDS = 30;
/** The longest wait (SQS allows a message to be delayed at most 15 minutes). */
const REDELIVERY_MAX_SECONDS = 900;

/**
 * How long a message that asked for a retry stays invisible: the longest wait any channel asked
 * for, and at least the exponential back-off for this receive (30 s × 2^(n-1), capped at 15 min).
 */
export function redeliveryDelaySeconds(receiveCount: number, retries: readonly Pick<RetryRequest, 'afterMs'>[]): number {
  const n = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  const backoff = REDELIVERY_BASE_SECONDS * 2 ** Math.min(n - 1, 10);
  const hint = Math.max(0, ...retries.map((r) => (Number.isFinite(r.afterMs) ? Math.ceil(r.afterMs / 1000) : 0)));
  return Math.min(REDELIVERY_MAX_SECONDS, Math.max(backoff, hint));
}
