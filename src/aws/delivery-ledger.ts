/**
 * The delivery ledger in the incident store (see contract/store.ts): one item per notification and
 * channel, `pk = DELIVERY#<notification id>`, `sk = <channel>`, expiring after DELIVERY_RECORD_DAYS.
 *
 *   status   'sending' (a claim) | 'sent' | 'gave-up'
 *   token    the claim holder's random token: only it may record or release
 *   leaseUntil  epoch ms; an expired 'sending' claim may be taken over (its holder died mid-send)
 *   at       ISO time of the claim or verdict (for 'gave-up': of the refusal)
 *   reason   redacted, for 'gave-up'
 *   fix      the refusal table's fix, for 'gave-up'
 *
 * The claim is a conditional put (`attribute_not_exists(pk)`, or an expired claim), so of two
 * handlers delivering the same message at once exactly one sends on each channel.
 */
import { randomUUID } from 'node:crypto';
import type { ChannelName } from '../channels/channel.js';
import { DELIVERY_RECORD_DAYS, deliveryPk, STORE } from '../contract/store.js';
import type { DeliveryLedger, DeliveryVerdict, LedgerClaim, Refusal } from '../monitor/ports.js';
import { awsCallDeadlineMs, callWithDeadline, isConditionalCheckFailed } from './aws-calls.js';
import type { DynamoDbCall } from './dynamodb-call.js';

/**
 * How long a claim stands without a verdict. Longer than any one send (HTTP channels give up after
 * 10 s, SNS after its call deadline), or a slow send's claim could be taken over and sent twice;
 * short enough that a handler that died mid-send delays the redelivery by at most this.
 */
const DEFAULT_LEASE_MS = 60_000;

export interface LedgerOptions {
  readonly leaseMs?: number;
  readonly now?: () => number;
  readonly deadlineMs?: number;
}

/** A recorded refusal, or null when the item holds too little to report it. */
function refusalOf(item: Record<string, { S?: string; N?: string }>): Refusal | null {
  const atMs = Date.parse(item['at']?.S ?? '');
  const reason = item['reason']?.S;
  if (!Number.isFinite(atMs) || reason === undefined) return null;
  return { reason, fix: item['fix']?.S ?? null, atMs };
}

type Attr = { S: string } | { N: string };

export class DynamoDeliveryLedger implements DeliveryLedger {
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly deadlineMs: number;

  constructor(
    private readonly call: DynamoDbCall,
    private readonly table: string,
    options: LedgerOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.now = options.now ?? Date.now;
    this.deadlineMs = options.deadlineMs ?? awsCallDeadlineMs();
  }

  private send(operation: 'GetItem' | 'PutItem' | 'DeleteItem', input: Record<string, unknown>): Promise<Record<string, unknown>> {
    return callWithDeadline((signal) => this.call(operation, { TableName: this.table, ...input }, signal), this.deadlineMs);
  }

  private key(id: string, channel: ChannelName): Record<string, Attr> {
    return { [STORE.partitionKey]: { S: deliveryPk(id) }, [STORE.sortKey]: { S: channel } };
  }

  private expiresAt(): Attr {
    return { N: String(Math.floor(this.now() / 1000) + DELIVERY_RECORD_DAYS * 86_400) };
  }

  async claim(id: string, channel: ChannelName): Promise<LedgerClaim> {
    const token = randomUUID();
    const now = this.now();
    try {
      await this.send('PutItem', {
        Item: {
          ...this.key(id, channel),
          status: { S: 'sending' },
          token: { S: token },
          leaseUntil: { N: String(now + this.leaseMs) },
          at: { S: new Date(now).toISOString() },
          [STORE.ttlAttribute]: this.expiresAt(),
        },
        ConditionExpression: 'attribute_not_exists(#pk) OR (#status = :sending AND #leaseUntil < :now)',
        ExpressionAttributeNames: { '#pk': STORE.partitionKey, '#status': 'status', '#leaseUntil': 'leaseUntil' },
        ExpressionAttributeValues: { ':sending': { S: 'sending' }, ':now': { N: String(now) } },
      });
      return { status: 'claimed', token };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    // Someone holds it, or it is done: a strongly consistent read says which.
    const out = await this.send('GetItem', { Key: this.key(id, channel), ConsistentRead: true });
    const item = (out['Item'] ?? {}) as Record<string, { S?: string; N?: string }>;
    const status = item['status']?.S;
    if (status === 'sent') return { status: 'handled', outcome: 'sent' };
    if (status === 'gave-up') return { status: 'handled', outcome: 'gave-up', refusal: refusalOf(item) };
    const leaseUntil = Number(item['leaseUntil']?.N ?? NaN);
    // Gone in between (released after a retry): ask to come back soon rather than race again.
    return { status: 'in-flight', retryAfterMs: Number.isFinite(leaseUntil) ? Math.max(1_000, leaseUntil - this.now()) : 1_000 };
  }

  async record(id: string, channel: ChannelName, token: string, verdict: DeliveryVerdict): Promise<'recorded' | 'claim-lost'> {
    const refusal = verdict.status === 'gave-up' ? verdict.refusal : null;
    try {
      await this.send('PutItem', {
        Item: {
          ...this.key(id, channel),
          status: { S: verdict.status },
          token: { S: token },
          at: { S: new Date(refusal?.atMs ?? this.now()).toISOString() },
          ...(refusal ? { reason: { S: refusal.reason.slice(0, 1_000) } } : {}),
          ...(refusal?.fix ? { fix: { S: refusal.fix.slice(0, 1_000) } } : {}),
          [STORE.ttlAttribute]: this.expiresAt(),
        },
        ConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':token': { S: token } },
      });
      return 'recorded';
    } catch (err) {
      // The lease ran out and another handler took the claim: the verdict is no longer ours to write.
      if (isConditionalCheckFailed(err)) return 'claim-lost';
      throw err;
    }
  }

  async release(id: string, channel: ChannelName, token: string): Promise<void> {
    try {
      await this.send('DeleteItem', {
        Key: this.key(id, channel),
        ConditionExpression: '#token = :token AND #status = :sending',
        ExpressionAttributeNames: { '#token': 'token', '#status': 'status' },
        ExpressionAttributeValues: { ':token': { S: token }, ':sending': { S: 'sending' } },
      });
    } catch (err) {
      if (isConditionalCheckFailed(err)) return; // not ours any more: nothing to give back
      throw err;
    }
  }
}
