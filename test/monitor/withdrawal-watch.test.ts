import { DIAGNOSIS_TABLE } from '../../src/monitor/diagnosis-table.js';
import { describe, expect, it } from 'vitest';
import type { BalanceSummary } from '../../src/monitor/balance-summary.js';
import { withdrawalPlanOf } from '../../src/monitor/security-watch.js';
import { historyParams, quantityDropped, readHistory, shortAddress, unreadFinding, UNREAD_FOR_MS } from '../../src/monitor/withdrawal-watch.js';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const MIN = 60_000;
const NONE = { expectWithdraw: false, addresses: [], clientWidPrefix: null };
const w = (id: string, create_time: number, over: Record<string, unknown> = {}) => ({
  id,
  currency: 'BTC',
  amount: '0.5',
  address: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh',
  status: '5',
  create_time,
  ...over,
});

describe('reading the withdrawal history after a cursor', () => {
  it('reports what is newer than the cursor, or at its time and not seen; the cursor moves to the newest', () => {
    const cursor = { since: T0, ids: ['a'] };
    const read = readHistory({ withdrawal_list: [w('a', T0), w('b', T0), w('c', T0 - MIN), w('d', T0 + MIN), w('e', T0 + MIN)] }, cursor, NONE);
    expect(read?.found.map((f) => f.identity)).toEqual(['withdrawal:b', 'withdrawal:d', 'withdrawal:e']);
    expect(read?.cursor).toEqual({ since: T0 + MIN, ids: ['d', 'e'] });
    expect(readHistory({ withdrawal_list: [w('d', T0 + MIN), w('e', T0 + MIN)] }, read!.cursor, NONE)?.found).toEqual([]);
  });

  it('an expected withdrawal (expectWithdraw, an allowed address with or without a tag, a client_wid prefix) is not a finding, and still moves the cursor', () => {
    const list = {
      withdrawal_list: [w('x', T0 + MIN, { address: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh?tag=7' }), w('y', T0 + 2 * MIN, { client_wid: 'payout-9' })],
    };
    const allowed = { expectWithdraw: false, addresses: ['bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh'], clientWidPrefix: 'payout-' };
    expect(readHistory(list, { since: T0, ids: [] }, allowed)).toEqual({ found: [], cursor: { since: T0 + 2 * MIN, ids: ['y'] } });
    expect(readHistory(list, { since: T0, ids: [] }, { ...NONE, expectWithdraw: true })?.found).toEqual([]);
    expect(readHistory(list, { since: T0, ids: [] }, NONE)?.found).toHaveLength(2);
  });

  it('a hex address is allowed whatever the case of its checksum; any other address must match exactly', () => {
    const evm = '0x52908400098527886E0F7030069857D2E4169EE7';
    const list = {
      withdrawal_list: [w('h', T0 + MIN, { address: evm.toLowerCase() }), w('b', T0 + 2 * MIN, { address: 'BC1QXY2KGDYGJRSQTZQ2N0YRF2493P83KKFJHX0WLH' })],
    };
    const read = readHistory(list, { since: T0, ids: [] }, { ...NONE, addresses: [evm, 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh'] });
    expect(read?.found.map((f) => f.identity)).toEqual(['withdrawal:b']);
  });

  it('names the status and shortens the address; an answer without a list is not read', () => {
    const [f] = readHistory({ withdrawal_list: [w('z', T0 + MIN, { status: '2' })] }, { since: T0, ids: [] }, NONE)!.found;
    expect(f?.detail).toBe('A withdrawal of 0.5 BTC to bc1qxy…0wlh (rejected) at 2026-12-01 10:01 UTC');
    expect(shortAddress('0xAbCdEf0123456789?memo=1')).toBe('0xAbCd…6789');
    expect(readHistory({ data: [] }, { since: T0, ids: [] }, NONE)).toBeNull();
    expect(historyParams({ since: T0, ids: [] }, T0 + MIN)).toEqual({ start_ts: String(T0), end_ts: String(T0 + MIN), page_size: '200' });
  });
});

describe('when the scheduled run reads the history', () => {
  const summary: BalanceSummary = {
    count: 2,
    total: 100,
    rest: 0,
    assets: [
      { asset: 'BTC', quantity: 1, price: 90 },
      { asset: 'USD', quantity: 10, price: 1 },
    ],
  };

  it('starts at the first run, reads at the key’s hourly slot, and in between only after a balance fell', () => {
    expect(withdrawalPlanOf('k', true, undefined, undefined, T0)).toEqual({ kind: 'start' });
    expect(withdrawalPlanOf('k', false, { since: T0, ids: [] }, undefined, T0)).toEqual({ kind: 'off' });
    const cursor = { since: T0, ids: [] };
    expect(withdrawalPlanOf('k', true, cursor, { at: T0, balance: summary }, T0 + 61 * MIN).kind).toBe('read');
    const plans = Array.from(
      { length: 12 },
      (_, i) => withdrawalPlanOf('k', true, cursor, { at: T0 + i * 5 * MIN, balance: summary }, T0 + (i + 1) * 5 * MIN).kind,
    );
    expect(plans.filter((k) => k === 'read')).toHaveLength(1);
    expect(plans.filter((k) => k === 'if-dropped')).toHaveLength(11);
  });

  it('a balance fell: some listed asset holds less, or is gone from a complete list', () => {
    expect(quantityDropped(summary, summary)).toBe(false);
    expect(quantityDropped(summary, { ...summary, assets: [{ asset: 'BTC', quantity: 0.9, price: 90 }, summary.assets[1]!] })).toBe(true);
    expect(quantityDropped(summary, { ...summary, count: 1, assets: [summary.assets[1]!] })).toBe(true);
    expect(quantityDropped(summary, { ...summary, assets: [...summary.assets, { asset: 'ETH', quantity: 1, price: 1 }], count: 3 })).toBe(false);
  });
});

describe('a new API key under the same name (a rotation) keeps watching the account', () => {
  it('the first look with the new key reads from where the old key’s last look ended (at most a day back), so a withdrawal made just before the rotation is still reported', async () => {
    const { withdrawalPlanForRun } = await import('../../src/monitor/security-watch.js');
    const cursor = { since: T0, ids: ['w0'] };
    const last = { at: T0 + 50 * MIN, keyId: 'old-key', withdrawals: cursor };
    // The same key: the plan as before.
    expect(withdrawalPlanForRun('k', true, last, 'old-key', T0 + 55 * MIN)).toEqual(withdrawalPlanOf('k', true, cursor, last, T0 + 55 * MIN));
    // A new key: read now, from the old cursor (not "start now", which would lose what left since the last look).
    expect(withdrawalPlanForRun('k', true, last, 'new-key', T0 + 55 * MIN)).toEqual({ kind: 'read', cursor });
    // A cursor far in the past is bounded to the last day; a refusal or skip of the old key is not carried.
    const old = { at: T0 + 50 * MIN, keyId: 'old-key', withdrawals: { since: T0 - 30 * 24 * 60 * MIN, ids: ['x'], refusedAt: T0 } };
    expect(withdrawalPlanForRun('k', true, old, 'new-key', T0 + 55 * MIN)).toEqual({ kind: 'read', cursor: { since: T0 + 55 * MIN - 24 * 60 * MIN, ids: [] } });
    // Nothing known before: start now.
    expect(withdrawalPlanForRun('k', true, undefined, 'new-key', T0)).toEqual({ kind: 'start' });
    expect(withdrawalPlanForRun('k', true, { at: T0, keyId: 'old-key' }, 'new-key', T0)).toEqual({ kind: 'start' });
    expect(withdrawalPlanForRun('k', false, last, 'new-key', T0)).toEqual({ kind: 'off' });
  });
});

describe('the window each look asks for stays bounded', () => {
  it('a complete look that found nothing new moves the cursor up to an hour before the look, so a quiet account is not asked for its whole history since the watch began', () => {
    const cursor = { since: T0, ids: ['a'] };
    const now = T0 + 90 * 24 * 60 * MIN;
    const read = readHistory({ withdrawal_list: [] }, cursor, NONE, now);
    expect(read?.cursor).toEqual({ since: now - 60 * MIN, ids: [] });
    expect(Number(historyParams(read!.cursor, now + 60 * MIN).start_ts)).toBe(now - 60 * MIN);
    // A withdrawal within the last hour keeps the cursor at it (with its id), as before.
    const recent = readHistory({ withdrawal_list: [w('r', now - 10 * MIN)] }, cursor, NONE, now);
    expect(recent?.cursor).toEqual({ since: now - 10 * MIN, ids: ['r'] });
    // A full page may not hold everything since the cursor: the cursor goes no further than what was seen.
    const page = Array.from({ length: 200 }, (_, i) => w(`p${i}`, T0 + (i + 1) * MIN));
    expect(readHistory({ withdrawal_list: page }, cursor, NONE, now)?.cursor.since).toBe(T0 + 200 * MIN);
  });
});

describe('a withdrawal whose time cannot be read', () => {
  it('is still reported (at an unknown time), once per look, never silently dropped as if nothing had left', () => {
    const read = readHistory({ withdrawal_list: [w('t1', 'yesterday' as unknown as number), w('t2', T0 + MIN)] }, { since: T0, ids: [] }, NONE);
    expect(read?.found.map((f) => f.identity)).toEqual(['withdrawal:t1', 'withdrawal:t2']);
    expect(read?.found[0]?.detail).toBe('A withdrawal of 0.5 BTC to bc1qxy…0wlh (completed) at an unknown time');
    // The cursor moves by the readable times only.
    expect(read?.cursor).toEqual({ since: T0 + MIN, ids: ['t2'] });
    // An allowed one is still not a finding.
    expect(readHistory({ withdrawal_list: [w('t3', 'x' as unknown as number)] }, { since: T0, ids: [] }, { ...NONE, expectWithdraw: true })?.found).toEqual([]);
  });
});

describe('a withdrawal whose time is no believable time', () => {
  const NOW = T0 + 10 * MIN;
  const stranger = { address: 'bc1qstrangerstrangerstrangerstranger00000' };

  it('far in the future, or given in hex, is reported at an unknown time and does not move the cursor: later withdrawals are still found', () => {
    const cursor = { since: T0, ids: [] };
    for (const create_time of [1e20, 9e15, '1e20', '0x10', T0 + 2 * 86_400_000]) {
      const read = readHistory({ withdrawal_list: [w('far', create_time as number, stranger)] }, cursor, NONE, NOW);
      expect(
        read?.found.map((f) => f.identity),
        String(create_time),
      ).toEqual(['withdrawal:far']);
      expect(read?.found[0]?.detail).toContain('at an unknown time');
      expect(read?.cursor.since, String(create_time)).toBeLessThanOrEqual(NOW);
      const next = readHistory({ withdrawal_list: [w('real', T0 + 5 * MIN, stranger)] }, read!.cursor, NONE, NOW);
      expect(next?.found.map((f) => f.identity)).toEqual(['withdrawal:real']);
    }
  });

  it('a cursor kept from such an answer is not asked from: the look starts an hour before now, and finds what was made since', () => {
    const poisoned = { since: 1e20, ids: ['far'] };
    expect(Number(historyParams(poisoned, NOW).start_ts)).toBe(NOW - 60 * MIN);
    const read = readHistory({ withdrawal_list: [w('real', T0 + 5 * MIN, stranger)] }, poisoned, NONE, NOW);
    expect(read?.found.map((f) => f.identity)).toEqual(['withdrawal:real']);
    expect(read?.cursor.since).toBeLessThanOrEqual(NOW);
  });
});

describe('a full page of withdrawals', () => {
  it('says that withdrawals beyond the page were not read (even when every one listed was allowed), never reads as all of them', () => {
    const page = Array.from({ length: 200 }, (_, i) => w(`p${i}`, T0 + (i + 1) * MIN, { client_wid: `payout-${i}` }));
    const allowed = { ...NONE, clientWidPrefix: 'payout-' };
    const read = readHistory({ withdrawal_list: page }, { since: T0, ids: [] }, allowed, T0 + 300 * MIN);
    expect(read?.found.map((f) => f.diagnosis)).toEqual(['WITHDRAWAL_WATCH_NOT_DETERMINED']);
    expect(read?.found[0]?.detail).toBe(
      'The withdrawal history answered a full page of 200 for the time since 2026-12-01 10:00 UTC: withdrawals not in that answer were not read (check the account’s withdrawal history)',
    );
    // Less than a full page: everything since the cursor was read.
    expect(readHistory({ withdrawal_list: page.slice(1) }, { since: T0, ids: [] }, allowed, T0 + 300 * MIN)?.found).toEqual([]);
  });
});

describe('a withdrawal watch that cannot read for over a day', () => {
  const HOUR = 60 * MIN;
  const cursor = { since: T0, ids: [] };
  const unread = (why: string, c: { since: number; ids: string[]; skipped?: string } | null = cursor) => ({ kind: 'not-read' as const, why, cursor: c });

  it('says the watch is blind once the history has not been read for a day, once per streak, with a fix to look by hand', () => {
    const look = unread('the withdrawal history did not answer (HTTP 503)');
    expect(unreadFinding(look, T0 + UNREAD_FOR_MS, 'kid')).toBeNull();
    const f = unreadFinding(look, T0 + UNREAD_FOR_MS + HOUR, 'kid');
    expect(f).toMatchObject({ diagnosis: 'WITHDRAWAL_WATCH_NOT_DETERMINED', identity: `withdrawal-watch-unread:kid:${T0}`, severity: 'warning' });
    expect(f?.detail).toBe('The withdrawal history has not been read since 2026-12-01 10:00 UTC: the withdrawal history did not answer (HTTP 503)');
    // The same streak has the same identity, so the security slot says it once.
    expect(unreadFinding(look, T0 + 3 * UNREAD_FOR_MS, 'kid')?.identity).toBe(f?.identity);
    expect(
      DIAGNOSIS_TABLE.WITHDRAWAL_WATCH_NOT_DETERMINED.advice({ egressIp: null, expectedIps: [], keyPrefix: null, detail: f?.detail ?? '', site: 'aws' }),
    ).toContain('look at the account’s withdrawal history now');
  });

  it('is not said for a key that fails its signed read (the health incident says that), a sub-account, a look not due, or a read that answered', () => {
    const late = T0 + 2 * UNREAD_FOR_MS;
    expect(unreadFinding(unread('the signed read did not pass'), late, 'kid')).toBeNull();
    expect(unreadFinding(unread('sub-account', { ...cursor, skipped: 'sub-account' }), late, 'kid')).toBeNull();
    expect(unreadFinding(unread('not due: no balance fell since the last run'), late, 'kid')).toBeNull();
    expect(unreadFinding({ kind: 'read', found: [], cursor }, late, 'kid')).toBeNull();
    expect(unreadFinding(undefined, late, 'kid')).toBeNull();
    expect(unreadFinding(unread('the withdrawal history answer is not a list (HTML)'), late, 'kid')?.diagnosis).toBe('WITHDRAWAL_WATCH_NOT_DETERMINED');
  });
});
