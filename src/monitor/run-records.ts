import { isJsonObject } from '../contract/json.js';
import { isDatedBalance, type DatedBalance } from './balance-summary.js';
import type { WithdrawalCursor } from './withdrawal-watch.js';
import type { CarriedCheck } from './cadence.js';
import { EXPOSURE_LISTED, EXPOSURE_UNREAD_MAX, type ExposureSnapshot } from './exposure.js';
import type { Diagnosis } from './types.js';
import { DIAGNOSES } from './types.js';

/**
 * Run records: when each key was last checked, what it showed, its per-day counts (uptime) and the
 * last conclusive answers of the probes that do not run every time. They change on every run, so
 * they live apart from the key states (which are written only when they change): one item per shard
 * of RUN_SHARD_SIZE keys, rewritten whole each run, instead of one write per key. Pure: the store
 * reads and writes the shards, this module builds and merges them.
 */

/** Keys per run-record item: 100 entries of ~1 KB stay far under DynamoDB's 400 KB per item. */
export const RUN_SHARD_SIZE = 100;
export const DAYS_KEPT = 31;
const DAY_MS = 86_400_000;

export type DayCounts = Readonly<Record<string, readonly [number, number]>>;

export interface RunEntry {
  /** When the key was last checked (the run's time). */
  readonly at: number;
  readonly diagnosis: Diagnosis;
  /** UTC day → [runs, OK runs], the last DAYS_KEPT days. */
  readonly days: DayCounts;
  /** The last conclusive pass of each probe the schedule does not send every run (cadence.ts). */
  readonly carried?: Readonly<Record<string, CarriedCheck>>;
  /** Which API key was checked (cadence.ts keyIdOf): a new key under the same name gets every probe. */
  readonly keyId?: string;
  /** What was open on the account as of the last good check (exposure.ts): alerts about a key that cannot trade say it. */
  readonly exposure?: ExposureSnapshot;
  /** The account's balances at the key's last good read (balance-summary.ts): what the money watch compares with. */
  readonly balance?: DatedBalance;
  /** Where the withdrawal watch's last look at the account's history ended (withdrawal-watch.ts). */
  readonly withdrawals?: WithdrawalCursor;
}

export interface RunShard {
  readonly index: number;
  /** The run that wrote it: an older run never overwrites a newer one's shard. */
  readonly runAt: number;
  readonly entries: Readonly<Record<string, RunEntry>>;
}

/** UTC days as YYYY-MM-DD, remembered by day number: a run asks for the same two days for every key. */
const DAY_NAMES = new Map<number, string>();
export function dayOf(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let name = DAY_NAMES.get(day);
  if (name === undefined) {
    name = new Date(ms).toISOString().slice(0, 10);
    if (DAY_NAMES.size >= 64) DAY_NAMES.clear();
    DAY_NAMES.set(day, name);
  }
  return name;
}

export function shardCount(keys: number): number {
  return Math.ceil(keys / RUN_SHARD_SIZE);
}

/** `days` with one more run counted today, and days older than DAYS_KEPT dropped. */
export function countDay(days: DayCounts, now: number, ok: boolean): DayCounts {
  const today = dayOf(now);
  const oldest = dayOf(now - (DAYS_KEPT - 1) * DAY_MS);
  const next: Record<string, readonly [number, number]> = {};
  for (const d in days) if (d >= oldest && d !== today) next[d] = days[d] as readonly [number, number];
  const [runs, oks] = days[today] ?? [0, 0];
  next[today] = [runs + 1, oks + (ok ? 1 : 0)];
  return next;
}

/** Share of OK runs over the last `days` UTC days (today included); null without runs. */
export function uptime(entry: { readonly days: DayCounts } | undefined, now: number, days: number): number | null {
  if (!entry) return null;
  const oldest = dayOf(now - (days - 1) * DAY_MS);
  let runs = 0;
  let oks = 0;
  for (const [d, [r, o]] of Object.entries(entry.days)) {
    if (d < oldest) continue;
    runs += r;
    oks += o;
  }
  return runs === 0 ? null : oks / runs;
}

/** What a shard's item may hold: DynamoDB's 400 KB per item, less room for its keys and attributes. */
export const SHARD_MAX_BYTES = 350_000;

/**
 * Ways to make entries smaller, least loss first. None touches what the security watch compares with
 * (the balance and the withdrawal cursor's time) or the uptime counts: an order line or a probe's
 * carried pass costs a fuller text or one more probe next run, never a missed finding.
 */
const SHRINKS: readonly ((e: RunEntry) => RunEntry)[] = [
  (e) => {
    if (!e.exposure) return e;
    const { orders, foreign, positions, unread } = e.exposure;
    return {
      ...e,
      exposure: {
        ...e.exposure,
        orders: { ...orders, top: [] },
        ...(foreign ? { foreign: { ...foreign, top: [] } } : {}),
        positions: positions ? { ...positions, top: [] } : null,
        // Still marked unread (so it is read again), in fewer words.
        ...(unread !== undefined ? { unread: unread.slice(0, 40) } : {}),
      },
    };
  },
  ({ carried: _carried, ...e }) => e,
  (e) => (e.withdrawals && e.withdrawals.ids.length > 10 ? { ...e, withdrawals: { ...e.withdrawals, ids: e.withdrawals.ids.slice(-10) } } : e),
];

/** A shard as a run writes it: its entries and their JSON, serialized once (fitting it measured that very text). */
export interface ShardToWrite extends RunShard {
  /** `{ runAt, entries }` as JSON: what the store writes. */
  readonly json: string;
}

const shardJson = (runAt: number, entries: Record<string, RunEntry>) => JSON.stringify({ runAt, entries });
// A UTF-16 unit is at most 3 bytes in UTF-8: a text a third of the limit long fits without counting.
const fits = (json: string) => json.length * 3 <= SHARD_MAX_BYTES || Buffer.byteLength(json, 'utf8') <= SHARD_MAX_BYTES;

/** A shard's entries made small enough for one item (usually as they are: a shard of 100 keys is tens of KB), with their JSON. */
function fitted(runAt: number, entries: Record<string, RunEntry>): { entries: Record<string, RunEntry>; json: string } {
  let out = entries;
  let json = shardJson(runAt, out);
  for (const shrink of SHRINKS) {
    if (fits(json)) break;
    out = Object.fromEntries(Object.entries(out).map(([n, e]) => [n, shrink(e)]));
    json = shardJson(runAt, out);
  }
  return { entries: out, json };
}

/** The shards a run writes: its keys in configured order, RUN_SHARD_SIZE to an item. */
export function shardsOf(names: readonly string[], entries: ReadonlyMap<string, RunEntry>, runAt: number): ShardToWrite[] {
  const shards: ShardToWrite[] = [];
  for (let i = 0; i < names.length; i += RUN_SHARD_SIZE) {
    const slice: Record<string, RunEntry> = {};
    for (const n of names.slice(i, i + RUN_SHARD_SIZE)) {
      const e = entries.get(n);
      if (e) slice[n] = e;
    }
    shards.push({ index: i / RUN_SHARD_SIZE, runAt, ...fitted(runAt, slice) });
  }
  return shards;
}

/** Per key, the newest entry across shards (a key moves between shards when the key list changes). */
export function newestEntries(shards: readonly RunShard[]): Map<string, RunEntry> {
  const out = new Map<string, RunEntry>();
  for (const shard of shards) {
    for (const [name, entry] of Object.entries(shard.entries)) {
      const seen = out.get(name);
      if (!seen || seen.at < entry.at) out.set(name, entry);
    }
  }
  return out;
}

const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isDigit = (c: number) => c >= 48 && c <= 57;
/** YYYY-MM-DD, by character: 31 of them per entry, 1,000 entries a run. */
const DAY_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9];
const isDay = (d: string) => d.length === 10 && d.charCodeAt(4) === 45 && d.charCodeAt(7) === 45 && DAY_DIGITS.every((i) => isDigit(d.charCodeAt(i)));
const isDays = (v: unknown) =>
  isJsonObject(v) && Object.entries(v).every(([day, pair]) => isDay(day) && Array.isArray(pair) && pair.length === 2 && isCount(pair[0]) && isCount(pair[1]));
const KNOWN_DIAGNOSES: ReadonlySet<string> = new Set(DIAGNOSES);
const isCarried = (v: unknown) =>
  isJsonObject(v) &&
  Object.values(v).every((c) => isJsonObject(c) && typeof c['at'] === 'number' && typeof c['detail'] === 'string' && typeof c['expect'] === 'string');

const isText = (v: unknown) => typeof v === 'string' && v.length <= 200;
const isLines = (v: unknown, fields: readonly string[]) =>
  Array.isArray(v) && v.length <= EXPOSURE_LISTED && v.every((l) => isJsonObject(l) && fields.every((f) => f in l) && isText(l['instrument']));
const isExposure = (v: unknown) =>
  isJsonObject(v) &&
  typeof v['at'] === 'number' &&
  typeof v['sig'] === 'string' &&
  isJsonObject(v['orders']) &&
  isCount(v['orders']['count']) &&
  typeof v['orders']['buyNotional'] === 'number' &&
  typeof v['orders']['sellNotional'] === 'number' &&
  isLines(v['orders']['top'], ['side', 'quantity', 'price', 'clientOid']) &&
  (v['positions'] === null || (isJsonObject(v['positions']) && isCount(v['positions']['count']) && isLines(v['positions']['top'], ['quantity']))) &&
  (v['unread'] === undefined || (typeof v['unread'] === 'string' && v['unread'].length <= EXPOSURE_UNREAD_MAX)) &&
  (v['foreign'] === undefined ||
    (isJsonObject(v['foreign']) &&
      isCount(v['foreign']['count']) &&
      typeof v['foreign']['id'] === 'string' &&
      isLines(v['foreign']['top'], ['side', 'quantity', 'price', 'clientOid'])));

const isCursor = (v: unknown) =>
  isJsonObject(v) &&
  typeof v['since'] === 'number' &&
  Array.isArray(v['ids']) &&
  v['ids'].length <= 50 &&
  v['ids'].every((id) => isText(id)) &&
  (v['refusedAt'] === undefined || typeof v['refusedAt'] === 'number') &&
  (v['skipped'] === undefined || isText(v['skipped']));

/**
 * A stored shard as the run can use it: entries that are not whole are dropped and counted (the key
 * then reads as not checked before: every probe runs and its uptime starts again), never trusted.
 */
export function readShard(doc: unknown, index: number): { shard: RunShard | null; dropped: number } {
  if (!isJsonObject(doc) || typeof doc['runAt'] !== 'number' || !isJsonObject(doc['entries'])) return { shard: null, dropped: 0 };
  const entries: Record<string, RunEntry> = {};
  let dropped = 0;
  for (const [name, e] of Object.entries(doc['entries'])) {
    const whole =
      isJsonObject(e) &&
      typeof e['at'] === 'number' &&
      Number.isFinite(e['at']) &&
      typeof e['diagnosis'] === 'string' &&
      KNOWN_DIAGNOSES.has(e['diagnosis']) &&
      isDays(e['days']) &&
      (e['carried'] === undefined || isCarried(e['carried'])) &&
      (e['keyId'] === undefined || typeof e['keyId'] === 'string') &&
      (e['exposure'] === undefined || isExposure(e['exposure'])) &&
      (e['balance'] === undefined || isDatedBalance(e['balance'])) &&
      (e['withdrawals'] === undefined || isCursor(e['withdrawals']));
    if (whole) entries[name] = e as unknown as RunEntry;
    else dropped++;
  }
  return { shard: { index, runAt: doc['runAt'], entries }, dropped };
}

/** Plain data that JSON writes and reads back unchanged: finite numbers, no undefined, no other kinds of object. */
function jsonExact(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      // JSON writes -0 as 0.
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (const x of v) if (!jsonExact(x)) return false;
        return true;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype) return false;
      for (const k in v) if (!jsonExact((v as Record<string, unknown>)[k])) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * Whether a shard as written is what reading it back would give: its JSON round trip changes nothing
 * and every entry is whole. Only then may a writer stand in for a later read of its own write.
 */
export function readsBackAsWritten(shard: RunShard): boolean {
  if (!jsonExact(shard.entries)) return false;
  const back = readShard({ runAt: shard.runAt, entries: shard.entries }, shard.index);
  return back.shard !== null && back.dropped === 0;
}
