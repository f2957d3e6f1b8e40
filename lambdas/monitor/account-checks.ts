import type { TimedReply } from '../exchange/client.js';
import { describeReply } from '../exchange/reply.js';
import { classifyReply } from './diagnosis.js';
import { isJsonObject } from '../contract/json.js';
import { fromReply, NOT_TIMED, skipped, type Draft } from './check-draft.js';
import type { AccountEvidence, Failure } from './types.js';

/**
 * The audit beyond Trade: the account behind a key (private/get-accounts) and whether the key can
 * withdraw (private/get-deposit-address, a read that moves nothing but needs the Withdrawal
 * setting). Pure: replies in, check drafts out.
 */
/** Flags come as JSON booleans, sometimes as strings. */
const flag = (v: unknown): boolean | null => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : null);

/** Diagnoses an account-level reply code can mean (202 suspended, 140001 API disabled…). */
const ACCOUNT_LEVEL: ReadonlySet<Failure> = new Set(['API_DISABLED', 'ACCOUNT_SUSPENDED', 'ACCOUNT_DISABLED', 'DERIVATIVES_ACCESS_MISSING', 'ACCOUNT_TERMINATED']);

/** This key's account from a get-accounts result: this_account names it; the flags live on its entry. */
export function accountEvidence(result: unknown): AccountEvidence | null {
  if (!isJsonObject(result)) return null;
  const self = isJsonObject(result['this_account']) ? result['this_account'] : null;
  const hierarchyRaw = self?.['hierarchy'];
  const hierarchy = hierarchyRaw === 'MASTER' || hierarchyRaw === 'SUB_ACCOUNT' ? hierarchyRaw : null;
  const master = isJsonObject(result['master_account']) ? result['master_account'] : null;
  const subs = Array.isArray(result['sub_account_list']) ? (result['sub_account_list'] as unknown[]).filter(isJsonObject) : [];
  const uuid = typeof self?.['uuid'] === 'string' ? self['uuid'] : null;
  const entry = (uuid !== null ? [master, ...subs].find((a) => a?.['uuid'] === uuid) : null) ?? (hierarchy !== 'SUB_ACCOUNT' ? master : null);
  if (!entry) return hierarchy ? { hierarchy, enabled: null, tradable: null, suspended: null, terminated: null, derivativesAccess: null, marginAccess: null } : null;
  return {
    hierarchy: hierarchy ?? (entry === master ? 'MASTER' : 'SUB_ACCOUNT'),
    enabled: flag(entry['enabled']),
    tradable: flag(entry['tradable']),
    suspended: flag(entry['suspended']),
    terminated: flag(entry['terminated']),
    derivativesAccess: flag(entry['derivatives_access']),
    marginAccess: flag(entry['margin_access']),
  };
}

export interface AccountExpectations {
  readonly expectTrade: boolean;
  readonly expectDerivatives?: boolean | undefined;
  readonly expectMaster?: boolean | undefined;
}

function describeAccount(a: AccountEvidence): string {
  const yes = (v: boolean | null) => (v === null ? 'unknown' : v ? 'yes' : 'no');
  const kind = a.hierarchy === 'MASTER' ? 'master account' : a.hierarchy === 'SUB_ACCOUNT' ? 'sub-account' : 'account (master or sub unknown)';
  return `${kind}; enabled ${yes(a.enabled)}, tradable ${yes(a.tradable)}, derivatives ${yes(a.derivativesAccess)}, margin ${yes(a.marginAccess)}`;
}

export function interpretAccount(timed: TimedReply, readPassed: boolean, expect: AccountExpectations): Draft {
  if (!readPassed) return { ...skipped('not conclusive: the signed read did not pass'), ...fromReply(timed), code: null, httpStatus: null };
  const meaning = classifyReply(timed.reply);
  if (meaning !== 'OK') {
    // An account-level code is a verdict; anything else here only means the details are not available.
    if (ACCOUNT_LEVEL.has(meaning as Failure)) return { status: 'fail', failure: meaning as Failure, ...fromReply(timed), detail: describeReply(timed.reply) };
    return { status: 'warn', ...fromReply(timed), detail: `account details not available (${describeReply(timed.reply)})` };
  }
  const account = accountEvidence(timed.reply.kind === 'answer' ? timed.reply.result : undefined);
  if (!account) return { status: 'warn', ...fromReply(timed), detail: 'the account answer did not name this key’s account' };
  const base = { ...fromReply(timed), account };
  const fail = (failure: Failure, why: string): Draft => ({ ...base, status: 'fail', failure, detail: `${why} (${describeAccount(account)})` });
  if (account.terminated) return fail('ACCOUNT_TERMINATED', 'the account is terminated');
  if (account.suspended) return fail('ACCOUNT_SUSPENDED', 'the account is suspended');
  if (account.enabled === false) return fail('ACCOUNT_DISABLED', 'the account is disabled');
  if (expect.expectTrade && account.tradable === false) return fail('ACCOUNT_NOT_TRADABLE', 'the account is not tradable');
  if (expect.expectMaster === true && account.hierarchy === 'SUB_ACCOUNT') return fail('SUB_ACCOUNT_KEY', 'a sub-account key, declared as a master-account key');
  if (expect.expectDerivatives === true && account.derivativesAccess === false) return fail('DERIVATIVES_ACCESS_MISSING', 'no derivatives access, which this key is declared to need');
  return { ...base, status: 'pass', detail: describeAccount(account) };
}

/** A withdraw probe's outcome, kept between probes (the Lambda probes at most once a day per key). */
export interface WithdrawVerdict {
  /** When it was probed (epoch ms). */
  readonly at: number;
  /** true can withdraw, false cannot, null the answer proved nothing. */
  readonly allowed: boolean | null;
}

export function withdrawVerdictOf(timed: TimedReply, at: number): WithdrawVerdict {
  const meaning = classifyReply(timed.reply);
  // The refusal code for a key without the Withdrawal setting is not documented; an auth-class
  // refusal after a good read is what the sandbox plays and what such scopes answer elsewhere.
  const coded = timed.reply.kind === 'answer' && timed.reply.code !== null;
  return { at, allowed: meaning === 'OK' ? true : meaning === 'AUTH_FAILED' && coded ? false : null };
}

const ago = (ms: number) => (ms < 3_600_000 ? `${Math.max(1, Math.round(ms / 60_000))} min` : `${Math.round(ms / 3_600_000)} h`);

/** The withdraw check from a verdict: seen now (timed) or carried over from the last daily probe. */
export function interpretWithdraw(verdict: WithdrawVerdict, expectWithdraw: boolean, now: number, timed: TimedReply | null): Draft {
  const base = timed ? fromReply(timed) : NOT_TIMED;
  const when = timed ? '' : ` (probed ${ago(now - verdict.at)} ago; re-probed once a day)`;
  const seen = timed ? ` (probe: ${describeReply(timed.reply)})` : '';
  if (verdict.allowed === null) {
    return { ...base, status: 'warn', withdrawAllowed: null, detail: `withdraw permission not determined: the probe’s answer proves nothing either way${seen}${when}` };
  }
  if (verdict.allowed && !expectWithdraw) {
    return { ...base, status: 'fail', failure: 'WITHDRAW_PERMISSION_UNEXPECTED', withdrawAllowed: true, detail: `the key can withdraw funds${seen}${when}` };
  }
  if (!verdict.allowed && expectWithdraw) {
    return { ...base, status: 'warn', withdrawAllowed: false, detail: `the key cannot withdraw, though declared to${seen}${when}` };
  }
  return { ...base, status: 'pass', withdrawAllowed: verdict.allowed, detail: `${verdict.allowed ? 'can withdraw, as declared' : 'cannot withdraw'}${seen}${when}` };
}

