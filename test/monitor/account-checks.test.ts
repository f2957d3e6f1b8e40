import { describe, expect, it } from 'vitest';
import { accountEvidence, interpretAccount, interpretWithdraw, withdrawVerdictOf } from '../../src/monitor/account-checks.js';
import { parseReply } from '../../src/exchange/reply.js';
import type { TimedReply } from '../../src/exchange/client.js';

const timed = (status: number, body: unknown): TimedReply => ({
  reply: parseReply(status, JSON.stringify(body), null),
  attempts: 1,
  latencyMs: 5,
  totalMs: 5,
  midpointMs: 0,
});
const master = { uuid: 'm', enabled: true, tradable: true, suspended: false, terminated: false, derivatives_access: true, margin_access: 'DEFAULT' };
const sub = { uuid: 's', enabled: true, tradable: true, suspended: false, terminated: false, derivatives_access: false };
const result = (self: { uuid: string; hierarchy?: string }, m: object = master) => ({
  code: 0,
  result: { this_account: self, master_account: m, sub_account_list: [sub] },
});

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
    expect(interpretAccount(timed(200, result({ uuid: 'm', hierarchy: 'MASTER' }, { ...master, tradable: false })), true, { expectTrade: false }).status).toBe(
      'pass',
    );
    expect(
      interpretAccount(timed(200, result({ uuid: 'm', hierarchy: 'MASTER' }, { ...master, derivatives_access: false })), true, { expectTrade: true }).status,
    ).toBe('pass');
  });

  it('flags a sub-account key only where a master key is expected', () => {
    const self = { uuid: 's', hierarchy: 'SUB_ACCOUNT' };
    expect(interpretAccount(timed(200, result(self)), true, { expectTrade: true, expectMaster: true })).toMatchObject({
      status: 'fail',
      failure: 'SUB_ACCOUNT_KEY',
    });
    expect(interpretAccount(timed(200, result(self)), true, { expectTrade: true }).status).toBe('pass');
  });

  it('with --expect-master or --expect-derivatives, an account answer that proves nothing fails with its own class, saying what could not be verified', () => {
    const down = interpretAccount(timed(500, { code: 50001, message: 'INTERNAL_SERVER_ERROR' }), true, { expectTrade: true, expectMaster: true });
    expect(down).toMatchObject({ status: 'fail', failure: 'EXCHANGE_UNAVAILABLE' });
    expect(down.detail).toBe('could not verify that the key belongs to the master account: HTTP 500, code 50001 INTERNAL_SERVER_ERROR');
    const bare = { code: 0, result: { this_account: { uuid: 'm' }, master_account: { uuid: 'm' }, sub_account_list: [] } };
    const flagless = interpretAccount(timed(200, bare), true, { expectTrade: true, expectDerivatives: true });
    expect(flagless).toMatchObject({ status: 'fail', failure: 'UNEXPECTED_RESPONSE' });
    expect(flagless.detail).toMatch(/^could not verify derivatives access: the account answer has no derivatives_access/);
    expect(interpretAccount(timed(200, { code: 0, result: {} }), true, { expectTrade: true, expectMaster: true })).toMatchObject({
      status: 'fail',
      failure: 'UNEXPECTED_RESPONSE',
    });
  });

  it('an answer without the account flags proves nothing: a warning, never a pass', () => {
    const bare = { code: 0, result: { this_account: { uuid: 'm' }, master_account: { uuid: 'm' }, sub_account_list: [] } };
    const d = interpretAccount(timed(200, bare), true, { expectTrade: true });
    expect(d).toMatchObject({ status: 'warn', inconclusive: true });
    expect(d.detail).toContain('the answer has no terminated, suspended, enabled, tradable');
    // No this_account at all: the hierarchy is unknown, not "master".
    expect(accountEvidence({ master_account: master, sub_account_list: [] })?.hierarchy).toBeNull();
  });

  it('names account-level reply codes, and shows anything else as a warning that never alarms', () => {
    expect(interpretAccount(timed(400, { code: 202, message: 'ACCOUNT_IS_SUSPENDED' }), true, { expectTrade: true })).toMatchObject({
      failure: 'ACCOUNT_SUSPENDED',
    });
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
    expect(withdrawVerdictOf(timed(500, { code: 0, result: {} }), 1).allowed).toBeNull();
    expect(
      withdrawVerdictOf({ reply: { kind: 'network', error: 'timeout', detail: '1 ms' }, attempts: 1, latencyMs: 1, totalMs: 1, midpointMs: 0 }, 1).allowed,
    ).toBeNull();
  });

  it.each([
    [401, 40104, 'USER_TIER_INVALID'],
    [401, 10002, 'UNAUTHORIZED'],
    [401, 10005, 'USER_TIER_INVALID'],
  ])('says "cannot withdraw" only for 40101: HTTP %i code %i is not determined', (status, code, message) => {
    const probe = withdrawVerdictOf(timed(status, { code, message }), 1);
    expect(probe.allowed).toBeNull();
    expect(interpretWithdraw(probe, false, 1, timed(status, { code, message })).detail).toContain('withdraw permission not determined');
  });

  it('an inconclusive probe after a definite verdict shows that verdict, says it could not re-check, and proves nothing new', () => {
    const later = 25 * 3_600_000;
    const can = interpretWithdraw({ at: 0, allowed: true }, false, later, timed(503, 'x'), 'probe: HTTP 503');
    expect(can).toMatchObject({ status: 'fail', failure: 'WITHDRAW_PERMISSION_UNEXPECTED', withdrawAllowed: true });
    expect(can.detail).toBe('the key can withdraw funds (the last definite probe, 25 h ago); could not re-check: probe: HTTP 503');
    const cannot = interpretWithdraw({ at: 0, allowed: false }, false, later, timed(503, 'x'), 'probe: HTTP 503');
    expect(cannot).toMatchObject({ status: 'warn', inconclusive: true });
    expect(cannot.detail).toContain('could not re-check: probe: HTTP 503');
  });

  it('alarms on a key that can withdraw unless it is declared to; never alarms on an inconclusive answer', () => {
    expect(interpretWithdraw({ at: 0, allowed: true }, false, 0, null)).toMatchObject({ status: 'fail', failure: 'WITHDRAW_PERMISSION_UNEXPECTED' });
    expect(interpretWithdraw({ at: 0, allowed: true }, true, 0, null).status).toBe('pass');
    expect(interpretWithdraw({ at: 0, allowed: false }, false, 0, null).status).toBe('pass');
    expect(interpretWithdraw({ at: 0, allowed: null }, false, 0, null).status).toBe('warn');
  });

  it('says when a carried-over verdict was probed, in words that stay the same from run to run until the next probe', () => {
    const probedAt = Date.UTC(2026, 11, 5, 9, 12, 30);
    const later = interpretWithdraw({ at: probedAt, allowed: true }, false, probedAt + 5 * 3_600_000, null).detail;
    expect(later).toContain('probed 2026-12-05 09:12 UTC; re-probed once a day');
    expect(interpretWithdraw({ at: probedAt, allowed: true }, false, probedAt + 6 * 3_600_000, null).detail).toBe(later);
  });
});
