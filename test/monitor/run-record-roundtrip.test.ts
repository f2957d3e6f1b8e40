import { describe, expect, it } from 'vitest';
import type { TimedReply } from '../../src/exchange/client.js';
import { parseReply } from '../../src/exchange/reply.js';
import { balanceSummaryOf } from '../../src/monitor/balance-summary.js';
import { runChecks } from '../../src/monitor/checks.js';
import { validateCredentials } from '../../src/monitor/credentials.js';
import { exposureText, ordersOf } from '../../src/monitor/exposure.js';
import type { KeyOutcome } from '../../src/monitor/check-run.js';
import { runEntry } from '../../src/monitor/incident-run.js';
import type { ExchangePort } from '../../src/monitor/ports.js';
import { readShard, readsBackAsWritten, type RunEntry } from '../../src/monitor/run-records.js';
import { SANDBOX_EXPOSED_PORTFOLIO, SANDBOX_OPEN_ORDERS, SANDBOX_PORTFOLIO } from '../../src/sandbox/portfolio.js';

/**
 * What a run writes into a key's run record is what the next run reads back: an entry the reader
 * would not take whole is dropped there, and with it the withdrawal watch's cursor, the money watch's
 * baseline, the carried probes and the uptime. Answers from the exchange (or from something in its
 * place) must not be able to make one.
 */
const T0 = Date.UTC(2026, 11, 5, 9, 0, 0);
const IP = '203.0.113.7';
const CREDS = validateCredentials({ apiKey: 'abcd1234efgh5678ijkl', apiSecret: 'secretsecretsecretsecret' });
const json = (o: unknown) => JSON.stringify(o);
const answer = (status: number, body: string): TimedReply => ({ reply: parseReply(status, body, null), attempts: 1, latencyMs: 1, totalMs: 1, midpointMs: T0 });
const cloudflare = (status: number) =>
  answer(status, `<html><head><title>Access denied | api.crypto.com used Cloudflare to restrict access to this resource</title></head></html>`);

function exchange(balance: unknown, exposure: (method: string) => TimedReply): ExchangePort {
  return {
    getText: async () => ({ text: `${IP}\n`, timed: answer(200, IP) }),
    publicGet: async () => answer(200, json({ code: 0, result: { data: [{ i: 'BTC_USD', t: T0 }] } })),
    privatePost: async (method) => {
      if (method === 'private/user-balance') return answer(200, json({ code: 0, result: balance }));
      if (method === 'private/get-open-orders' || method === 'private/get-positions') return exposure(method);
      if (method === 'private/cancel-order') return answer(500, json({ code: 316, message: 'NO_ACTIVE_ORDER' }));
      return answer(200, json({ code: 0, result: {} }));
    },
  };
}

async function entryAfter(balance: unknown, exposure: (method: string) => TimedReply): Promise<RunEntry> {
  const report = await runChecks({
    credentials: CREDS,
    expectTrade: true,
    expectedIps: [IP],
    ipEchoUrl: 'https://echo.test/',
    exchange: exchange(balance, exposure),
    site: 'aws',
    withdrawProbe: { kind: 'now' },
    now: () => T0,
  });
  const outcome = { key: { name: 'k', secretId: 's', expectTrade: true }, report, keyAgeDays: null, elapsedMs: 1 } as unknown as KeyOutcome;
  return runEntry(undefined, outcome, T0, report.healthy);
}

/** The entry as the next run reads it from the stored JSON (null: dropped). */
function readBack(entry: RunEntry): RunEntry | null {
  const { shard, dropped } = readShard(JSON.parse(JSON.stringify({ runAt: T0, entries: { k: entry } })), 0);
  return dropped === 0 ? (shard?.entries['k'] ?? null) : null;
}

describe('a run record reads back as it was written', () => {
  it('open orders and positions both answered by an outage page: the "incomplete" text is cut to what the record keeps', async () => {
    const entry = await entryAfter(SANDBOX_EXPOSED_PORTFOLIO, () => cloudflare(403));
    expect(entry.exposure?.unread).toContain('Access denied');
    expect(readBack(entry)).toEqual(entry);
  });

  it('a dust balance whose price overflows: the price is unknown, not infinite', async () => {
    const dusty = {
      ...SANDBOX_PORTFOLIO,
      data: [{ ...(SANDBOX_PORTFOLIO.data[0] as object), position_balances: [{ instrument_name: 'DUST', quantity: '1e-320', market_value: '1' }] }],
    };
    const entry = await entryAfter(dusty, () => cloudflare(403));
    expect(entry.balance?.assets).toEqual([{ asset: 'DUST', quantity: 1e-320, price: null }]);
    expect(readBack(entry)).toEqual(entry);
  });

  it('balances whose sum overflows are no baseline for the money watch: none is written', () => {
    const summary = balanceSummaryOf([{ position_balances: [1, 2].map((i) => ({ instrument_name: `BIG${i}`, quantity: '1', market_value: '1.7e308' })) }]);
    expect(summary.total).toBe(Infinity);
    return entryAfter({ data: [{ position_balances: [1, 2].map((i) => ({ instrument_name: `BIG${i}`, quantity: '1', market_value: '1.7e308' })) }] }, () =>
      cloudflare(403),
    ).then((entry) => {
      expect(entry.balance).toBeUndefined();
      expect(readBack(entry)).toEqual(entry);
    });
  });

  it('open orders whose value sums past the largest number stay a finite notional', () => {
    const orders = ordersOf({
      data: [1, 2].map((i) => ({ instrument_name: 'BTC_USD', side: 'BUY', quantity: '1', order_value: '1.7e308', client_oid: `o${i}` })),
    });
    expect(Number.isFinite(orders?.buyNotional)).toBe(true);
  });

  it('a shard that would not read back as written is not stood in for by its writer', () => {
    const whole: RunEntry = { at: T0, diagnosis: 'OK', days: { '2026-12-05': [1, 1] } };
    expect(readsBackAsWritten({ index: 0, runAt: T0, entries: { k: whole } })).toBe(true);
    const infinite = { ...whole, balance: { at: T0, count: 1, total: 1, rest: 0, assets: [{ asset: 'X', quantity: 1, price: Infinity }] } } as RunEntry;
    expect(readsBackAsWritten({ index: 0, runAt: T0, entries: { k: infinite } })).toBe(false);
    const undefinedField = { ...whole, keyId: undefined } as unknown as RunEntry;
    expect(readsBackAsWritten({ index: 0, runAt: T0, entries: { k: undefinedField } })).toBe(false);
    const tooLong = {
      ...whole,
      exposure: { at: T0, sig: '', orders: { count: 0, buyNotional: 0, sellNotional: 0, top: [] }, positions: null, unread: 'x'.repeat(201) },
    };
    expect(readsBackAsWritten({ index: 0, runAt: T0, entries: { k: tooLong } })).toBe(false);
  });
});

const answerOf = (body: unknown): TimedReply => answer(200, JSON.stringify(body));

// An open position whose P/L the exchange prints as "-0.00" (a position just opened, a flat mark).
const POSITIONS = { data: [{ instrument_name: 'BTCUSD-PERP', quantity: '0.1', cost: '10159.57', open_position_pnl: '-0.00' }] };

const NEGZERO_EXCHANGE: ExchangePort = {
  getText: async () => ({ text: `${IP}\n`, timed: answerOf(IP) }),
  publicGet: async () => answerOf({ code: 0, result: { data: [{ i: 'BTC_USD', t: T0 }] } }),
  privatePost: async (method) => {
    if (method === 'private/user-balance') return answerOf({ code: 0, result: SANDBOX_EXPOSED_PORTFOLIO });
    if (method === 'private/get-open-orders') return answerOf({ code: 0, result: SANDBOX_OPEN_ORDERS });
    if (method === 'private/get-positions') return answerOf({ code: 0, result: POSITIONS });
    return answerOf({ code: 0, result: {} });
  },
};

describe('a run record with a -0 from the exchange', () => {
  it('a shard it says reads back as written reads back the same (warm and cold alerts say the same)', async () => {
    const report = await runChecks({
      credentials: CREDS,
      expectTrade: true,
      expectedIps: [IP],
      ipEchoUrl: 'https://echo.test/',
      exchange: NEGZERO_EXCHANGE,
      site: 'aws',
      withdrawProbe: { kind: 'now' },
      now: () => T0,
    });
    const outcome = { key: { name: 'k', secretId: 's', expectTrade: true }, report, keyAgeDays: null, elapsedMs: 1 } as unknown as KeyOutcome;
    const entry = runEntry(undefined, outcome, T0, report.healthy);
    const shard = { index: 0, runAt: T0, entries: { k: entry } };
    const cold = readShard(JSON.parse(JSON.stringify({ runAt: T0, entries: { k: entry } })), 0).shard?.entries['k'] as RunEntry;
    // What DynamoIncidentStore.load serves on the next run of the same (warm) function.
    const warm = readsBackAsWritten(shard) ? entry : cold;
    const warmText = exposureText(warm.exposure, T0, true);
    const coldText = exposureText(cold.exposure, T0, true);
    expect(warmText).toBe(coldText);
    expect(warm).toEqual(cold);
    // "-0.00" is no loss: said as $0.00 either way.
    expect(coldText).toContain('open P/L $0.00');
  });

  it('-0 does not read back as written (JSON writes it as 0)', () => {
    const entry: RunEntry = { at: T0, diagnosis: 'OK', days: { '2026-12-05': [1, 1] }, balance: { at: T0, count: 1, total: -0, rest: 0, assets: [] } };
    expect(readsBackAsWritten({ index: 0, runAt: T0, entries: { k: entry } })).toBe(false);
  });
});
