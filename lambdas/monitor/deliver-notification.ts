/**
 * Delivering one notification to every channel, at most once per channel: the use case behind the
 * notifier Lambda, over ports (ledger, send, log) and with no AWS import.
 *
 * Per channel: claim (id, channel) in the ledger, send, then record the verdict. The claim is a
 * conditional write, so when the same message is handled twice at once (an SQS redelivery racing
 * the first delivery, or a producer that enqueued twice) exactly one handler sends; the other sees
 * the claim and asks to come back later. Channels run concurrently and each one's failure is its
 * own: a dead or slow channel never blocks or fails the others.
 *
 * What "at most once" cannot cover: a handler that dies after its send but before its record (a
 * Lambda timeout or crash, or a ledger write that fails after the send) leaves the claim without a
 * verdict. The claim's lease then runs out and a redelivery sends again: a duplicate, never a loss.
 * The same holds for a send that timed out after the service received it (channels say so).
 */
import type { ChannelName, Channel, DeliveryOutcome } from '../channels/channel.js';
import type { Notification } from '../contract/notification.js';
import { DEFAULT_RETRY_WAIT_MS } from '../channels/outcome.js';

export type LedgerClaim =
  /** This caller owns the delivery until it records or releases it (or the lease runs out). */
  | { readonly status: 'claimed'; readonly token: string }
  /** Already sent, or given up on: nothing to do. */
  | { readonly status: 'handled'; readonly outcome: 'sent' | 'gave-up' }
  /** Another handler holds a live claim; its lease ends in retryAfterMs. */
  | { readonly status: 'in-flight'; readonly retryAfterMs: number };

export interface DeliveryVerdict {
  readonly status: 'sent' | 'gave-up';
  /** Redacted reason for a give-up. */
  readonly reason?: string;
}

/** Which notification went out on which channel (adapter: DynamoDB, `DELIVERY#<id>` / `<channel>`). */
export interface DeliveryLedger {
  /** Take (id, channel) before sending. Of concurrent callers, exactly one gets `claimed`. */
  claim(id: string, channel: ChannelName): Promise<LedgerClaim>;
  /** The verdict for a claim this caller holds; a later redelivery sees it as handled. */
  record(id: string, channel: ChannelName, token: string, verdict: DeliveryVerdict): Promise<void>;
  /** Give a claim back after a retryable failure, so the redelivery can send at once. */
  release(id: string, channel: ChannelName, token: string): Promise<void>;
}

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
}

export interface RetryRequest {
  readonly channel: ChannelName;
  readonly afterMs: number;
  readonly reason: string;
}

export interface DeliveryResult {
  readonly sent: readonly ChannelName[];
  readonly gaveUp: readonly { readonly channel: ChannelName; readonly reason: string }[];
  readonly retry: readonly RetryRequest[];
  /** Already handled by an earlier delivery of the same notification. */
  readonly skipped: readonly ChannelName[];
}

type ChannelResult =
  | { readonly kind: 'sent' }
  | { readonly kind: 'gave-up'; readonly reason: string }
  | { readonly kind: 'retry'; readonly afterMs: number; readonly reason: string }
  | { readonly kind: 'skipped' };

/** An error as its class name only: adapter messages can quote ARNs, URLs or tokens. */
function errorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[A-Za-z]{1,64}$/.test(name) ? name : 'Error';
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
  if (claim.status === 'handled') return { kind: 'skipped' };
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

  const verdict: DeliveryVerdict = outcome.status === 'sent' ? { status: 'sent' } : { status: 'gave-up', reason: outcome.reason };
  if (outcome.status === 'permanent') ports.log.error('delivery failed permanently; not retried', { ...fields, reason: outcome.reason });
  try {
    await ports.ledger.record(n.id, channel.name, claim.token, verdict);
  } catch (err) {
    // Sent (or given up) but not recorded: the claim stays until its lease ends, and only a
    // redelivery of this message after that (another channel's retry) would send it again.
    ports.log.warn('delivery not recorded; a redelivery after the lease could repeat it', { ...fields, errorName: errorName(err) });
  }
  return outcome.status === 'sent' ? { kind: 'sent' } : { kind: 'gave-up', reason: outcome.reason };
}

/** Deliver to every channel concurrently; each channel's result is its own. Never throws. */
export async function deliverNotification(n: Notification, channels: readonly Channel[], ports: DeliveryPorts): Promise<DeliveryResult> {
  const results = await Promise.all(
    channels.map(async (channel) => {
      try {
        return [channel.name, await deliverToChannel(channel, n, ports)] as const;
      } catch (err) {
        return [channel.name, { kind: 'retry', afterMs: DEFAULT_RETRY_WAIT_MS, reason: `${channel.name}: unexpected error (${errorName(err)})` } as ChannelResult] as const;
      }
    }),
  );
  const sent: ChannelName[] = [];
  const gaveUp: { channel: ChannelName; reason: string }[] = [];
  const retry: RetryRequest[] = [];
  const skipped: ChannelName[] = [];
  for (const [channel, r] of results) {
    if (r.kind === 'sent') sent.push(channel);
    else if (r.kind === 'gave-up') gaveUp.push({ channel, reason: r.reason });
    else if (r.kind === 'retry') retry.push({ channel, afterMs: r.afterMs, reason: r.reason });
    else skipped.push(channel);
  }
  return { sent, gaveUp, retry, skipped };
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
