/**
 * The producers' side of the notification queue (check Lambda, rotation Lambda, CLI): enqueue
 * notifications with SendMessageBatch (10 entries and 256 KB per call), retry what failed once, and
 * say exactly which notification ids could not be enqueued. The body is the Notification JSON
 * (monitor/queue-message.ts); no message attributes, no FIFO: the notifier deduplicates by id.
 * Also the consumer's one call (ChangeMessageVisibility), so the queue's two sides live together.
 */
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { AWS_CALL_TIMEOUT_MS } from '../contract/defaults.js';
import type { Notification } from '../contract/notification.js';
import type { MessageVisibility } from '../monitor/ports.js';
import { InvalidNotification, MAX_MESSAGE_BYTES, serializeNotification } from '../monitor/queue-message.js';
import { awsCallDeadlineMs, awsClientOptions, awsFault, callWithDeadline } from './aws-calls.js';

/** SendMessageBatch limits: entries per call, and all bodies together. */
const ENTRIES_PER_BATCH = 10;
const BATCH_MAX_BYTES = MAX_MESSAGE_BYTES;

export interface NotificationQueue {
  /** Resolves when every notification is enqueued; otherwise throws NotificationsNotEnqueued. */
  send(notifications: readonly Notification[]): Promise<void>;
}

export interface NotEnqueued {
  readonly id: string;
  /** An SQS error code or SDK error class; never the service's message. */
  readonly reason: string;
}

export class NotificationsNotEnqueued extends Error {
  override readonly name = 'NotificationsNotEnqueued';
  constructor(readonly failed: readonly NotEnqueued[]) {
    super(
      `${failed.length} notification(s) could not be enqueued: ${failed
        .map((f) => `${f.id} (${f.reason})`)
        .join(', ')
        .slice(0, 1_000)}`,
    );
  }
}

/** An SQS client, or a way to make one when first needed. */
export type SqsSource = SQSClient | (() => Promise<SQSClient>);

// The SDK module is loaded on first use, never at module load: a check run that enqueues nothing
// (every healthy run) does not pay for it on a cold start.
const sqsModule = () => import('@aws-sdk/client-sqs');

/** An SQS client whose every call ends (see aws-calls.ts), made on first use. */
export function lazySqsClient(opts: { timeoutMs?: number } = {}): () => Promise<SQSClient> {
  let made: Promise<SQSClient> | undefined;
  return () => (made ??= sqsModule().then(({ SQSClient }) => new SQSClient(awsClientOptions(opts.timeoutMs ?? AWS_CALL_TIMEOUT_MS))));
}

const clientOf = (source: SqsSource): Promise<SQSClient> => (typeof source === 'function' ? source() : Promise.resolve(source));

interface Entry {
  readonly notificationId: string;
  readonly body: string;
  readonly bytes: number;
}

/** Entries grouped so that no call has more than 10 of them or more than 256 KB of bodies. */
function batches(entries: readonly Entry[]): Entry[][] {
  const out: Entry[][] = [];
  let current: Entry[] = [];
  let size = 0;
  for (const e of entries) {
    if (current.length === ENTRIES_PER_BATCH || (current.length > 0 && size + e.bytes > BATCH_MAX_BYTES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(e);
    size += e.bytes;
  }
  if (current.length) out.push(current);
  return out;
}

const safeCode = (code: unknown) => (typeof code === 'string' && /^[A-Za-z0-9.]{1,64}$/.test(code) ? code : 'Error');

export class SqsNotificationQueue implements NotificationQueue {
  constructor(
    private readonly sqs: SqsSource,
    private readonly queueUrl: string,
    private readonly deadlineMs: number = awsCallDeadlineMs(),
  ) {}

  /** One call; returns the entries that failed, each with its reason, and whether a retry may help. */
  private async sendBatch(batch: readonly Entry[]): Promise<{ entry: Entry; reason: string; retryable: boolean }[]> {
    // Batch entry ids are per call: the position is enough, and notification ids may contain characters SQS refuses there.
    const request: SendMessageBatchRequestEntry[] = batch.map((e, i) => ({ Id: `n${i}`, MessageBody: e.body }));
    try {
      const [sqs, { SendMessageBatchCommand }] = await Promise.all([clientOf(this.sqs), sqsModule()]);
      const out = await callWithDeadline(
        (abortSignal) => sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: request }), { abortSignal }),
        this.deadlineMs,
      );
      const done = new Set((out.Successful ?? []).map((s) => s.Id));
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      return batch.flatMap((entry, i) => {
        if (done.has(`n${i}`)) return [];
        const f = failed.get(`n${i}`);
        // Neither successful nor failed: treat as failed and retryable rather than assume.
        return [{ entry, reason: f ? safeCode(f.Code) : 'no result for this entry', retryable: f ? f.SenderFault !== true : true }];
      });
    } catch (err) {
      const { fault, errorName } = awsFault(err);
      const retryable = !['access-denied', 'kms-denied', 'not-found', 'no-region'].includes(fault);
      // A timeout may still have enqueued: the retry can duplicate, which the notifier's ledger absorbs.
      return batch.map((entry) => ({ entry, reason: errorName, retryable }));
    }
  }

  async send(notifications: readonly Notification[]): Promise<void> {
    const failed: NotEnqueued[] = [];
    const entries: Entry[] = [];
    for (const n of notifications) {
      try {
        const body = serializeNotification(n);
        entries.push({ notificationId: n.id, body, bytes: Buffer.byteLength(body, 'utf8') });
      } catch (err) {
        // The notifier would drop it; the others still go.
        failed.push({ id: String(n.id).slice(0, 200), reason: err instanceof InvalidNotification ? `invalid: ${err.problem}` : 'could not be serialized' });
      }
    }
    const firstFailures = (await Promise.all(batches(entries).map((b) => this.sendBatch(b)))).flat();
    const again = firstFailures.filter((f) => f.retryable).map((f) => f.entry);
    for (const f of firstFailures) if (!f.retryable) failed.push({ id: f.entry.notificationId, reason: f.reason });
    if (again.length) {
      const secondFailures = (await Promise.all(batches(again).map((b) => this.sendBatch(b)))).flat();
      for (const f of secondFailures) failed.push({ id: f.entry.notificationId, reason: f.reason });
    }
    if (failed.length) throw new NotificationsNotEnqueued(failed);
  }
}

/** `arn:aws:sqs:eu-west-1:123456789012:name` → its queue URL (what SQS calls take), or null. */
export function queueUrlFromArn(arn: string): string | null {
  const m = /^arn:(aws[a-z-]*):sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/.exec(arn);
  if (!m) return null;
  const [, partition, region, account, name] = m;
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

export class SqsMessageVisibility implements MessageVisibility {
  constructor(
    private readonly sqs: SqsSource,
    /** The queue URL for a record's queue ARN; an emulator's URLs are not AWS's. */
    private readonly queueUrlFor: (queueArn: string) => string | null = queueUrlFromArn,
    private readonly deadlineMs: number = awsCallDeadlineMs(),
  ) {}

  async change(queueArn: string, receiptHandle: string, seconds: number): Promise<void> {
    const queueUrl = this.queueUrlFor(queueArn);
    if (!queueUrl) throw new Error('the record’s eventSourceARN is not an SQS queue ARN');
    const [sqs, { ChangeMessageVisibilityCommand }] = await Promise.all([clientOf(this.sqs), sqsModule()]);
    await callWithDeadline(
      (abortSignal) =>
        sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
          }),
          { abortSignal },
        ),
      this.deadlineMs,
    );
  }
}
