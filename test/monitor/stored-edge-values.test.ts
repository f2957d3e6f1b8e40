import { describe, expect, it } from 'vitest';
import { fundsFinding } from '../../src/monitor/security-findings.js';
import { interpretWithdraw } from '../../src/monitor/account-checks.js';
import { planWithdrawProbe } from '../../src/monitor/withdraw-schedule.js';
import { readKeyState } from '../../src/monitor/state-shape.js';
import { NEW_KEY_STATE } from '../../src/monitor/incident-state.js';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);

describe('the money watch, when the balances outside the largest ten sum below zero', () => {
  it('does not return null where the full comparison finds an asset gone (the rest of the balances is negative: a loan)', () => {
    // X ($800) is no longer among the largest balances, and the balances not listed now sum to -$500
    // (a borrowed balance): at most -$500 of X can be left, so $1,300 of it is gone and the value fell $700.
    const before = { at: T0, count: 11, total: 10_800, assets: [{ asset: 'X', quantity: 1, price: 800 }], rest: 10_000 };
    const after = { at: T0 + 300_000, count: 20, total: 10_100, assets: [{ asset: 'Y', quantity: 1, price: 100 }], rest: -500 };
    const f = fundsFinding(before, after, { fundsDropPercent: 25, assetVanishedUsd: 1_000 });
    expect(f?.diagnosis).toBe('FUNDS_DROPPED');
    expect(f?.detail).toContain('X worth $1,300.00 disappeared');
  });
});

describe('a carried withdraw verdict whose time is a number but no date', () => {
  it('is shown, not thrown (a throw turns the whole key into "the check crashed", every run, hiding its real diagnosis)', () => {
    // A stored state the reader accepts (a finite number), probed "in the future": carried forever.
    const read = readKeyState({ ...NEW_KEY_STATE, withdraw: { at: 1e300, allowed: true } }, NEW_KEY_STATE);
    const memory = { withdraw: read.value.withdraw, withdrawUnanswered: null };
    expect(memory.withdraw).toEqual({ at: 1e300, allowed: true });
    const plan = planWithdrawProbe(memory, T0);
    expect(plan.kind).toBe('carry');
    let draft: ReturnType<typeof interpretWithdraw> | undefined;
    expect(() => (draft = interpretWithdraw(plan.kind === 'carry' ? plan.last! : { at: 0, allowed: null }, false, T0, null))).not.toThrow();
    expect(draft).toMatchObject({ status: 'fail', failure: 'WITHDRAW_PERMISSION_UNEXPECTED' });
  });
});
