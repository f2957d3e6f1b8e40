import { describe, expect, it } from 'vitest';
import { balanceSummaryOf } from '../../src/monitor/balance-summary.js';
import { inUseOf, nothingOpen } from '../../src/monitor/exposure.js';
import { RUN_SHARD_SIZE, countDay, readShard, shardsOf, type RunEntry } from '../../src/monitor/run-records.js';
import { readHistory } from '../../src/monitor/withdrawal-watch.js';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const DAY = 86_400_000;

/** A month of day counts, one run a day, OK as `ok` says. */
function monthOfDays(ok: () => boolean) {
  let days = {};
  for (let d = 0; d < 31; d++) days = countDay(days, T0 + d * DAY, ok());
  return days;
}

describe('a run-record shard of 100 keys fits one DynamoDB item (400 KB) whatever the exchange answers', () => {
  it('10,000 balances with funds reserved and 10,000 withdrawals at one time, on every key of the shard', () => {
    const hostile = [
      {
        position_balances: Array.from({ length: 10_000 }, (_, i) => ({
          instrument_name: `TOKEN${String(i).padStart(18, '0')}`,
          quantity: '123456789.123456789',
          market_value: String(1_000_000 + i),
          reserved_qty: '1.000000001',
        })),
      },
    ];
    const inUse = inUseOf(hostile);
    const balance = { at: T0, ...balanceSummaryOf(hostile) };
    const history = readHistory(
      {
        withdrawal_list: Array.from({ length: 10_000 }, (_, i) => ({
          id: `${'7'.repeat(30)}${i}`,
          create_time: T0,
          currency: 'BTC',
          amount: '1',
          address: 'x',
          status: '5',
        })),
      },
      { since: T0 - DAY, ids: [] },
      { expectWithdraw: false, addresses: [], clientWidPrefix: null },
    );
    const days = monthOfDays(() => true);
    const entry: RunEntry = {
      at: T0,
      diagnosis: 'OK',
      days,
      keyId: 'abcdef0123456789',
      exposure: { ...nothingOpen(T0), sig: inUse.sig },
      balance,
      ...(history ? { withdrawals: history.cursor } : {}),
    };
    const names = Array.from({ length: RUN_SHARD_SIZE }, (_, i) => `key-${String(i).padStart(3, '0')}-${'n'.repeat(40)}`);
    const [shard] = shardsOf(names, new Map(names.map((n) => [n, entry])), T0);
    const doc = JSON.stringify({ runAt: shard?.runAt, entries: shard?.entries });
    expect(Buffer.byteLength(doc)).toBeLessThan(350_000);
    // And it is read back whole.
    expect(readShard(JSON.parse(doc), 0).dropped).toBe(0);
  });

  it('every part of an entry at its longest on all 100 keys: the shard still fits, and what the security watch compares with is kept', async () => {
    const { ordersOf, positionsOf } = await import('../../src/monitor/exposure.js');
    const orders = ordersOf({
      data: Array.from({ length: 10 }, (_, i) => ({
        instrument_name: `${'I'.repeat(40)}${i}`,
        side: 'BUY',
        quantity: '0.123456789012345678',
        limit_price: '12345.678901234567',
        client_oid: `${'c'.repeat(50)}${i}`,
        order_value: String(1e9 + i),
      })),
    });
    const positions = positionsOf({
      data: Array.from({ length: 10 }, (_, i) => ({
        instrument_name: `${'P'.repeat(40)}${i}`,
        quantity: '0.123456789012345678',
        cost: '123456.78901234567',
        open_position_pnl: '-12345.678901234567',
      })),
    });
    const expect_ = 'trade;withdraw=false;derivatives=true;master=true;key=abcdef0123456789';
    const account = {
      hierarchy: 'MASTER' as const,
      enabled: true,
      tradable: true,
      suspended: false,
      terminated: false,
      derivativesAccess: true,
      marginAccess: true,
    };
    const carried = {
      'trade-permission': { at: T0, expect: expect_, detail: 'd'.repeat(600), tradeAllowed: true },
      account: { at: T0, expect: expect_, detail: 'd'.repeat(600), account },
    };
    const balance = {
      at: T0,
      ...balanceSummaryOf([
        {
          position_balances: Array.from({ length: 20 }, (_, i) => ({
            instrument_name: `${'A'.repeat(22)}${i}`,
            quantity: '123456789.123456789',
            market_value: String(1.234567891234 * (i + 1)),
          })),
        },
      ]),
    };
    const cursor = { since: T0, ids: Array.from({ length: 50 }, (_, i) => `${'7'.repeat(38)}${String(i).padStart(2, '0')}`) };
    const days = monthOfDays(() => true);
    const entry: RunEntry = {
      at: T0,
      diagnosis: 'OK',
      days,
      keyId: 'abcdef0123456789',
      carried,
      exposure: {
        at: T0,
        sig: `sha256:${'a'.repeat(64)}`,
        orders: orders!,
        foreign: { count: 10, id: 'abcdef0123456789', top: orders!.top },
        positions,
        unread: 'u'.repeat(200),
      },
      balance,
      withdrawals: cursor,
    };
    const names = Array.from({ length: RUN_SHARD_SIZE }, (_, i) => `key-${String(i).padStart(3, '0')}-${'n'.repeat(60)}`);
    const [shard] = shardsOf(names, new Map(names.map((n) => [n, entry])), T0);
    const doc = JSON.stringify({ runAt: shard?.runAt, entries: shard?.entries });
    expect(Buffer.byteLength(doc)).toBeLessThan(380_000);
    const back = readShard(JSON.parse(doc), 0);
    expect(back.dropped).toBe(0);
    for (const e of Object.values(back.shard?.entries ?? {})) {
      expect(e.balance).toEqual(balance);
      expect(e.withdrawals?.since).toBe(T0);
      expect(e.days).toEqual(days);
    }
  });
});

describe('a run-record shard as stored: packed', () => {
  it('100 keys of different accounts (own balances, cursors, uptime) pack to under a quarter of their JSON, and unpack to it', async () => {
    const { packDoc, unpackDoc } = await import('../../src/aws/packed-doc.js');
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const names = Array.from({ length: RUN_SHARD_SIZE }, (_, i) => `bot-${i}-${Math.floor(next() * 1e6)}`);
    const assets = ['BTC', 'ETH', 'USDT', 'USD', 'SOL', 'CRO', 'XRP', 'ADA', 'DOGE', 'DOT', 'LINK', 'AVAX', 'MATIC', 'LTC'];
    const entries = new Map<string, RunEntry>();
    for (const name of names) {
      const accounts = [
        {
          position_balances: assets
            .filter(() => next() < 0.7)
            .map((a) => {
              const quantity = next() * 10 ** (next() * 6);
              return { instrument_name: a, quantity: quantity.toFixed(8), market_value: (quantity * next() * 1000).toFixed(2), reserved_qty: '0' };
            }),
        },
      ];
      const days = monthOfDays(() => next() < 0.99);
      entries.set(name, {
        at: T0,
        diagnosis: 'OK',
        days,
        keyId: Math.floor(next() * 2 ** 48).toString(16),
        exposure: { ...nothingOpen(T0), sig: inUseOf(accounts).sig },
        balance: { at: T0, ...balanceSummaryOf(accounts) },
        withdrawals: { since: T0 - Math.floor(next() * DAY), ids: [String(Math.floor(next() * 1e18))] },
        carried: {
          'trade-permission': { at: T0 - Math.floor(next() * DAY), detail: 'Trade enabled (probe: HTTP 200, code 316 NO_ACTIVE_ORDER)', expect: 'trade' },
          account: { at: T0 - Math.floor(next() * DAY), detail: 'master account, enabled, tradable, derivatives access', expect: 'any' },
        },
      });
    }
    const [shard] = shardsOf(names, entries, T0);
    const json = shard?.json ?? '';
    const packed = packDoc(json);
    expect(packed.byteLength).toBeLessThan(json.length / 4);
    expect(unpackDoc(packed)).toBe(json);
    expect(readShard(JSON.parse(unpackDoc(packed) ?? 'null'), 0).dropped).toBe(0);
  });

  it('what is not gzip, or unpacks past any document written (a packed bomb), is not a document', async () => {
    const { packDoc, unpackDoc } = await import('../../src/aws/packed-doc.js');
    expect(unpackDoc(new TextEncoder().encode('{"runAt":1,"entries":{}}'))).toBeNull();
    expect(unpackDoc(packDoc(' '.repeat(5 * 1024 * 1024)))).toBeNull();
    expect(unpackDoc(packDoc('{"runAt":1}').subarray(0, 12))).toBeNull();
  });
});
