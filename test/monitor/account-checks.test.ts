import { describe, expect, it } from 'vitest';
import { accountEvidence, interpretAccount, interpretWithdraw, withdrawVerdictOf } from '../../lambdas/monitor/account-checks.js';
import { parseReply } from '../../lambdas/exchange/reply.js';
import type { TimedReply } from '../../lambdas/exchange/client.js';

const timed = (status: number, body: unknown): TimedReply => ({ reply: parseReply(status, JSON.stringify(body), null), attempts: 1, latencyMs: 5, totalMs: 5, midpointMs: 0 });
const master = { uuid: 'm', enabled: true, tradable: true, suspended: false, terminated: false, derivatives_access: true, margin_access: 'DEFAULT' };
const sub = { uuid: 's', enabled: true, tradable: true, suspended: false, terminated: false, derivatives_access: false };
const result = (self: { uuid: string; hierarchy?: string }, m: object = master) => ({ code: 0, result: { this_account: self, master_account: m, sub_account_list: [sub] } });

describe('the account behind a key (private/get-accounts)', () => {
  it('finds this key’s account by uuid, master or sub-account', () => {
    expect(accountEvidence(result({ uuid: 'm', hierarchy: 'MASTER' }).result)).toMatchObject({ hierarchy: 'MASTER', derivativesAccess: true });
    expect(accountEvidence(result({ uuid: 's', hierarchy: 'SUB_ACCOUNT' }).result)).toMatchObject({ hierarchy: 'SUB_ACCOUNT', derivativesAccess: false });
    // Before `hierarchy` existed (added 2026-04-07): told apart by which entry carries the uuid.
    expect(accountEvidence(result({ uuid: 's' }).result)?.hierarchy).toBe('SUB_ACCOUNT');
    expect(accountEvidence({ weird: true })).toBeNull();
    expect(accountEvidence(null)).toBeNull();
  });

  it.each([
    [{ ...master, terminated: true }, {}, 'ACCOUNT_TERMINATED'],
    [{ ...master, suspended: 'true' }, {}, 'ACCOUNT_SUSPENDED'],
    [{ ...master, enabled: false }, {}, 'ACCOUNT_DISABLED'],
    [{ ...master, tradable: false }, {}, 'ACCOUNT_NOT_TRADABLE'],
    [{ ...master, derivatives_access: false }, { expectDerivatives: true }, 'DERIVATIVES_ACCESS_MISSING'],
  ] as const)('%o with %o → %s', (account, expect_, failure) => {
    const d = interpretAccount(timed(200, result({ uuid: 'm', hierarchy: 'MASTER' }, account)), true, { expectTrade: true, ...expect_ });
    expect(d).toMatchObject({ status: 'fail', failure });
  });

  it('does not hold a not-tradable account against a read-only key, nor missing derivatives against a spot key', () => {
    expect(interpretAccount(timed(200, result({ uuid: 'm', hierarchy: 'MASTER' }, { ...master, tradable: false })), true, { expectTrade: false }).status).toBe('pass');
    expect(interpretAccount(timed(200, result({ uuid: 'm', hierarchy: 'MASTER' }, { ...master, derivatives_access: false })), true, { expectTrade: true }).status).toBe('pass');
  });

  it('flags a sub-account key only where a master key is expected', () => {
    const self = { uuid: 's', hierarchy: 'SUB_ACCOUNT' };
    expect(interpretAccount(timed(200, result(self)), true, { expectTrade: true, expectMaster: true })).toMatchObject({ status: 'fail', failure: 'SUB_ACCOUNT_KEY' });
    expect(interpretAccount(timed(200, result(self)), true, { expectTrade: true }).status).toBe('pass');
  });

  it('names account-level reply codes, and shows anything else as a warning that never alarms', () => {
    expect(interpretAccount(timed(400, { code: 202, message: 'ACCOUNT_IS_SUSPENDED' }), true, { expectTrade: true })).toMatchObject({ failure: 'ACCOUNT_SUSPENDED' });
    expect(interpretAccount(timed(400, { code: 140001, message: 'API_DISABLED' }), true, { expectTrade: true })).toMatchObject({ failure: 'API_DISABLED' });
    expect(interpretAccount(timed(500, { code: 10001 }), true, { expectTrade: true }).status).toBe('warn');
    expect(interpretAccount(timed(200, { code: 0, result: 'nonsense' }), true, { expectTrade: true }).status).toBe('warn');
  });
});

describe('the withdraw probe (private/get-deposit-address)', () => {
  it('reads code 0 as "can withdraw", an auth-class refusal as "cannot", anything else as inconclusive', () => {
    expect(withdrawVerdictOf(timed(200, { code: 0, result: { deposit_address_list: [] } }), 1).allowed).toBe(true);
    expect(withdrawVerdictOf(timed(401, { code: 40101 }), 1).allowed).toBe(false);
    expect(withdrawVerdictOf(timed(500, { code: 10001, message: 'SYS_ERROR' }), 1).allowed).toBeNull();
    expect(withdrawVerdictOf({ reply: { kind: 'network', error: 'timeout', detail: '1 ms' }, attempts: 1, latencyMs: 1, totalMs: 1, midpointMs: 0 }, 1).allowed).toBeNull();
  });

  it('alarms on a key that can withdraw unless it is declared to; never alarms on an inconclusive answer', () => {
    expect(interpretWithdraw({ at: 0, allowed: true }, false, 0, null)).toMatchObject({ status: 'fail', failure: 'WITHDRAW_PERMISSION_UNEXPECTED' });
    expect(interpretWithdraw({ at: 0, allowed: true }, true, 0, null).status).toBe('pass');
    expect(interpretWithdraw({ at: 0, allowed: false }, false, 0, null).status).toBe('pass');
    expect(interpretWithdraw({ at: 0, allowed: null }, false, 0, null).status).toBe('warn');
  });

  it('says when a carried-over verdict was probed', () => {
    expect(interpretWithdraw({ at: 0, allowed: true }, false, 5 * 3_600_000, null).detail).toContain('probed 5 h ago; re-probed once a day');
  });
});
