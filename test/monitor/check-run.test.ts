import { describe, expect, it } from 'vitest';
import type { TimedReply } from '../../src/exchange/client.js';
import { parseReply, type ExchangeReply } from '../../src/exchange/reply.js';
import { checkKeys, type SecretSnapshot } from '../../src/monitor/check-run.js';
import type { ExchangePort } from '../../src/monitor/ports.js';
import type { MonitoredKey } from '../../src/monitor/runtime-config.js';

// The run's orchestration with in-memory ports: the HTTP and AWS adapters are tested over loopback
// elsewhere; here the point is what happens to the other keys when one misbehaves.
const timed = (reply: ExchangeReply): TimedReply => ({ reply, attempts: 1, latencyMs: 1, totalMs: 1, midpointMs: Date.now() });
const balances = JSON.stringify({ code: 0, result: { data: [{ position_balances: [{ market_value: '1' }] }] } });
const ticker = JSON.stringify({ code: 0, result: { data: [{ t: Date.now() }] } });
const accounts = JSON.stringify({
  code: 0,
  result: {
    this_account: { uuid: 'm', hierarchy: 'MASTER' },
    master_account: { uuid: 'm', enabled: true, tradable: true, suspended: false, terminated: false },
  },
});

function exchange(
  behaviour: Record<string, 'crash' | 'stall' | 'ok'>,
  publicReply: ExchangeReply = parseReply(200, ticker, null),
): ExchangePort & { privateCalls: number } {
  const port = {
    privateCalls: 0,
    getText: async () => ({ text: '203.0.113.7', timed: timed(parseReply(200, '"x"', null)) }),
    publicGet: async () => timed(publicReply),
    privatePost: async (method: string, _params: unknown, creds: { apiKey: string }) => {
      port.privateCalls++;
      const b = behaviour[creds.apiKey] ?? 'ok';
      if (b === 'crash') throw new TypeError('boom');
      if (b === 'stall') return new Promise<TimedReply>(() => {});
      if (method === 'private/cancel-order') return timed(parseReply(500, '{"code":316}', null));
      if (method === 'private/get-deposit-address') return timed(parseReply(401, '{"code":40101}', null));
      if (method === 'private/get-accounts') return timed(parseReply(200, accounts, null));
      return timed(parseReply(200, balances, null));
    },
  };
  return port;
}

const keys: MonitoredKey[] = ['a', 'b', 'c', 'd'].map((n) => ({ name: n, secretId: `s/${n}`, expectTrade: true }));
const secretsFor = (ks: readonly MonitoredKey[]) => ({
  getMany: async (ids: readonly string[]) =>
    new Map<string, SecretSnapshot>(
      ids.map((id) => [id, { verdict: { ok: true, credentials: { apiKey: `key-${id}-0000`, apiSecret: 'secret-000000' } }, createdDate: null }]),
    ),
  keys: ks,
});

function run(ex: ExchangePort, over: { keyDeadlineMs?: number; runDeadlineInMs?: number; concurrency?: number; ks?: MonitoredKey[] } = {}) {
  const ks = over.ks ?? keys;
  const crashes: string[] = [];
  return checkKeys({
    keys: ks,
    secrets: secretsFor(ks),
    target: { expectedIps: ['203.0.113.7'], ipEchoUrl: 'https://echo.test', exchange: ex, site: 'aws' },
    now: Date.now,
    concurrency: over.concurrency ?? 10,
    keyDeadlineMs: over.keyDeadlineMs ?? 1_000,
    runDeadline: Date.now() + (over.runDeadlineInMs ?? 10_000),
    onCrash: (k) => crashes.push(k.name),
  }).then((outcomes) => ({ outcomes, crashes }));
}

const diagnoses = (outcomes: { key: MonitoredKey; report: { diagnosis: string } }[]) =>
  Object.fromEntries(outcomes.map((o) => [o.key.name, o.report.diagnosis]));

describe('one key’s fault never hides the others', () => {
  it('a crashing check is that key’s MONITOR_ERROR, and reported to the caller', async () => {
    const { outcomes, crashes } = await run(exchange({ 'key-s/b-0000': 'crash' }));
    expect(diagnoses(outcomes)).toEqual({ a: 'OK', b: 'MONITOR_ERROR', c: 'OK', d: 'OK' });
    expect(crashes).toEqual(['b']);
  });

  it('a check that never finishes is cut at the key deadline; the others finish', async () => {
    const started = Date.now();
    const { outcomes } = await run(exchange({ 'key-s/c-0000': 'stall' }), { keyDeadlineMs: 200 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(diagnoses(outcomes)).toEqual({ a: 'OK', b: 'OK', c: 'MONITOR_ERROR', d: 'OK' });
    expect(outcomes.find((o) => o.key.name === 'c')?.report.advice).toContain('did not finish within');
  });

  it('keys the run has no time left for are reported as not checked, not silently dropped', async () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ name: `k${i}`, secretId: `s/k${i}`, expectTrade: true }));
    const stalls = Object.fromEntries(many.map((k) => [`key-${k.secretId}-0000`, 'stall' as const]));
    const { outcomes } = await run(exchange(stalls), { ks: many, concurrency: 2, keyDeadlineMs: 150, runDeadlineInMs: 250 });
    expect(outcomes).toHaveLength(6);
    expect(outcomes.every((o) => o.report.diagnosis === 'MONITOR_ERROR')).toBe(true);
    expect(outcomes.some((o) => o.report.advice.includes('ran out of time'))).toBe(true);
  });

  it('an exchange that does not answer at all is EXCHANGE_UNAVAILABLE for every key', async () => {
    const hole = { kind: 'network' as const, error: 'timeout' as const, detail: '5000 ms' };
    const ex = { ...exchange({}, hole), privatePost: async () => timed(hole) };
    const { outcomes } = await run(ex);
    expect(Object.values(diagnoses(outcomes))).toEqual(Array(4).fill('EXCHANGE_UNAVAILABLE'));
  });

  it('does not make keys wait for the shared ticker, and once it fails, sends no further key into the black hole', async () => {
    // The ticker fails after 100 ms (a black hole behind a timeout); private calls hang just as long.
    const hole = { kind: 'network' as const, error: 'timeout' as const, detail: '100 ms' };
    const base = exchange({});
    const ex = {
      ...base,
      privateCalls: 0,
      publicGet: () => new Promise<TimedReply>((r) => setTimeout(() => r(timed(hole)), 100)),
      privatePost: () => {
        ex.privateCalls++;
        return new Promise<TimedReply>((r) => setTimeout(() => r(timed(hole)), 100));
      },
    };
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `k${i}`, secretId: `s/k${i}`, expectTrade: true }));
    const { outcomes } = await run(ex, { ks: many, concurrency: 5 });
    // Only the first wave (5 keys × read, trade probe, accounts) went out before the verdict was in.
    expect(ex.privateCalls).toBe(15);
    expect(outcomes.every((o) => o.report.diagnosis === 'EXCHANGE_UNAVAILABLE')).toBe(true);
  });

  it('checks every key, in order, whatever the concurrency setting says (NaN, 0, a fraction)', async () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ name: `k${i}`, secretId: `s/k${i}`, expectTrade: true }));
    for (const concurrency of [Number.NaN, 0, 2.5]) {
      const { outcomes } = await run(exchange({}), { ks: many, concurrency });
      expect(
        outcomes.map((o) => o.key.name),
        `concurrency ${concurrency}`,
      ).toEqual(many.map((k) => k.name));
    }
  });

  it('sends a key’s private calls without waiting for the shared ticker (one round trip per key, not two)', async () => {
    const base = exchange({});
    const events: string[] = [];
    const ex: ExchangePort = {
      ...base,
      publicGet: async (m, q) => {
        await new Promise((r) => setTimeout(r, 30));
        events.push('ticker answered');
        return base.publicGet(m, q);
      },
      privatePost: async (m, p, c) => {
        events.push(`private ${m}`);
        return base.privatePost(m, p, c);
      },
    };
    const { outcomes } = await run(ex, { ks: keys.slice(0, 1) });
    expect(outcomes[0]?.report.diagnosis).toBe('OK');
    expect(events.indexOf('private private/user-balance')).toBeLessThan(events.indexOf('ticker answered'));
  });

  it('a public API that fails while private calls answer stops nothing: every key gets its own answer, wherever it is in the queue', async () => {
    const hole = { kind: 'network' as const, error: 'timeout' as const, detail: '50 ms' };
    const base = exchange({});
    const revoked = new Set(['key-s/k1-0000', 'key-s/k12-0000']);
    const ex: ExchangePort = {
      ...base,
      publicGet: () => new Promise<TimedReply>((r) => setTimeout(() => r(timed(hole)), 50)),
      privatePost: async (m, p, c) => {
        await new Promise((r) => setTimeout(r, 20));
        return revoked.has(c.apiKey) ? timed(parseReply(401, '{"code":40101}', null)) : base.privatePost(m, p, c);
      },
    };
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `k${i}`, secretId: `s/k${i}`, expectTrade: true }));
    const { outcomes } = await run(ex, { ks: many, concurrency: 5 });
    const d = diagnoses(outcomes);
    expect(d['k1']).toBe('AUTH_FAILED');
    expect(d['k12']).toBe('AUTH_FAILED');
  });

  it('a port that throws on the shared ticker is each key’s MONITOR_ERROR, not an unhandled rejection', async () => {
    const ex: ExchangePort = { ...exchange({}), publicGet: () => Promise.reject(new TypeError('boom')) };
    const { outcomes } = await run(ex);
    expect(outcomes.every((o) => o.report.diagnosis === 'MONITOR_ERROR')).toBe(true);
  });

  it('checks at most `concurrency` keys at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const base = exchange({});
    const slow: ExchangePort = {
      ...base,
      privatePost: async (m, p, c) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return base.privatePost(m, p, c);
      },
    };
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `k${i}`, secretId: `s/k${i}`, expectTrade: true }));
    await run(slow, { ks: many, concurrency: 5 });
    expect(peak).toBeLessThanOrEqual(15); // three concurrent private calls per key, five keys at a time
  });
});
