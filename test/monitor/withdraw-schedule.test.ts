import { describe, expect, it } from 'vitest';
import { afterProbe, planWithdrawProbe, UNANSWERED_RETRY_MS, WITHDRAW_PROBE_EVERY_MS, type WithdrawMemory } from '../../src/monitor/withdraw-schedule.js';

// The schedule is pure: memory and clock in, plan out; every test moves the clock.
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const NONE: WithdrawMemory = { withdraw: null, withdrawUnanswered: null };
const answer = (at: number, allowed: boolean | null) => ({
  at,
  allowed,
  seen: allowed === null ? 'HTTP 503 with a non-JSON body ("503 Service Temporarily Unavailable")' : 'HTTP 200, code 0',
});

describe('when the scheduled check probes withdraw permission', () => {
  it('probes a key it has no definite verdict for, then carries a definite one for a day', () => {
    expect(planWithdrawProbe(null, T0)).toEqual({ kind: 'now', last: null });
    const m = afterProbe(NONE, answer(T0, true));
    expect(m).toEqual({ withdraw: { at: T0, allowed: true }, withdrawUnanswered: null });
    expect(planWithdrawProbe(m, T0 + WITHDRAW_PROBE_EVERY_MS - 1)).toEqual({ kind: 'carry', last: { at: T0, allowed: true }, unanswered: null });
    expect(planWithdrawProbe(m, T0 + WITHDRAW_PROBE_EVERY_MS)).toEqual({ kind: 'now', last: { at: T0, allowed: true } });
  });

  it('never stores an inconclusive answer as the verdict: it keeps the last definite one and probes again on the next run', () => {
    const definite = afterProbe(NONE, answer(T0, true));
    const day = T0 + WITHDRAW_PROBE_EVERY_MS;
    const once = afterProbe(definite, answer(day, null));
    expect(once.withdraw).toEqual({ at: T0, allowed: true });
    expect(once.withdrawUnanswered).toMatchObject({ count: 1, at: day });
    expect(planWithdrawProbe(once, day + 5 * MIN)).toEqual({ kind: 'now', last: { at: T0, allowed: true } });
  });

  it('after three inconclusive answers in a row, re-probes hourly until one answers', () => {
    let m = afterProbe(NONE, answer(T0, false));
    const day = T0 + WITHDRAW_PROBE_EVERY_MS;
    for (let i = 0; i < 3; i++) m = afterProbe(m, answer(day + i * 5 * MIN, null));
    const last = day + 10 * MIN;
    expect(m.withdrawUnanswered?.count).toBe(3);
    expect(planWithdrawProbe(m, last + 5 * MIN)).toMatchObject({ kind: 'carry', last: { at: T0, allowed: false }, unanswered: { count: 3 } });
    expect(planWithdrawProbe(m, last + UNANSWERED_RETRY_MS - 1).kind).toBe('carry');
    expect(planWithdrawProbe(m, last + UNANSWERED_RETRY_MS)).toEqual({ kind: 'now', last: { at: T0, allowed: false } });
    m = afterProbe(m, answer(last + UNANSWERED_RETRY_MS, true));
    expect(m).toEqual({ withdraw: { at: last + UNANSWERED_RETRY_MS, allowed: true }, withdrawUnanswered: null });
  });

  it('treats a stored null verdict (kept by earlier versions) as no verdict: probe now', () => {
    const legacy = { withdraw: { at: T0, allowed: null }, withdrawUnanswered: null } as unknown as WithdrawMemory;
    expect(planWithdrawProbe(legacy, T0 + MIN)).toEqual({ kind: 'now', last: null });
  });
});
