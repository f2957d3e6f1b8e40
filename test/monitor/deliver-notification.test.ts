import { describe, expect, it } from 'vitest';
import type { Channel, ChannelName, DeliveryOutcome } from '../../src/channels/channel.js';
import type { Notification } from '../../src/contract/notification.js';
import { deliverNotification, RECORD_ATTEMPTS, redeliveryDelaySeconds } from '../../src/monitor/deliver-notification.js';
import type { DeliveryLedger, DeliveryVerdict, LedgerClaim, Refusal } from '../../src/monitor/ports.js';
import { NOW_MS, OPENED } from '../channels/support/notifications.js';

const channel = (name: ChannelName): Channel =>
  ({
    name,
    transport: 'http',
    secrets: [],
    build: () => ({ url: 'https://x', method: 'POST', headers: {}, body: '' }),
    classify: () => ({ status: 'sent' }),
  }) as Channel;

/** An in-memory ledger with the DynamoDB adapter's semantics (claim is a conditional put). */
class MemoryLedger implements DeliveryLedger {
  readonly items = new Map<string, { status: 'sending' | 'sent' | 'gave-up'; token: string; refusal?: Refusal }>();
  failClaim = false;
  /** How many record calls fail before they succeed. */
  failRecord = 0;
  recordCalls = 0;
  failRelease = false;
  private n = 0;
  async claim(id: string, ch: ChannelName): Promise<LedgerClaim> {
    if (this.failClaim) throw Object.assign(new Error('arn:aws:dynamodb:…:table/secret-table'), { name: 'ProvisionedThroughputExceededException' });
    const item = this.items.get(`${id}|${ch}`);
    if (item?.status === 'sending') return { status: 'in-flight', retryAfterMs: 42_000 };
    if (item?.status === 'sent') return { status: 'handled', outcome: 'sent' };
    if (item?.status === 'gave-up') return { status: 'handled', outcome: 'gave-up', refusal: item.refusal ?? null };
    const token = `t${++this.n}`;
    this.items.set(`${id}|${ch}`, { status: 'sending', token });
    return { status: 'claimed', token };
  }
  async record(id: string, ch: ChannelName, token: string, verdict: DeliveryVerdict): Promise<'recorded' | 'claim-lost'> {
    this.recordCalls++;
    if (this.failRecord > 0) {
      this.failRecord--;
      throw Object.assign(new Error('x'), { name: 'InternalServerError' });
    }
    if (this.items.get(`${id}|${ch}`)?.token !== token) return 'claim-lost';
    this.items.set(`${id}|${ch}`, verdict.status === 'gave-up' ? { status: 'gave-up', refusal: verdict.refusal, token } : { status: 'sent', token });
    return 'recorded';
  }
  async release(id: string, ch: ChannelName, token: string): Promise<void> {
    if (this.failRelease) throw new Error('release');
    if (this.items.get(`${id}|${ch}`)?.token === token) this.items.delete(`${id}|${ch}`);
  }
}

function harness(outcomes: Partial<Record<ChannelName, DeliveryOutcome | (() => Promise<DeliveryOutcome>)>>) {
  const ledger = new MemoryLedger();
  const logs: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const calls: ChannelName[] = [];
  const ports = {
    ledger,
    send: async (c: Channel, _n: Notification) => {
      calls.push(c.name);
      const o = outcomes[c.name] ?? { status: 'sent' };
      return typeof o === 'function' ? o() : o;
    },
    log: {
      warn: (message: string, fields: Record<string, unknown>) => logs.push({ level: 'warn', message, fields }),
      error: (message: string, fields: Record<string, unknown>) => logs.push({ level: 'error', message, fields }),
    },
    nowMs: () => NOW_MS,
    pause: async () => {},
  };
  return { ledger, logs, calls, ports };
}

const ALL: ChannelName[] = ['email', 'slack', 'discord', 'webhook'];

describe('deliverNotification', () => {
  it('sends to every channel and records each; a second delivery skips them all', async () => {
    const h = harness({});
    expect(await deliverNotification(OPENED, ALL.map(channel), h.ports)).toEqual({ sent: ALL, gaveUp: [], retry: [], skipped: [], refusedBefore: [] });
    expect(await deliverNotification(OPENED, ALL.map(channel), h.ports)).toEqual({ sent: [], gaveUp: [], retry: [], skipped: ALL, refusedBefore: [] });
    expect(h.calls).toEqual(ALL);
  });

  it('permanent → recorded as given up and logged as an error; retry → released and returned', async () => {
    const h = harness({
      discord: { status: 'permanent', reason: 'discord: HTTP 404 (webhook deleted)', fix: 'Create a new webhook.' },
      slack: { status: 'retry', afterMs: 7_000, reason: 'slack: rate limited' },
    });
    const result = await deliverNotification(OPENED, ALL.map(channel), h.ports);
    const refusal = { reason: 'discord: HTTP 404 (webhook deleted)', fix: 'Create a new webhook.', atMs: NOW_MS };
    expect(result).toEqual({
      sent: ['email', 'webhook'],
      gaveUp: [{ channel: 'discord', ...refusal }],
      retry: [{ channel: 'slack', afterMs: 7_000, reason: 'slack: rate limited' }],
      skipped: [],
      refusedBefore: [],
    });
    expect(h.ledger.items.get(`${OPENED.id}|discord`)).toMatchObject({ status: 'gave-up', refusal });
    expect(h.ledger.items.has(`${OPENED.id}|slack`)).toBe(false);
    expect(h.logs.find((l) => l.level === 'error')).toMatchObject({ fields: { channel: 'discord', notificationId: OPENED.id } });
    // The redelivery sends only Slack.
    h.calls.length = 0;
    const again = await deliverNotification(OPENED, ALL.map(channel), { ...h.ports, send: async (c) => (h.calls.push(c.name), { status: 'sent' }) });
    expect(h.calls).toEqual(['slack']);
    expect(again.skipped).toEqual(['email', 'discord', 'webhook']);
    expect(again.refusedBefore).toEqual([{ channel: 'discord', ...refusal }]);
  });

  it('a slow channel does not hold up the others: they are all in flight at once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const started: ChannelName[] = [];
    const h = harness({});
    const run = deliverNotification(OPENED, ALL.map(channel), {
      ...h.ports,
      send: async (c) => {
        started.push(c.name);
        if (c.name === 'email') await gate;
        return { status: 'sent' };
      },
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(started.sort()).toEqual([...ALL].sort());
    release();
    expect((await run).sent).toHaveLength(4);
  });

  it('a send that throws is a retry for that channel only, named by its error class', async () => {
    const h = harness({ webhook: () => Promise.reject(Object.assign(new Error('https://hooks/SECRET'), { name: 'TypeError' })) });
    const result = await deliverNotification(OPENED, ALL.map(channel), h.ports);
    expect(result.retry).toEqual([{ channel: 'webhook', afterMs: 30_000, reason: 'webhook: unexpected error (TypeError)' }]);
    expect(result.sent).toEqual(['email', 'slack', 'discord']);
    expect(JSON.stringify(h.logs)).not.toContain('SECRET');
  });

  it('an unavailable ledger means retry, never a send without a claim', async () => {
    const h = harness({});
    h.ledger.failClaim = true;
    const result = await deliverNotification(OPENED, ALL.map(channel), h.ports);
    expect(h.calls).toEqual([]);
    expect(result.retry.map((r) => r.reason)).toEqual(ALL.map((c) => `${c}: delivery ledger unavailable (ProvisionedThroughputExceededException)`));
    expect(JSON.stringify(h.logs)).not.toContain('arn:');
  });

  it('another handler holding the claim: come back when its lease ends', async () => {
    const h = harness({});
    await h.ledger.claim(OPENED.id, 'slack');
    const result = await deliverNotification(OPENED, [channel('slack')], h.ports);
    expect(result.retry).toEqual([{ channel: 'slack', afterMs: 42_000, reason: 'slack: another delivery of this notification is in progress' }]);
    expect(h.calls).toEqual([]);
  });

  it('a record that fails is tried again at once, so a redelivery does not repeat the send', async () => {
    const h = harness({});
    h.ledger.failRecord = RECORD_ATTEMPTS - 1;
    expect((await deliverNotification(OPENED, [channel('slack')], h.ports)).sent).toEqual(['slack']);
    expect(h.ledger.recordCalls).toBe(RECORD_ATTEMPTS);
    expect(h.ledger.items.get(`${OPENED.id}|slack`)?.status).toBe('sent');
    expect(h.logs).toEqual([]);
  });

  it('sent but never recorded: still reported sent, with a warning that a later redelivery could repeat it', async () => {
    const h = harness({});
    h.ledger.failRecord = 99;
    const result = await deliverNotification(OPENED, [channel('slack')], h.ports);
    expect(result.sent).toEqual(['slack']);
    expect(h.ledger.recordCalls).toBe(RECORD_ATTEMPTS);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ errorName: 'InternalServerError', attempts: RECORD_ATTEMPTS }) }),
    );
  });

  it('a claim taken over after its lease is not written again', async () => {
    const h = harness({});
    const result = await deliverNotification(OPENED, [channel('slack')], {
      ...h.ports,
      ledger: { claim: async () => ({ status: 'claimed', token: 'old' }), record: async () => (h.ledger.recordCalls++, 'claim-lost'), release: async () => {} },
    });
    expect(result.sent).toEqual(['slack']);
    expect(h.ledger.recordCalls).toBe(1);
    expect(h.logs.map((l) => l.message)).toEqual(['delivery not recorded: the claim was taken over after its lease; that handler may send it again']);
  });

  it('a failed release is logged and the retry still returned', async () => {
    const h = harness({ slack: { status: 'retry', afterMs: 1_000, reason: 'slack: HTTP 503' } });
    h.ledger.failRelease = true;
    expect((await deliverNotification(OPENED, [channel('slack')], h.ports)).retry).toHaveLength(1);
    expect(h.logs.some((l) => l.message === 'delivery ledger release failed')).toBe(true);
  });

  it('no channels: nothing to do', async () => {
    expect(await deliverNotification(OPENED, [], harness({}).ports)).toEqual({ sent: [], gaveUp: [], retry: [], skipped: [], refusedBefore: [] });
  });
});

describe('redeliveryDelaySeconds', () => {
  it('30 s × 2^(n-1), capped at 900 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => redeliveryDelaySeconds(n, []))).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });
  it('the longest channel hint wins when it is longer, still capped', () => {
    expect(redeliveryDelaySeconds(1, [{ afterMs: 7_000 }, { afterMs: 64_570 }])).toBe(65);
    expect(redeliveryDelaySeconds(3, [{ afterMs: 7_000 }])).toBe(120);
    expect(redeliveryDelaySeconds(1, [{ afterMs: 3_600_000 }])).toBe(900);
  });
  it('survives a missing or garbled receive count', () => {
    expect(redeliveryDelaySeconds(NaN, [])).toBe(30);
    expect(redeliveryDelaySeconds(0, [{ afterMs: NaN }])).toBe(30);
  });
});
