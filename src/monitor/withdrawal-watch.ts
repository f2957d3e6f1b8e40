/**
 * The withdrawal watch: new entries of the account's withdrawal history since the last look, as
 * findings. It is the account that is watched: a withdrawal made with another key or in the web app
 * counts. Pure: when to read (the plan), the answer's meaning, the cursor kept in the run record.
 */
import { createHash } from 'node:crypto';
import { isJsonObject } from '../contract/json.js';
import { displaySafe } from '../exchange/text-safety.js';
import { lastListing, type BalanceSummary } from './balance-summary.js';
import { num } from './exchange-number.js';
import type { SecurityFinding } from './security-findings.js';

export const WITHDRAWAL_HISTORY_METHOD = 'private/get-withdrawal-history';
/** The largest page the exchange serves; more in one look is named, not fetched. */
export const HISTORY_PAGE_SIZE = 200;

/** Where the last look ended: the newest create_time seen, and the withdrawals seen at it (the next look starts there). */
export interface WithdrawalCursor {
  readonly since: number;
  readonly ids: readonly string[];
  /** When the read was first refused (said once); absent while it answers. */
  readonly refusedAt?: number;
  /** Why the watch is skipped for this key (a sub-account key), said once. */
  readonly skipped?: string;
}

export type WithdrawalPlan =
  | { readonly kind: 'off' }
  /** First look with this key: start now, report nothing older. */
  | { readonly kind: 'start' }
  | { readonly kind: 'read'; readonly cursor: WithdrawalCursor }
  /** Read only if some asset's quantity fell since `last` (between the hourly looks). */
  | { readonly kind: 'if-dropped'; readonly cursor: WithdrawalCursor; readonly last: BalanceSummary };

/** Per key: what is expected to leave the account. */
export interface WithdrawalAllowance {
  /** The key is declared to withdraw: nothing is a finding. */
  readonly expectWithdraw: boolean;
  readonly addresses: readonly string[];
  readonly clientWidPrefix: string | null;
}

/** What the look found: the withdrawals to report, the cursor after it, or why it proved nothing. */
export type WithdrawalLook =
  | { readonly kind: 'read'; readonly found: readonly SecurityFinding[]; readonly cursor: WithdrawalCursor }
  | { readonly kind: 'refused'; readonly seen: string; readonly cursor: WithdrawalCursor }
  /** Not read this run (not due, the read did not pass, an answer that proved nothing): the cursor stays. */
  | { readonly kind: 'not-read'; readonly why: string; readonly cursor: WithdrawalCursor | null };

/** Whether some asset listed last time holds less now (the summaries' largest balances). */
export function quantityDropped(last: BalanceSummary, now: BalanceSummary): boolean {
  const complete = now.count <= now.assets.length;
  for (const a of last.assets) {
    const q = lastListing(now.assets, a.asset)?.quantity;
    if (q === undefined ? complete || a.quantity > 0 : q < a.quantity) return true;
  }
  return false;
}

/** The request's parameters: documented ones only, each a short string (the probe guard checks them again). */
export function historyParams(cursor: WithdrawalCursor, now: number): Record<string, string> {
  return { start_ts: String(Math.floor(usableCursor(cursor, now).since)), end_ts: String(Math.floor(now)), page_size: String(HISTORY_PAGE_SIZE) };
}

/** How far past the look's time a withdrawal's time is still believed (the exchange's clock may be ahead). */
const FUTURE_SLACK_MS = 86_400_000;
/** The last time a Date can show. */
const MAX_TIME_MS = 8.64e15;

/** The latest time a withdrawal (or the cursor) can have: past it, a time is not a reading of a clock. */
const latestTime = (now: number | undefined) => (now === undefined ? MAX_TIME_MS : Math.min(now + FUTURE_SLACK_MS, MAX_TIME_MS));

/**
 * The cursor a look asks from. One past any believable time (kept from an answer that claimed a
 * withdrawal in the far future) would make every later look ask for nothing, and the watch go silent
 * for good: the look starts again CURSOR_SETTLE_MS before now (what was seen since is reported again,
 * and the security slot remembers each withdrawal's identity, so once).
 */
function usableCursor(cursor: WithdrawalCursor, now: number | undefined): WithdrawalCursor {
  if (now === undefined || (cursor.since >= 0 && cursor.since <= latestTime(now))) return cursor;
  return { since: now - CURSOR_SETTLE_MS, ids: [] };
}

const STATUS: Readonly<Record<string, string>> = {
  '0': 'pending',
  '1': 'processing',
  '2': 'rejected',
  '3': 'payment in progress',
  '4': 'payment failed',
  '5': 'completed',
  '6': 'cancelled',
};

/** An address as alerts show it: the first 6 and last 4 characters (a tag after "?" is dropped). */
export function shortAddress(address: string): string {
  const bare = address.split('?')[0] ?? '';
  return bare.length <= 12 ? bare : `${bare.slice(0, 6)}…${bare.slice(-4)}`;
}

const clock = (ms: number) => {
  const at = new Date(ms);
  return Number.isNaN(at.getTime()) ? 'an unknown time' : `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

interface Withdrawal {
  readonly id: string;
  readonly clientWid: string | null;
  readonly currency: string;
  readonly amount: string;
  readonly address: string;
  readonly network: string | null;
  readonly status: string;
  /**
   * null: the answer's time could not be read, or is no believable time (before 1970, or past the
   * look's time by more than a day): the withdrawal is still reported, never dropped, and does not
   * move the cursor.
   */
  readonly createTime: number | null;
}

function withdrawalOf(w: unknown, latest: number): Withdrawal | null {
  if (!isJsonObject(w)) return null;
  const time = num(w['create_time']);
  const createTime = time !== null && time >= 0 && time <= latest ? Math.floor(time) : null;
  const id = w['id'];
  if (typeof id !== 'string' && typeof id !== 'number') return null;
  const text = (v: unknown, max: number) => (typeof v === 'string' || typeof v === 'number' ? displaySafe(String(v), max) : '');
  const status = text(w['status'], 4);
  return {
    // A long id is kept as a hash: it only has to tell withdrawals apart.
    id: String(id).length <= 40 ? displaySafe(String(id), 40) : createHash('sha256').update(String(id)).digest('hex').slice(0, 16),
    clientWid: text(w['client_wid'], 36) || null,
    currency: text(w['currency'], 12) || '?',
    amount: text(w['amount'], 30) || '?',
    address: typeof w['address'] === 'string' ? w['address'] : '',
    network: text(w['network_id'], 20) || null,
    status: STATUS[status] ?? (status ? `status ${status}` : 'status unknown'),
    createTime,
  };
}

/**
 * An address as compared with the allow-list: without its tag or memo, and a hex (0x…) address in
 * lower case, since its mixed case is only a checksum (EIP-55) a wallet may or may not show.
 */
function sameAddress(address: string): string {
  const bare = address.split('?')[0] ?? '';
  return /^0x[0-9a-fA-F]+$/.test(bare) ? bare.toLowerCase() : bare;
}

function allowed(w: Withdrawal, allowance: WithdrawalAllowance): boolean {
  if (allowance.expectWithdraw) return true;
  const bare = sameAddress(w.address);
  if (allowance.addresses.some((a) => sameAddress(a) === bare)) return true;
  return allowance.clientWidPrefix !== null && w.clientWid !== null && w.clientWid.startsWith(allowance.clientWidPrefix);
}

function finding(w: Withdrawal): SecurityFinding {
  const to = displaySafe(shortAddress(w.address), 24) || 'an unnamed address';
  const when = w.createTime === null ? 'an unknown time' : clock(w.createTime);
  return {
    diagnosis: 'WITHDRAWAL_DETECTED',
    identity: `withdrawal:${w.id}`,
    severity: 'critical',
    detail: `A withdrawal of ${w.amount} ${w.currency} to ${to} (${w.status}) at ${when}`,
    facts: [
      { label: 'Withdrawal', value: `${w.amount} ${w.currency}${w.network ? ` on ${w.network}` : ''}` },
      { label: 'To', value: to },
      { label: 'Status', value: w.status },
      { label: 'Time', value: when },
      ...(w.clientWid ? [{ label: 'client_wid', value: w.clientWid }] : []),
    ],
  };
}

/**
 * How far behind the look the cursor stays when nothing newer was seen: a withdrawal is listed as soon
 * as it is made, so an hour is ample, and the window each look asks for stays bounded.
 */
export const CURSOR_SETTLE_MS = 3_600_000;

/**
 * The history answer after `cursor`: new withdrawals (newer than the cursor, or at its time and not
 * seen) are findings unless allowed; the cursor moves to the newest seen, and, given the look's time
 * `now` and a complete answer (less than a full page), to at most CURSOR_SETTLE_MS before it: a quiet
 * account is not asked for its whole history since the watch began. null: not a history list.
 */
export function readHistory(
  result: unknown,
  cursor: WithdrawalCursor,
  allowance: WithdrawalAllowance,
  now?: number,
): { found: SecurityFinding[]; cursor: WithdrawalCursor } | null {
  if (!isJsonObject(result) || !Array.isArray(result['withdrawal_list'])) return null;
  cursor = usableCursor(cursor, now);
  const latest = latestTime(now);
  const list = result['withdrawal_list'].map((w) => withdrawalOf(w, latest)).filter((w): w is Withdrawal => w !== null);
  // A withdrawal whose time is unreadable cannot be placed against the cursor: it is reported (the
  // security slot remembers its identity, so once), never dropped as if nothing had left.
  const fresh = list.filter((w) =>
    w.createTime === null ? !cursor.ids.includes(w.id) : w.createTime > cursor.since || (w.createTime === cursor.since && !cursor.ids.includes(w.id)),
  );
  const newest = list.reduce((m, w) => (w.createTime !== null && w.createTime > m ? w.createTime : m), cursor.since);
  const ids =
    newest === cursor.since
      ? [...new Set([...cursor.ids, ...fresh.filter((w) => w.createTime !== null).map((w) => w.id)])]
      : list.filter((w) => w.createTime === newest).map((w) => w.id);
  const found = fresh
    .filter((w) => !allowed(w, allowance))
    .sort((a, b) => (a.createTime ?? 0) - (b.createTime ?? 0))
    .map(finding);
  const full = result['withdrawal_list'].length >= HISTORY_PAGE_SIZE;
  // A full page may not be all of them (the exchange does not say which end it cut): say so, whatever was allowed.
  if (full)
    found.push({
      diagnosis: 'WITHDRAWAL_WATCH_NOT_DETERMINED',
      identity: `withdrawal-page-full:${cursor.since}:${newest}`,
      severity: 'warning',
      detail: `The withdrawal history answered a full page of ${HISTORY_PAGE_SIZE} for the time since ${clock(cursor.since)}: withdrawals not in that answer were not read (check the account’s withdrawal history)`,
      facts: [{ label: 'Not read', value: `withdrawals beyond the first ${HISTORY_PAGE_SIZE} since ${clock(cursor.since)}` }],
    });
  const settled = now !== undefined && !full ? now - CURSOR_SETTLE_MS : -Infinity;
  if (settled > newest) return { found, cursor: { since: Math.floor(settled), ids: [] } };
  return { found, cursor: { since: newest, ids: ids.slice(-50) } };
}

/** A refusal of the read: the watch could not look; said once (the finding's identity is per API key). */
export function notDeterminedFinding(seen: string, keyId: string | null): SecurityFinding {
  return {
    diagnosis: 'WITHDRAWAL_WATCH_NOT_DETERMINED',
    identity: `withdrawal-watch-refused:${keyId ?? '-'}`,
    severity: 'warning',
    detail: `The withdrawal history read was refused (${seen})`,
    facts: [{ label: 'Refused', value: seen }],
  };
}

/** A watch that has not completed a look for this long (hourly looks failing) is said to be blind. */
export const UNREAD_FOR_MS = 26 * 3_600_000;

/**
 * Looks that keep failing (503s, timeouts, answers that are not a list) for over a day: the watch is
 * blind, and silence must not read as "no withdrawals". Said once per streak (the cursor does not move
 * while nothing is read); a failing signed read is the health incident's to say, a sub-account's skip
 * is said elsewhere.
 */
export function unreadFinding(look: WithdrawalLook | undefined, now: number, keyId: string | null): SecurityFinding | null {
  if (look?.kind !== 'not-read' || !look.cursor || look.cursor.skipped !== undefined) return null;
  if (!look.why.startsWith('the withdrawal history') || now - look.cursor.since <= UNREAD_FOR_MS) return null;
  const since = clock(look.cursor.since);
  return {
    diagnosis: 'WITHDRAWAL_WATCH_NOT_DETERMINED',
    identity: `withdrawal-watch-unread:${keyId ?? '-'}:${look.cursor.since}`,
    severity: 'warning',
    detail: `The withdrawal history has not been read since ${since}: ${look.why}`,
    facts: [{ label: 'Not read since', value: since }],
  };
}
