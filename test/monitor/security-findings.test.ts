import { describe, expect, it } from 'vitest';
import type { DatedBalance } from '../../src/monitor/balance-summary.js';
import { foreignOrdersFinding, foreignOrdersOf, fundsFinding } from '../../src/monitor/security-findings.js';
import { nothingOpen } from '../../src/monitor/exposure.js';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const SETTINGS = { fundsDropPercent: 25, assetVanishedUsd: 1_000 };

const before: DatedBalance = {
  at: T0,
  count: 4,
  total: 20_000,
  rest: 0,
  assets: [
    { asset: 'BTC', quantity: 0.1, price: 100_000 },
    { asset: 'ETH', quantity: 2, price: 3_000 },
    { asset: 'USD', quantity: 3_000, price: 1 },
    { asset: 'CRO', quantity: 10_000, price: 0.1 },
  ],
};
const at = (over: Partial<DatedBalance>): DatedBalance => ({ ...before, at: T0 + 300_000, ...over });

describe('money or assets leaving the account', () => {
  it('a market that halves with the same quantities is nothing', () => {
    const halved = before.assets.map((a) => ({ ...a, price: a.asset === 'USD' ? 1 : (a.price as number) / 2 }));
    expect(fundsFinding(before, at({ assets: halved, total: 11_500 }), SETTINGS)).toBeNull();
  });

  it('a trade that converts BTC into USD keeps the value: nothing, though BTC is gone', () => {
    const traded = [
      { asset: 'USD', quantity: 13_000, price: 1 },
      { asset: 'ETH', quantity: 2, price: 3_000 },
      { asset: 'CRO', quantity: 10_000, price: 0.1 },
    ];
    expect(fundsFinding(before, at({ count: 3, assets: traded, total: 20_000 }), SETTINGS)).toBeNull();
  });

  it('a drop of the value beyond the share is a warning naming the assets that changed, largest first', () => {
    const drained = before.assets.map((a) => ({ ...a, quantity: a.quantity * 0.6 }));
    const f = fundsFinding(before, at({ assets: drained, total: 12_000 }), SETTINGS);
    expect(f?.diagnosis).toBe('FUNDS_DROPPED');
    expect(f?.identity).toBe(`funds:${T0}:${T0 + 300_000}`);
    expect(f?.detail).toBe("The account's value fell 40.0 % ($8,000.00) between the checks at 2026-12-01 10:00 UTC and 2026-12-01 10:05 UTC");
    expect(f?.facts.find((x) => x.label === 'Changed')?.value).toBe(
      'BTC 0.1 → 0.06 (−$4,000.00); ETH 2 → 1.2 (−$2,400.00); USD 3,000 → 1,800 (−$1,200.00); CRO 10,000 → 6,000 (−$400.00)',
    );
  });

  it('an asset worth more than assetVanishedUsd gone is a finding under the share; the thresholds are the configured ones', () => {
    const less = before.assets.filter((a) => a.asset !== 'ETH');
    const after = at({ count: 3, assets: less, total: 14_000 });
    const lenient = { fundsDropPercent: 50, assetVanishedUsd: 1_000 };
    expect(fundsFinding(before, after, lenient)?.detail).toBe(
      'ETH worth $6,000.00 disappeared between the checks at 2026-12-01 10:00 UTC and 2026-12-01 10:05 UTC',
    );
    expect(fundsFinding(before, after, { ...lenient, assetVanishedUsd: 10_000 })).toBeNull();
    expect(fundsFinding(before, after, { fundsDropPercent: 30, assetVanishedUsd: 10_000 })?.detail).toContain('fell 30.0 %');
  });
});

describe('orders the bot did not place', () => {
  const result = {
    data: [
      { client_oid: 'bot-1', instrument_name: 'BTC_USD', side: 'BUY', quantity: '0.1', limit_price: '90000' },
      { client_oid: 'web-9', instrument_name: 'CRO_USD', side: 'SELL', quantity: '24000', limit_price: '0.05' },
      { instrument_name: 'ETH_USD', side: 'SELL', quantity: '1', limit_price: '4000' },
    ],
  };

  it('keeps the orders without the prefix, the same set under the same id', () => {
    const foreign = foreignOrdersOf(result, 'bot-');
    expect(foreign?.count).toBe(2);
    expect(foreign?.top.map((o) => o.instrument)).toEqual(['ETH_USD', 'CRO_USD']);
    expect(foreignOrdersOf({ data: [...result.data].reverse() }, 'bot-')?.id).toBe(foreign?.id);
    expect(foreignOrdersOf({ data: result.data.slice(0, 2) }, 'bot-')?.id).not.toBe(foreign?.id);
    const f = foreignOrdersFinding({ ...nothingOpen(T0), foreign: foreign! }, 'bot-');
    expect(f?.facts).toEqual([{ label: 'Orders', value: 'ETH_USD SELL 1 [no client_oid]; CRO_USD SELL 24000 [web-9]' }]);
  });

  it('none without a prefix, or when every order carries it', () => {
    expect(foreignOrdersFinding({ ...nothingOpen(T0), foreign: foreignOrdersOf(result, 'bot-')! }, null)).toBeNull();
    expect(foreignOrdersOf({ data: result.data.slice(0, 1) }, 'bot-')?.count).toBe(0);
  });
});

describe('an answer without market values proves no money left', () => {
  it('the same quantities with market values missing or unreadable (price null) are nothing, not "the value fell 100 %"', async () => {
    const { balanceSummaryOf } = await import('../../src/monitor/balance-summary.js');
    const answer = (value: (usd: number) => unknown) => [
      {
        position_balances: [
          { instrument_name: 'BTC', quantity: '0.1', market_value: value(10_000) },
          { instrument_name: 'ETH', quantity: '2', market_value: value(6_000) },
          { instrument_name: 'USD', quantity: '3000', market_value: value(3_000) },
          { instrument_name: 'CRO', quantity: '10000', market_value: value(1_000) },
        ],
      },
    ];
    const then = { at: T0, ...balanceSummaryOf(answer((usd) => String(usd))) };
    for (const unreadable of [() => 'NaN', () => 'n/a', () => undefined, () => '0']) {
      const now = { at: T0 + 300_000, ...balanceSummaryOf(answer(unreadable)) };
      expect(fundsFinding(then, now, SETTINGS)).toBeNull();
    }
    // Money that did leave is still seen when the values are missing: the quantities say it.
    const drained = [
      {
        position_balances: [
          { instrument_name: 'BTC', quantity: '0.01' },
          { instrument_name: 'USD', quantity: '3000' },
        ],
      },
    ];
    expect(fundsFinding(then, { at: T0 + 300_000, ...balanceSummaryOf(drained) }, SETTINGS)?.diagnosis).toBe('FUNDS_DROPPED');
  });
});
