import type { TimedReply } from '../exchange/client.js';
import { describeReply } from '../exchange/reply.js';
import { classifyReply, isFailure, isTransient } from './diagnosis.js';
import { isJsonObject } from '../contract/json.js';
import { fromReply, NOT_TIMED, skipped, type Draft } from './check-draft.js';
import type { AccountEvidence, Diagnosis, Failure, WithdrawProbeOutcome } from './types.js';

/**
 * The audit beyond Trade: the account behind a key (private/get-accounts) and whether the key can
 * withdraw (private/get-deposit-address, a read that moves nothing but needs the Withdrawal
 * setting). Pure: replies in, check drafts out.
 */
/** Flags come as JSON booleans, sometimes as strings. */
const flag = (v: unknown): boolean | null => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : null);

/** Diagnoses an account-level reply code can mean (202 suspended, 140001 API disabled…). */
const ACCOUNT_LEVEL: ReadonlySet<Failure> = new Set([
  'API_DISABLED',
  'ACCOUNT_SUSPENDED',
  'ACCOUNT_DISABLED',
  'DERIVATIVES_ACCESS_MISSING',
  'ACCOUNT_TERMINATED',
]);

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
  if (!entry)
    return hierarchy ? { hierarchy, enabled: null, tradable: null, suspended: null, terminated: null, derivativesAccess: null, marginAccess: null } : null;
  return {
    // Which entry carries this key's uuid tells master from sub-account (answers from before
    // `hierarchy` existed); an answer that names no account of its own tells neither.
    hierarchy: hierarchy ?? (uuid === null ? null : entry === master ? 'MASTER' : 'SUB_ACCOUNT'),
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

/** What the key's expectations ask the account answer to prove, in words ("derivatives access"). */
function expectedFacts(expect: AccountExpectations): string[] {
  return [
    ...(expect.expectMaster === true ? ['that the key belongs to the master account'] : []),
    ...(expect.expectDerivatives === true ? ['derivatives access'] : []),
  ];
}

/**
 * An account answer that proves nothing. With --expect-master or --expect-derivatives the key's
 * declared needs cannot be confirmed, so the check fails with the reply's own class (an outage stays
 * an outage; anything else is an unexpected answer); without them it is a warning that proved nothing.
 */
function unverifiable(timed: TimedReply, meaning: Diagnosis, why: string, expect: AccountExpectations): Draft {
  const facts = expectedFacts(expect);
  if (facts.length === 0) return { status: 'warn', inconclusive: true, ...fromReply(timed), detail: `account details not available (${why})` };
  const failure: Failure = isFailure(meaning) && isTransient(meaning) ? meaning : 'UNEXPECTED_RESPONSE';
  return { status: 'fail', failure, ...fromReply(timed), detail: `could not verify ${facts.join(' or ')}: ${why}` };
}

export function interpretAccount(timed: TimedReply, readPassed: boolean, expect: AccountExpectations): Draft {
  if (!readPassed) return { ...skipped('not conclusive: the signed read did not pass'), ...fromReply(timed), code: null, httpStatus: null };
  const meaning = classifyReply(timed.reply);
  if (meaning !== 'OK') {
    // An account-level code is a verdict; anything else here only means the details are not available.
    if (ACCOUNT_LEVEL.has(meaning as Failure)) return { status: 'fail', failure: meaning as Failure, ...fromReply(timed), detail: describeReply(timed.reply) };
    return unverifiable(timed, meaning, describeReply(timed.reply), expect);
  }
  const account = accountEvidence(timed.reply.kind === 'answer' ? timed.reply.result : undefined);
  if (!account) return unverifiable(timed, 'UNEXPECTED_RESPONSE', 'the account answer did not name this key’s account', expect);
  const base = { ...fromReply(timed), account };
  const fail = (failure: Failure, why: string): Draft => ({ ...base, status: 'fail', failure, detail: `${why} (${describeAccount(account)})` });
  if (account.terminated) return fail('ACCOUNT_TERMINATED', 'the account is terminated');
  if (account.suspended) return fail('ACCOUNT_SUSPENDED', 'the account is suspended');
  if (account.enabled === false) return fail('ACCOUNT_DISABLED', 'the account is disabled');
  if (expect.expectTrade && account.tradable === false) return fail('ACCOUNT_NOT_TRADABLE', 'the account is not tradable');
  if (expect.expectMaster === true && account.hierarchy === 'SUB_ACCOUNT')
    return fail('SUB_ACCOUNT_KEY', 'a sub-account key, declared as a master-account key');
  if (expect.expectDerivatives === true && account.derivativesAccess === false)
    return fail('DERIVATIVES_ACCESS_MISSING', 'no derivatives access, which this key is declared to need');
  // A flag the answer left out is not a "no": the state it would show is unknown, so the check
  // proves nothing about it (an open account incident stays open, a declared need is not confirmed).
  const missing = [
    ...(expect.expectMaster === true && account.hierarchy === null ? ['hierarchy'] : []),
    ...(expect.expectDerivatives === true && account.derivativesAccess === null ? ['derivatives_access'] : []),
  ];
  if (missing.length > 0)
    return {
      ...unverifiable(timed, 'UNEXPECTED_RESPONSE', `the account answer has no ${missing.join(' or ')} (${describeAccount(account)})`, expect),
      account,
    };
  const unknown = [
    ...(account.terminated === null ? ['terminated'] : []),
    ...(account.suspended === null ? ['suspended'] : []),
    ...(account.enabled === null ? ['enabled'] : []),
    ...(expect.expectTrade && account.tradable === null ? ['tradable'] : []),
  ];
  if (unknown.length > 0)
    return {
      ...base,
      status: 'warn',
      inconclusive: true,
      detail: `account details incomplete: the answer has no ${unknown.join(', ')} (${describeAccount(account)})`,
    };
  return { ...base, status: 'pass', detail: describeAccount(account) };
}

/** A withdraw probe's definite outcome, kept between probes (the Lambda probes at most once a day per key). */
export interface WithdrawVerdict {
  /** When it was probed (epoch ms). */
  readonly at: number;
  /** true can withdraw, false cannot. */
  readonly allowed: boolean;
}

/**
 * The refusal that means "this key has no Withdrawal setting". The exchange does not document it;
 * 40101 after a good read is the one code with evidence (the scope refusal keys without Trade get on
 * trade calls, inferred for the Withdrawal scope). Other auth-class codes (40103, 40104, 10002…)
 * could mean the IP, the account tier or something in between, so they prove nothing.
 */
export const WITHDRAW_REFUSAL_CODE = 40101;

export function withdrawVerdictOf(timed: TimedReply, at: number): WithdrawProbeOutcome {
  const meaning = classifyReply(timed.reply);
  const refused = timed.reply.kind === 'answer' && timed.reply.code === WITHDRAW_REFUSAL_CODE;
  return { at, allowed: meaning === 'OK' ? true : refused ? false : null, seen: describeReply(timed.reply) };
}

/** How long ago a probe was, in words. */
export const probedAgo = (ms: number) => (ms < 3_600_000 ? `${Math.max(1, Math.round(ms / 60_000))} min` : `${Math.round(ms / 3_600_000)} h`);

/** When a probe was, as a UTC minute; a stored time that is no date (out of Date's range) is said as such, never thrown. */
function probedAt(at: number): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? 'at a time that is not a date' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The withdraw check from a verdict: seen now (timed) or carried over from the last definite probe.
 * `recheck`: why the latest probe proved nothing; the verdict shown is then the last definite one,
 * said as such (a key that could withdraw stays failing; anything else is a warning that proved nothing).
 */
export function interpretWithdraw(
  verdict: { readonly at: number; readonly allowed: boolean | null },
  expectWithdraw: boolean,
  now: number,
  timed: TimedReply | null,
  recheck: string | null = null,
): Draft {
  const base = timed ? fromReply(timed) : NOT_TIMED;
  if (recheck !== null && verdict.allowed !== null) {
    const last = `the last definite probe, ${probedAgo(now - verdict.at)} ago`;
    if (verdict.allowed && !expectWithdraw) {
      return {
        ...base,
        status: 'fail',
        failure: 'WITHDRAW_PERMISSION_UNEXPECTED',
        withdrawAllowed: true,
        detail: `the key can withdraw funds (${last}); could not re-check: ${recheck}`,
      };
    }
    const was = verdict.allowed ? 'could withdraw, as declared,' : expectWithdraw ? 'could not withdraw, though declared to,' : 'could not withdraw';
    return { ...base, status: 'warn', inconclusive: true, withdrawAllowed: verdict.allowed, detail: `${was} at ${last}; could not re-check: ${recheck}` };
  }
  // When, not how long ago: the text stays the same from run to run until the next probe.
  const when = timed ? '' : ` (probed ${probedAt(verdict.at)}; re-probed once a day)`;
  const seen = timed ? ` (probe: ${describeReply(timed.reply)})` : '';
  if (verdict.allowed === null) {
    return {
      ...base,
      status: 'warn',
      inconclusive: true,
      withdrawAllowed: null,
      detail: `withdraw permission not determined: ${recheck ?? `the probe’s answer proves nothing either way${seen}${when}`}`,
    };
  }
  if (verdict.allowed && !expectWithdraw) {
    return { ...base, status: 'fail', failure: 'WITHDRAW_PERMISSION_UNEXPECTED', withdrawAllowed: true, detail: `the key can withdraw funds${seen}${when}` };
  }
  if (!verdict.allowed && expectWithdraw) {
    return { ...base, status: 'warn', withdrawAllowed: false, detail: `the key cannot withdraw, though declared to${seen}${when}` };
  }
  return {
    ...base,
    status: 'pass',
    withdrawAllowed: verdict.allowed,
    detail: `${verdict.allowed ? 'can withdraw, as declared' : 'cannot withdraw'}${seen}${when}`,
  };
}
