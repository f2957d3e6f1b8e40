import { describe, expect, it } from 'vitest';
import { carriedAfter, daySlotDue, expectationsOf, planProbes, slotDue, type CadenceInput } from '../../src/monitor/cadence.js';
import { planWithdrawProbe } from '../../src/monitor/withdraw-schedule.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const KEY = { expectTrade: true };
const carried = (at: number) => ({ at, expect: expectationsOf(KEY)['trade-permission'], detail: 'Trade enabled', tradeAllowed: true });

function input(over: Partial<CadenceInput> = {}): CadenceInput {
  return {
    name: 'k',
    expectations: expectationsOf(KEY),
    last: {
      at: T0 - 5 * MIN,
      diagnosis: 'OK',
      carried: { 'trade-permission': carried(T0 - 30 * MIN), account: { ...carried(T0 - 30 * MIN), expect: expectationsOf(KEY).account } },
    },
    settled: true,
    monitorIncident: false,
    now: T0,
    periodMs: HOUR,
    ...over,
  };
}

describe('the hourly slot', () => {
  it('spreads 1,000 keys over the hour: runs five minutes apart each send about a twelfth, and every key exactly once an hour', () => {
    const names = Array.from({ length: 1000 }, (_, i) => `key-${i}`);
    const perRun: number[] = [];
    const perKey = new Map<string, number>();
    for (let r = 1; r <= 12; r++) {
      const due = names.filter((n) => slotDue(n, HOUR, T0 + (r - 1) * 5 * MIN, T0 + r * 5 * MIN));
      perRun.push(due.length);
      for (const n of due) perKey.set(n, (perKey.get(n) ?? 0) + 1);
    }
    expect(perKey.size).toBe(1000);
    expect([...perKey.values()].every((c) => c === 1)).toBe(true);
    expect(Math.max(...perRun)).toBeLessThan(130);
    expect(Math.min(...perRun)).toBeGreaterThan(40);
  });

  it('is due after a gap as long as the period, whatever the slot', () => {
    expect(slotDue('k', HOUR, T0, T0 + HOUR)).toBe(true);
  });
});

describe('planProbes', () => {
  it('carries the last pass of a healthy, settled key between its slots', () => {
    const quiet = Array.from({ length: 12 }, (_, i) => planProbes(input({ last: { ...input().last!, at: T0 + i * 5 * MIN }, now: T0 + (i + 1) * 5 * MIN })));
    expect(quiet.filter((p) => p['trade-permission'].kind === 'now')).toHaveLength(1);
    expect(quiet.filter((p) => p.account.kind === 'now')).toHaveLength(1);
  });

  it.each<[string, Partial<CadenceInput>]>([
    ['the first run of a key', { last: undefined }],
    ['a key whose last run was not OK', { last: { ...input().last!, diagnosis: 'AUTH_FAILED' } }],
    ['a key with an incident open or not yet settled', { settled: false }],
    ['a monitor-level incident open', { monitorIncident: true }],
    ['a period of 0 (every run)', { periodMs: 0 }],
    [
      'a carried answer two periods old',
      { last: { ...input().last!, carried: { 'trade-permission': carried(T0 - 2 * HOUR), account: carried(T0 - 2 * HOUR) } } },
    ],
    ['nothing carried (the last probe proved nothing)', { last: { at: T0 - 5 * MIN, diagnosis: 'OK' } }],
  ])('sends every probe for %s', (_, over) => {
    const plan = planProbes(input(over));
    expect([plan['trade-permission'].kind, plan.account.kind]).toEqual(['now', 'now']);
  });

  it('sends the trade probe again when the key’s expectation changed (read-only now)', () => {
    const plan = planProbes(input({ expectations: expectationsOf({ expectTrade: false }) }));
    expect(plan['trade-permission'].kind).toBe('now');
  });
});

describe('carriedAfter', () => {
  const check = (name: string, over: Record<string, unknown> = {}) => ({ name, status: 'pass', ok: true, detail: `${name} ok`, ...over });
  it('keeps a conclusive pass sent now, keeps what was carried, and forgets a probe that did not pass', () => {
    const plans = { 'trade-permission': { kind: 'now' as const }, account: { kind: 'now' as const } };
    const after = carriedAfter(
      [check('trade-permission', { tradeAllowed: true }), check('account', { status: 'warn', ok: null })],
      plans,
      expectationsOf(KEY),
      T0,
    );
    expect(after['trade-permission']).toMatchObject({ at: T0, tradeAllowed: true });
    expect(after['account']).toBeUndefined();
    const last = carried(T0 - 30 * MIN);
    const kept = carriedAfter(
      [check('trade-permission', { carriedFrom: last.at })],
      { ...plans, 'trade-permission': { kind: 'carry', last } },
      expectationsOf(KEY),
      T0,
    );
    expect(kept['trade-permission']).toBe(last);
  });
});

describe('the withdraw probe’s daily slot', () => {
  it('re-probes at the slot only once the verdict is half a day old, so keys first probed together spread over the day', () => {
    const memory = (at: number) => ({ withdraw: { at, allowed: false }, withdrawUnanswered: null });
    expect(planWithdrawProbe(memory(T0 - 2 * HOUR), T0, true).kind).toBe('carry');
    expect(planWithdrawProbe(memory(T0 - 13 * HOUR), T0, true).kind).toBe('now');
    expect(planWithdrawProbe(memory(T0 - 13 * HOUR), T0, false).kind).toBe('carry');
    expect(planWithdrawProbe(memory(T0 - 24 * HOUR), T0, false).kind).toBe('now');
    const names = Array.from({ length: 1000 }, (_, i) => `key-${i}`);
    const due = names.filter((n) => daySlotDue(n, T0, T0 + 5 * MIN)).length;
    expect(due).toBeLessThan(15);
    expect(daySlotDue('new-key', undefined, T0)).toBe(true);
  });
});
