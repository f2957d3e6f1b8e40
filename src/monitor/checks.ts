import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { describeReply, type ExchangeReply } from '../exchange/reply.js';
import type { TimedReply } from '../exchange/client.js';
import { PROBE_OID_PREFIX, WITHDRAW_PROBE_METHOD } from '../exchange/probe-guard.js';
import { interpretAccount, interpretWithdraw, withdrawVerdictOf } from './account-checks.js';
import { keyPrefix, type CredentialsVerdict } from './credentials.js';
import { cachedSecretRedactor, clip } from '../exchange/text-safety.js';
import { classifyReply, diagnose, isFailure } from './diagnosis.js';
import type { ExchangePort } from './ports.js';
import type { BalanceEvidence, CheckSite, Credentials, Failure, Report, WithdrawProbeOutcome } from './types.js';
import { isJsonObject } from '../contract/json.js';
import { finish, fromReply, NOT_TIMED, skipped, type Draft } from './check-draft.js';
import { unansweredText, type WithdrawPlan } from './withdraw-schedule.js';
import { EVERY_PROBE, type CarriedCheck, type ProbePlans } from './cadence.js';
import { balanceSummaryOf, usableSummary } from './balance-summary.js';
import { usdFormat } from './number-format.js';
import { EXPOSURE_UNREAD_MAX, exposureCurrent, inUseOf, nothingOpen, ordersOf, positionsOf, type ExposureSnapshot, type OrderLine } from './exposure.js';
import { foreignOrdersOf } from './security-findings.js';
import { DIAGNOSIS_TABLE } from './diagnosis-table.js';
import {
  historyParams,
  quantityDropped,
  readHistory,
  WITHDRAWAL_HISTORY_METHOD,
  type WithdrawalAllowance,
  type WithdrawalLook,
  type WithdrawalPlan,
} from './withdrawal-watch.js';

export interface CheckInput {
  readonly credentials: CredentialsVerdict;
  /** true: the key must be able to trade; false: it must be read-only. */
  readonly expectTrade: boolean;
  /** Addresses the key is whitelisted for; empty = do not compare. */
  readonly expectedIps: readonly string[];
  /** null = skip the egress check. */
  readonly ipEchoUrl: string | null;
  readonly exchange: ExchangePort;
  readonly site: CheckSite;
  /** false (default): a key that can withdraw is WITHDRAW_PERMISSION_UNEXPECTED. */
  readonly expectWithdraw?: boolean | undefined;
  /** true: the account must have derivatives access; unset: not checked. */
  readonly expectDerivatives?: boolean | undefined;
  /** true: the key must belong to the master account; unset: not checked. */
  readonly expectMaster?: boolean | undefined;
  /**
   * Probe withdraw permission now, or carry the last definite verdict forward (the scheduled check
   * probes at most once a day per key: the probe may create a deposit address). Default: now, with
   * no earlier verdict to fall back on.
   */
  readonly withdrawProbe?: WithdrawPlan;
  /** The trade probe and the account read: sent now (default), or their last conclusive pass shown. */
  readonly probes?: ProbePlans;
  readonly now?: () => number;
  /** More secrets than the key's own that must not appear in any result (a proxy token). */
  readonly sensitive?: readonly string[];
  /**
   * What is open on the account (exposure.ts): read after a good balance read when the balance shows
   * something in use, unless `last` still stands for it and is younger than `maxAgeMs`. Default: read.
   */
  readonly exposure?: { readonly last?: ExposureSnapshot | undefined; readonly maxAgeMs: number };
  /** The withdrawal watch: when to read the account's withdrawal history, and what may leave it. Absent: not watched. */
  readonly withdrawals?: { readonly plan: WithdrawalPlan; readonly allowance: WithdrawalAllowance } | undefined;
  /** Open orders whose client_oid lacks it are kept apart in the exposure snapshot (orders the bot did not place). */
  readonly botClientOidPrefix?: string | null | undefined;
}

/** Where and against what a key is checked: everything but the key itself. */
export type CheckTarget = Pick<CheckInput, 'expectedIps' | 'ipEchoUrl' | 'exchange' | 'site' | 'sensitive'>;

/** The currency the withdraw probe asks a deposit address for (every account has BTC). */
export const WITHDRAW_PROBE_CURRENCY = 'BTC';

/** Past this the exchange is close to rejecting nonces. */
export const SKEW_WARN_MS = 30_000;
/** The exchange's hard limit: a nonce further than this from its clock is rejected. */
export const NONCE_LIMIT_MS = 60_000;
export const TICKER_INSTRUMENT = 'BTC_USD';

/** A failed exchange call as a check result. */
function failed(timed: TimedReply, failure: Failure, why?: string): Draft {
  const seen = describeReply(timed.reply);
  return { status: 'fail', failure, detail: why ? `${why} (${seen})` : seen, ...fromReply(timed) };
}

export function credentialsCheck(verdict: CredentialsVerdict): Draft {
  if (!verdict.ok) {
    return {
      status: 'fail',
      failure: verdict.failure,
      ...NOT_TIMED,
      detail: verdict.detail,
      ...('secretFault' in verdict ? { secretFault: verdict.secretFault } : {}),
    };
  }
  return { status: 'pass', ...NOT_TIMED, detail: `key ${keyPrefix(verdict.credentials.apiKey)}…, secret set` };
}

/**
 * The IP echo and the ticker are asked once per run (check-run.ts sharedPerRun): every key gets the
 * same answer object, so each is judged once per answer and the draft shared (drafts are never
 * changed once made). No key's credentials go with these calls, so their answers cannot quote them:
 * the shared draft is masked once, for the run's own secrets (a proxy token a proxy's page could
 * echo), not again with each key's redactor (its detail, a clock skew, changes every run: a thousand
 * redactions a run that could find nothing).
 */
const egressDrafts = new WeakMap<object, { readonly input: SharedInput; readonly draft: Draft }>();
const publicDrafts = new WeakMap<TimedReply, { readonly input: SharedInput; readonly draft: Draft }>();
type SharedInput = Pick<CheckInput, 'expectedIps' | 'sensitive'>;
const sameShared = (a: SharedInput, b: SharedInput) => a.expectedIps === b.expectedIps && a.sensitive === b.sensitive;
/** The checks whose drafts are shared by every key of a run, masked when made. */
const SHARED_CHECKS: ReadonlySet<string> = new Set(['egress-ip', 'public-api']);

function sharedDraft<K extends object>(
  cache: WeakMap<K, { readonly input: SharedInput; readonly draft: Draft }>,
  answer: K,
  input: SharedInput,
  make: () => Draft,
): Draft {
  const known = cache.get(answer);
  if (known && sameShared(known.input, input)) return known.draft;
  const made = make();
  const draft = { ...made, detail: cachedSecretRedactor({ secrets: input.sensitive ?? [] })(made.detail) };
  cache.set(answer, { input: { expectedIps: input.expectedIps, sensitive: input.sensitive }, draft });
  return draft;
}

async function egressCheck(input: CheckInput): Promise<Draft> {
  if (!input.ipEchoUrl) return skipped('no IP echo URL configured');
  const answer = await input.exchange.getText(input.ipEchoUrl);
  return sharedDraft(egressDrafts, answer, input, () => egressDraft(answer, input.expectedIps));
}

function egressDraft({ text, timed }: { text: string | null; timed: TimedReply }, expectedIps: readonly string[]): Draft {
  const ip = text?.trim() ?? '';
  const base = { ...fromReply(timed), code: null };
  if (!isIP(ip)) {
    // Not knowing our IP says nothing against the key, but where an IP is whitelisted it leaves the
    // route unverified: never a pass, and never proof that an egress mismatch is gone.
    const why = text === null ? describeReply(timed.reply) : 'the answer was not an IP address';
    if (expectedIps.length > 0) return { ...base, status: 'fail', failure: 'EGRESS_NOT_VERIFIED', detail: `could not verify the egress IP: ${why}` };
    return { ...base, status: 'warn', inconclusive: true, detail: `could not determine the egress IP: ${why}` };
  }
  if (expectedIps.length > 0 && !expectedIps.includes(ip)) {
    return { ...base, status: 'fail', failure: 'EGRESS_IP_MISMATCH', egressIp: ip, detail: `${ip}, expected ${expectedIps.join(' or ')}` };
  }
  const note = expectedIps.length > 0 ? ' (the whitelisted IP)' : '';
  return { ...base, status: 'pass', egressIp: ip, detail: `${ip}${note}` };
}

function numberish(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/**
 * Server time from the ticker's `t` and the Date header. Both can only lag the server's clock (a
 * ticker is published before we read it; Date is truncated to the second), so take the later.
 */
export function estimateSkewMs(reply: ExchangeReply, localMidpointMs: number): number | null {
  if (reply.kind !== 'answer') return null;
  const data = isJsonObject(reply.result) ? reply.result['data'] : undefined;
  const first = Array.isArray(data) && isJsonObject(data[0]) ? data[0] : undefined;
  const tickerTime = numberish(first?.['t']);
  const dateTime = reply.dateHeader ? Date.parse(reply.dateHeader) : NaN;
  const candidates = [tickerTime, Number.isFinite(dateTime) ? dateTime : null].filter((t): t is number => t !== null);
  if (candidates.length === 0) return null;
  return Math.max(...candidates) - localMidpointMs;
}

/** Clock skew as shown everywhere: signed, one decimal, and a skew that rounds to zero is +0.0 (never −0.0). */
export function formatSkew(ms: number): string {
  const shown = (Math.abs(ms) / 1000).toFixed(1);
  return `${ms >= 0 || Number(shown) === 0 ? '+' : '−'}${shown} s`;
}

async function publicApiCheck(input: CheckInput): Promise<Draft> {
  const timed = await input.exchange.publicGet('public/get-tickers', { instrument_name: TICKER_INSTRUMENT });
  return sharedDraft(publicDrafts, timed, input, () => publicApiDraft(timed));
}

function publicApiDraft(timed: TimedReply): Draft {
  const meaning = classifyReply(timed.reply);
  if (isFailure(meaning)) return failed(timed, meaning);
  const result = timed.reply.kind === 'answer' ? timed.reply.result : undefined;
  if (!isJsonObject(result) || !Array.isArray(result['data'])) return failed(timed, 'UNEXPECTED_RESPONSE', 'the ticker answer carries no data list');
  const skew = estimateSkewMs(timed.reply, timed.midpointMs);
  const base = { ...fromReply(timed), ...(skew === null ? {} : { clockSkewMs: skew }) };
  if (skew === null) return { ...base, status: 'pass', detail: `${TICKER_INSTRUMENT} ticker answered; clock skew unknown` };
  if (Math.abs(skew) > NONCE_LIMIT_MS) {
    return { ...base, status: 'warn', detail: `clock skew ${formatSkew(skew)}: over the exchange’s 60 s nonce limit, signed requests are rejected; sync NTP` };
  }
  if (Math.abs(skew) > SKEW_WARN_MS) {
    return { ...base, status: 'warn', detail: `clock skew ${formatSkew(skew)}: near the exchange’s 60 s nonce limit, sync NTP` };
  }
  return { ...base, status: 'pass', detail: `${TICKER_INSTRUMENT} ticker answered; clock skew ${formatSkew(skew)}` };
}

/** Portfolio evidence from private/user-balance, or why the answer is not a balance list. */
export function balanceEvidence(result: unknown): { readonly evidence: BalanceEvidence } | { readonly problem: string } {
  if (!isJsonObject(result) || !Array.isArray(result['data'])) return { problem: 'the balance answer carries no data list' };
  // Counted in one pass, without a list of the positions: every key's balance, every run.
  let count = 0;
  let valued = 0;
  let total = 0;
  let notObject = false;
  for (const account of result['data'] as unknown[]) {
    if (!isJsonObject(account)) return { problem: 'the balance list holds an entry that is not an account object' };
    const balances = account['position_balances'];
    if (balances === undefined) continue;
    if (!Array.isArray(balances)) return { problem: 'position_balances is not a list' };
    for (const p of balances as unknown[]) {
      count++;
      if (!isJsonObject(p)) {
        notObject = true;
        continue;
      }
      const value = numberish(p['market_value']) ?? 0;
      if (value !== 0) valued++;
      total += value;
    }
  }
  if (notObject) return { problem: 'the balance list holds an entry that is not a balance object' };
  const summary = balanceSummaryOf(result['data'] as Record<string, unknown>[]);
  return {
    evidence: {
      count,
      valued,
      totalMarketValue: Math.round(total * 100) / 100,
      inUse: inUseOf(result['data'] as Record<string, unknown>[]),
      // Without a usable summary the money watch keeps the last one (balanceAfter) and compares nothing this run.
      ...(usableSummary(summary) ? { summary } : {}),
    },
  };
}

/**
 * A total already rounded to cents, as en-US with two decimals ("1,234.50"). Intl's format costs a few
 * microseconds a call, a thousand calls a run; toFixed(2) of a value rounded to cents is exact.
 */
export function money(n: number): string {
  if (!Number.isFinite(n) || Math.abs(n) >= 1e15) return usdFormat().format(n);
  const fixed = Math.abs(n).toFixed(2);
  let whole = fixed.slice(0, -3);
  for (let i = whole.length - 3; i > 0; i -= 3) whole = `${whole.slice(0, i)},${whole.slice(i)}`;
  return `${n < 0 && fixed !== '0.00' ? '-' : ''}${whole}${fixed.slice(-3)}`;
}

async function signedReadCheck(input: CheckInput, creds: Credentials): Promise<Draft> {
  const timed = await input.exchange.privatePost('private/user-balance', {}, creds);
  const meaning = classifyReply(timed.reply);
  if (isFailure(meaning)) return failed(timed, meaning);
  const seen = balanceEvidence(timed.reply.kind === 'answer' ? timed.reply.result : undefined);
  if ('problem' in seen) return failed(timed, 'UNEXPECTED_RESPONSE', seen.problem);
  const balances = seen.evidence;
  return {
    status: 'pass',
    ...fromReply(timed),
    balances,
    detail: `authenticated; ${balances.count} balances, ${balances.valued} with a market value, total ${money(balances.totalMarketValue)} USD`,
  };
}

/**
 * Answers the exchange gives only after it has looked the order up, which it does only once the key's
 * scope allowed the call: 212 INVALID_ORDERID, 316 NO_ACTIVE_ORDER, 40401 NOT_FOUND.
 */
const ORDER_LOOKUP_CODES: ReadonlySet<number> = new Set([212, 316, 40401]);

/**
 * The trade-permission probe: cancel an order that cannot exist (random client_oid). The exchange
 * checks the key's scope before looking the order up, so 40101 here after a good read means "no
 * Trade", and an answer from the order lookup (0 with HTTP 200, 212, 316, 40401 — whatever the HTTP
 * status) means allowed.
 */
async function tradeProbe(input: CheckInput, creds: Credentials): Promise<TimedReply> {
  // client_oid is limited to 36 characters: an invalid one could be rejected before the scope check.
  const clientOid = PROBE_OID_PREFIX + randomUUID().replaceAll('-', '');
  return input.exchange.privatePost('private/cancel-order', { client_oid: clientOid }, creds);
}

export function interpretTradeProbe(timed: TimedReply, read: Draft, expectTrade: boolean): Draft {
  if (read.status !== 'pass') return { ...skipped('not conclusive: the signed read did not pass'), ...fromReply(timed), code: null, httpStatus: null };
  const meaning = classifyReply(timed.reply);
  const seen = describeReply(timed.reply);
  // Only an exchange reason code is evidence either way: 40101 = no Trade; 0 (with HTTP 200) or an
  // answer only the order lookup gives (ORDER_LOOKUP_CODES) = the scope check passed. Anything else
  // (no code, code 0 on an error status, 40103, 429, 10001 SYS_ERROR, 40004 or any code without a
  // documented place after the scope check) proves nothing about Trade.
  const coded = timed.reply.kind === 'answer' && timed.reply.code !== null;
  const scopePassed = meaning === 'OK' || (timed.reply.kind === 'answer' && timed.reply.code !== null && ORDER_LOOKUP_CODES.has(timed.reply.code));
  // A refusal counts only as the exchange's own reason code (40101): an HTML 401 page, plain text or
  // a codeless JSON 401 from something in between proves nothing about the key's Trade scope.
  const scopeRefused = meaning === 'AUTH_FAILED' && coded;
  if (!scopeRefused && !scopePassed) {
    const why = meaning === 'UNEXPECTED_RESPONSE' || meaning === 'AUTH_FAILED' ? 'the trade probe’s answer proves nothing' : undefined;
    return failed(timed, meaning === 'AUTH_FAILED' ? 'UNEXPECTED_RESPONSE' : meaning, why);
  }
  const tradeAllowed = scopePassed;
  const base = { ...fromReply(timed), tradeAllowed };
  if (tradeAllowed === expectTrade) {
    return {
      ...base,
      status: 'pass',
      detail: tradeAllowed ? `Trade enabled (probe: ${seen})` : `Trade disabled, as expected for a read-only key (probe: ${seen})`,
    };
  }
  return {
    ...base,
    status: 'fail',
    failure: expectTrade ? 'TRADE_PERMISSION_MISSING' : 'TRADE_PERMISSION_UNEXPECTED',
    detail: expectTrade ? `refused on a trade-scoped call (probe: ${seen})` : `a read-only key was allowed a trade-scoped call (probe: ${seen})`,
  };
}

/**
 * After a good read, on a key not known to be a sub-account's: probe now, or carry the last definite
 * verdict. The probe waits for the read and the account on purpose (one more round trip, once a day
 * per key in the Lambda): sent alongside, it would also go out for broken and sub-account keys, whose
 * answers prove nothing, on every run. A probe whose answer proves nothing shows the last definite
 * verdict, if there is one, with "could not re-check".
 */
async function withdrawCheck(input: CheckInput, creds: Credentials, read: Draft, account: Draft): Promise<{ draft: Draft; probe?: WithdrawProbeOutcome }> {
  if (read.status !== 'pass') return { draft: skipped('not conclusive: the signed read did not pass') };
  if (account.account?.hierarchy === 'SUB_ACCOUNT')
    return { draft: skipped('sub-account key: withdrawals happen from the master account, so the probe is skipped') };
  const now = input.now ?? Date.now;
  const expect = input.expectWithdraw ?? false;
  const plan: WithdrawPlan = input.withdrawProbe ?? { kind: 'now' };
  if (plan.kind === 'off') return { draft: skipped('withdraw probe turned off') };
  if (plan.kind === 'carry') {
    const why = plan.unanswered ? unansweredText(plan.unanswered, now()) : null;
    if (plan.last) return { draft: interpretWithdraw(plan.last, expect, now(), null, why) };
    if (why) return { draft: interpretWithdraw({ at: now(), allowed: null }, expect, now(), null, why) };
    return { draft: skipped('not probed yet (probed at most once a day)') };
  }
  const timed = await input.exchange.privatePost(WITHDRAW_PROBE_METHOD, { currency: WITHDRAW_PROBE_CURRENCY }, creds);
  const probe = withdrawVerdictOf(timed, now());
  const draft =
    probe.allowed === null && plan.last
      ? interpretWithdraw(plan.last, expect, now(), timed, `probe: ${probe.seen}; probed again on the next run`)
      : interpretWithdraw(probe, expect, now(), timed);
  return { draft, probe };
}

/**
 * A probe not sent this run: its last conclusive pass, said as such. Only after a good read (the key
 * still authenticates from here); it never counts as proof that an incident's cause is gone.
 */
function carried(last: CarriedCheck, read: Draft, evidence: Pick<Draft, 'tradeAllowed' | 'account'>): Draft {
  if (read.status !== 'pass') return skipped('not conclusive: the signed read did not pass');
  const at = new Date(last.at);
  // A stored time out of Date's range is said as such (it is carried only until the key's next slot).
  const hhmm = Number.isNaN(at.getTime())
    ? 'a time that is not a date,'
    : `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;
  return {
    status: 'pass',
    ...NOT_TIMED,
    ...(evidence.tradeAllowed !== undefined ? { tradeAllowed: evidence.tradeAllowed } : {}),
    ...(evidence.account !== undefined ? { account: evidence.account } : {}),
    carriedFrom: last.at,
    detail: `${last.detail}; as of ${hhmm} UTC (re-sent at the key’s slot while it is healthy)`,
  };
}

/** Why an exposure read proves nothing, or null when it answered with a list. */
function unreadWhy(what: string, timed: TimedReply, parsed: unknown): string | null {
  if (parsed !== null && !isFailure(classifyReply(timed.reply))) return null;
  return `${what}: ${describeReply(timed.reply)}`;
}

/**
 * After a good balance read: what is open on the account. Nothing in use needs no call; a snapshot
 * that still matches what is in use is kept; otherwise open orders (and positions, when margin is
 * held for them) are read. A read that is refused or does not answer leaves the snapshot marked
 * incomplete; it never fails the key (the read's scope is not what the bot needs).
 */
async function exposureRead(input: CheckInput, creds: Credentials, read: Draft, redact: (text: string) => string): Promise<ExposureSnapshot | undefined> {
  const inUse = read.status === 'pass' ? read.balances?.inUse : undefined;
  if (!inUse) return undefined;
  const now = (input.now ?? Date.now)();
  if (!inUse.orders && !inUse.positions) return nothingOpen(now);
  const plan = input.exposure ?? { maxAgeMs: 0 };
  if (plan.last && exposureCurrent(plan.last, inUse, now, plan.maxAgeMs)) return plan.last;
  const [ordersReply, positionsReply] = await Promise.all([
    inUse.orders ? input.exchange.privatePost('private/get-open-orders', {}, creds) : Promise.resolve(null),
    inUse.positions ? input.exchange.privatePost('private/get-positions', {}, creds) : Promise.resolve(null),
  ]);
  const result = (t: TimedReply | null) => (t && t.reply.kind === 'answer' ? t.reply.result : undefined);
  const orders = ordersReply ? ordersOf(result(ordersReply)) : null;
  const positions = positionsReply ? positionsOf(result(positionsReply)) : null;
  const unread = [
    ordersReply ? unreadWhy('open orders', ordersReply, orders) : null,
    positionsReply ? unreadWhy('positions', positionsReply, positions) : null,
  ].filter((w): w is string => w !== null);
  const empty = nothingOpen(now);
  const clean = <T extends { instrument: string }>(line: T): T => ({ ...line, instrument: redact(line.instrument) });
  const cleanOrder = (o: OrderLine): OrderLine => ({ ...clean(o), clientOid: o.clientOid === null ? null : redact(o.clientOid) });
  const prefix = input.botClientOidPrefix ?? null;
  const foreign = orders && ordersReply && prefix !== null ? foreignOrdersOf(result(ordersReply), prefix) : null;
  return {
    at: now,
    sig: inUse.sig,
    orders: orders ? { ...orders, top: orders.top.map(cleanOrder) } : empty.orders,
    ...(foreign ? { foreign: { ...foreign, top: foreign.top.map(cleanOrder) } } : {}),
    positions: positions ? { ...positions, top: positions.top.map(clean) } : null,
    ...(unread.length > 0 ? { unread: clip(redact(unread.join('; ')), EXPOSURE_UNREAD_MAX) } : {}),
  };
}

const SUB_ACCOUNT_SKIP = 'sub-account key: withdrawals happen from the master account, so its withdrawal history is not read';

/**
 * After a good read: the account's withdrawal history since the cursor, when the plan says so. A
 * refusal is kept as such (the watch could not look: never "no withdrawals"); an answer that proves
 * nothing leaves the cursor where it was, so the next look covers the same time again.
 */
async function withdrawalLook(
  input: CheckInput,
  creds: Credentials,
  read: Draft,
  account: Draft,
  redact: (text: string) => string,
): Promise<WithdrawalLook | undefined> {
  const watch = input.withdrawals;
  if (!watch || watch.plan.kind === 'off') return undefined;
  const now = (input.now ?? Date.now)();
  const plan = watch.plan;
  const cursor = plan.kind === 'start' ? null : plan.cursor;
  if (read.status !== 'pass') return { kind: 'not-read', why: 'the signed read did not pass', cursor };
  if (account.account?.hierarchy === 'SUB_ACCOUNT')
    return { kind: 'not-read', why: SUB_ACCOUNT_SKIP, cursor: { since: cursor?.since ?? now, ids: cursor?.ids ?? [], skipped: SUB_ACCOUNT_SKIP } };
  if (plan.kind === 'start') return { kind: 'read', found: [], cursor: { since: now, ids: [] } };
  const summary = read.balances?.summary;
  if (plan.kind === 'if-dropped' && summary && !quantityDropped(plan.last, summary))
    return { kind: 'not-read', why: 'not due: no balance fell since the last run', cursor: plan.cursor };
  const timed = await input.exchange.privatePost(WITHDRAWAL_HISTORY_METHOD, historyParams(plan.cursor, now), creds);
  const seen = redact(describeReply(timed.reply));
  const { skipped: _s, refusedAt: _r, ...kept } = plan.cursor;
  if (timed.reply.kind === 'answer' && timed.reply.code === 0) {
    const history = readHistory(timed.reply.result, kept, watch.allowance, now);
    if (history)
      return {
        kind: 'read',
        found: history.found.map((f) => ({ ...f, detail: redact(f.detail), facts: f.facts.map((x) => ({ ...x, value: redact(x.value) })) })),
        cursor: history.cursor,
      };
    return { kind: 'not-read', why: `the withdrawal history answer is not a list (${seen})`, cursor: plan.cursor };
  }
  const meaning = classifyReply(timed.reply);
  const refused = timed.reply.kind === 'answer' && timed.reply.code !== null && timed.reply.code !== 0 && !DIAGNOSIS_TABLE[meaning].transient;
  if (refused) return { kind: 'refused', seen, cursor: { ...kept, refusedAt: plan.cursor.refusedAt ?? now } };
  return { kind: 'not-read', why: `the withdrawal history did not answer (${seen})`, cursor: plan.cursor };
}

/** Run every check for one key (concurrently where they are independent) and diagnose. Never throws for exchange faults. */
export async function runChecks(input: CheckInput): Promise<Report> {
  const creds = input.credentials.ok ? input.credentials.credentials : null;
  const noCreds = skipped('no usable credentials');
  const plans = input.probes ?? EVERY_PROBE;
  const tradePlan = plans['trade-permission'];
  const accountPlan = plans.account;
  const redact = cachedSecretRedactor({ apiKey: creds?.apiKey, secrets: [creds?.apiSecret, ...(input.sensitive ?? [])] });
  const reading = creds ? signedReadCheck(input, creds) : Promise.resolve(noCreds);
  const [egress, publicApi, read, probe, accounts, exposure] = await Promise.all([
    egressCheck(input),
    publicApiCheck(input),
    reading,
    creds && tradePlan.kind === 'now' ? tradeProbe(input, creds) : Promise.resolve(null),
    creds && accountPlan.kind === 'now' ? input.exchange.privatePost('private/get-accounts', {}, creds) : Promise.resolve(null),
    creds ? reading.then((r) => exposureRead(input, creds, r, redact)) : Promise.resolve(undefined),
  ]);
  const trade = !creds
    ? noCreds
    : tradePlan.kind === 'carry'
      ? carried(tradePlan.last, read, { tradeAllowed: tradePlan.last.tradeAllowed })
      : interpretTradeProbe(probe as TimedReply, read, input.expectTrade);
  const account = !creds
    ? noCreds
    : accountPlan.kind === 'carry'
      ? carried(accountPlan.last, read, { account: accountPlan.last.account })
      : interpretAccount(accounts as TimedReply, read.status === 'pass', input);
  const [withdraw, withdrawals] = creds
    ? await Promise.all([withdrawCheck(input, creds, read, account), withdrawalLook(input, creds, read, account, redact)])
    : [{ draft: noCreds }, undefined];
  const readDetail =
    read.failure === 'NONCE_REJECTED' && publicApi.clockSkewMs !== undefined
      ? `${read.detail} (clock skew measured against the exchange: ${formatSkew(publicApi.clockSkewMs)})`
      : read.detail;
  const checks = [
    finish('credentials', credentialsCheck(input.credentials)),
    finish('egress-ip', egress),
    finish('public-api', publicApi),
    finish('signed-read', { ...read, detail: readDetail }),
    finish('account', account),
    finish('trade-permission', trade),
    finish('withdraw-permission', withdraw.draft),
  ].map((c) => {
    if (SHARED_CHECKS.has(c.name)) return c;
    const detail = redact(c.detail);
    return detail === c.detail ? c : { ...c, detail };
  });
  const report = diagnose(checks, { expectedIps: input.expectedIps, keyPrefix: creds ? keyPrefix(creds.apiKey) : null, site: input.site });
  return {
    ...report,
    ...(withdraw.probe ? { withdrawProbe: { ...withdraw.probe, seen: redact(withdraw.probe.seen) } } : {}),
    ...(exposure ? { exposure } : {}),
    ...(withdrawals ? { withdrawalWatch: withdrawals } : {}),
  };
}

/**
 * The report when there is nothing to check a key with (no credentials, a malformed or unreadable
 * secret): the verdict is already known, so no request leaves the machine.
 */
export function credentialsOnlyReport(verdict: CredentialsVerdict, site: CheckSite): Report {
  const notRun = skipped('not run: no usable credentials');
  const checks = [
    finish('credentials', credentialsCheck(verdict)),
    finish('egress-ip', notRun),
    finish('public-api', notRun),
    finish('signed-read', notRun),
    finish('account', notRun),
    finish('trade-permission', notRun),
    finish('withdraw-permission', notRun),
  ];
  return diagnose(checks, { expectedIps: [], keyPrefix: null, site });
}

/** A fault in the monitor itself (a crash, a missed deadline), reported as this key's result. */
export function monitorErrorReport(detail: string, site: CheckSite, keyPrefixShown: string | null = null): Report {
  return diagnose([finish('signed-read', { status: 'fail', failure: 'MONITOR_ERROR', ...NOT_TIMED, detail })], {
    expectedIps: [],
    keyPrefix: keyPrefixShown,
    site,
  });
}
