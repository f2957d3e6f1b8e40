/**
 * The security watch's findings: money or assets that left the account between two checks, orders
 * the bot did not place, withdrawals. Each finding is an event with an identity (the same finding seen
 * again is not news) and the evidence an operator needs, already display-safe. Pure: summaries,
 * snapshots and exchange answers in, findings out.
 */
import { createHash } from 'node:crypto';
import type { NotificationFact } from '../contract/notification.js';
import { lastListing, SUMMARY_ASSETS, type AssetHolding, type DatedBalance } from './balance-summary.js';
import { EXPOSURE_LISTED, ordersOf, type ExposureSnapshot, type ForeignOrders } from './exposure.js';
import { isJsonObject } from '../contract/json.js';
import { groupedFormat, usdFormat } from './number-format.js';

export const SECURITY_DIAGNOSES = ['WITHDRAWAL_DETECTED', 'FUNDS_DROPPED', 'FOREIGN_ORDERS', 'WITHDRAWAL_WATCH_NOT_DETERMINED'] as const;
export type SecurityDiagnosis = (typeof SECURITY_DIAGNOSES)[number];

export interface SecurityFinding {
  readonly diagnosis: SecurityDiagnosis;
  /** What makes it the same finding on a later run: a withdrawal id, the set of foreign orders, the two checks of a drop. */
  readonly identity: string;
  readonly severity: 'critical' | 'warning';
  /** One line: what was seen. */
  readonly detail: string;
  readonly facts: readonly NotificationFact[];
}

/** Per key: what the watch looks for (runtime-config.ts reads them from the key list). */
export interface SecuritySettings {
  /** false: no security watch for this key. */
  readonly enabled: boolean;
  /** A drop of the account's value beyond this share (percent) between two checks is a finding. */
  readonly fundsDropPercent: number;
  /** An asset worth more than this (USD) disappearing is a finding. */
  readonly assetVanishedUsd: number;
  /** Orders whose client_oid lacks it are orders the bot did not place; null: not watched. */
  readonly botClientOidPrefix: string | null;
}

export const DEFAULT_FUNDS_DROP_PERCENT = 25;
export const DEFAULT_ASSET_VANISHED_USD = 1_000;

export const DEFAULT_SECURITY_SETTINGS: SecuritySettings = {
  enabled: true,
  fundsDropPercent: DEFAULT_FUNDS_DROP_PERCENT,
  assetVanishedUsd: DEFAULT_ASSET_VANISHED_USD,
  botClientOidPrefix: null,
};

/** Assets named one by one in a finding; the rest are counted. */
export const FINDING_LISTED = 5;

const usd = (n: number) => (n < 0 ? `\u2212$${usdFormat().format(-n)}` : `$${usdFormat().format(n)}`);
const qty = (n: number) => (n < 0 ? `\u2212${groupedFormat().format(-n)}` : groupedFormat().format(n));
const clock = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

interface AssetChange {
  readonly asset: string;
  readonly before: number;
  /** null: not among the newer check's largest balances, so its quantity is not known. */
  readonly after: number | null;
  /** Change of value at the newer prices (negative: left). */
  readonly delta: number;
}

/**
 * Compare the last check's balances with this one's. Both are valued at this check's prices (an asset
 * gone uses its last price; the balances outside the largest ten move with the listed ones), so a
 * market that falls is not money leaving. A finding when the account lost more than
 * `fundsDropPercent` of its value, or when an asset worth more than `assetVanishedUsd` disappeared
 * and the account's value fell by at least half of it (a trade that converts it keeps the value).
 */
export function fundsFinding(
  before: DatedBalance,
  after: DatedBalance,
  settings: Pick<SecuritySettings, 'fundsDropPercent' | 'assetVanishedUsd'>,
): SecurityFinding | null {
  const listedNow = (asset: string) => lastListing(after.assets, asset, false);
  const priceNowOf = (asset: string) => lastListing(after.assets, asset, true)?.price ?? undefined;
  // Only a list of every balance proves an unlisted asset is gone.
  const afterComplete = after.count <= SUMMARY_ASSETS;
  let thenPriced = 0;
  let nowPriced = 0;
  let beforeListedNow = 0;
  for (const a of before.assets) {
    const now = priceNowOf(a.asset);
    const p = now ?? a.price ?? 0;
    beforeListedNow += a.quantity * p;
    if (a.price !== null && now !== undefined) {
      thenPriced += a.quantity * a.price;
      nowPriced += a.quantity * p;
    }
  }
  const move = thenPriced > 0 ? nowPriced / thenPriced : 1;
  const beforeNow = beforeListedNow + before.rest * move;
  // A balance the newer answer gave no readable market value for is valued at its last price: an
  // answer without prices (a pricing fault, "NaN", "0") proves no money left, only its quantities can.
  let unpriced = 0;
  for (const a of after.assets) if (a.price === null) unpriced += a.quantity * (lastListing(before.assets, a.asset, true)?.price ?? 0);
  const afterTotal = after.total + unpriced;
  const drop = beforeNow - afterTotal;
  const dropPercent = beforeNow > 0 ? (drop / beforeNow) * 100 : 0;
  // Only an asset listed before can vanish, and only one worth more than the threshold before it did:
  // with none, and no drop, there is no finding and no list of changes to build (every key, every run).
  // The loss the full comparison would count for it: all of it when listed at 0 (or gone from a
  // complete list); when unlisted now, all but what the unlisted rest could still hold (a negative
  // rest, a loan among the small balances, makes that more than the asset was worth).
  const mayVanish = (a: AssetHolding) => {
    const now = listedNow(a.asset)?.quantity ?? (afterComplete ? 0 : null);
    if (now !== null && now !== 0) return false;
    const was = a.quantity * (priceNowOf(a.asset) ?? a.price ?? 0);
    const lost = now === null ? was - Math.min(was, after.rest) : was;
    return !(lost <= settings.assetVanishedUsd);
  };
  const anyMayVanish = () => {
    for (const a of before.assets) if (mayVanish(a)) return true;
    return false;
  };
  if (dropPercent < settings.fundsDropPercent && settings.assetVanishedUsd >= 0 && !anyMayVanish()) return null;

  const names = [...new Set([...before.assets.map((a) => a.asset), ...after.assets.map((a) => a.asset)])];
  const changes: AssetChange[] = [];
  for (const name of names) {
    const b = before.assets.find((a) => a.asset === name);
    const beforeQty = b?.quantity ?? 0;
    const listed = listedNow(name)?.quantity;
    const afterQty = listed ?? (afterComplete ? 0 : null);
    const p = priceNowOf(name) ?? b?.price ?? 0;
    if (afterQty === null) {
      // Not listed now: gone or smaller than the tenth largest; at most `after.rest` of it is left.
      const atMost = Math.min(beforeQty * p, after.rest);
      const delta = atMost - beforeQty * p;
      if (delta < 0) changes.push({ asset: name, before: beforeQty, after: null, delta });
      continue;
    }
    if (afterQty === beforeQty || b === undefined) {
      if (b === undefined && afterQty !== 0) changes.push({ asset: name, before: 0, after: afterQty, delta: afterQty * p });
      continue;
    }
    changes.push({ asset: name, before: beforeQty, after: afterQty, delta: (afterQty - beforeQty) * p });
  }
  changes.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta));
  const vanished = changes.filter((c) => (c.after === null || c.after === 0) && -c.delta > settings.assetVanishedUsd && drop >= -c.delta / 2);
  if (dropPercent < settings.fundsDropPercent && vanished.length === 0) return null;

  const listed = changes.slice(0, FINDING_LISTED).map((c) => {
    const now = c.after === null ? 'no longer among the largest balances' : qty(c.after);
    return `${c.asset} ${qty(c.before)} → ${now} (${usd(c.delta)})`;
  });
  const more = changes.length - listed.length;
  const what =
    dropPercent >= settings.fundsDropPercent
      ? `the account's value fell ${dropPercent.toFixed(1)} % (${usd(drop)}) between the checks at ${clock(before.at)} and ${clock(after.at)}`
      : `${vanished.map((v) => v.asset).join(', ')} worth ${usd(-vanished.reduce((s, v) => s + v.delta, 0))} disappeared between the checks at ${clock(before.at)} and ${clock(after.at)}`;
  return {
    diagnosis: 'FUNDS_DROPPED',
    identity: `funds:${before.at}:${after.at}`,
    severity: 'warning',
    detail: `${what[0]?.toUpperCase() ?? ''}${what.slice(1)}`,
    facts: [
      {
        label: 'Before',
        value: `${plural(before.count, 'balance', 'balances')}, total ${usd(before.total)} at ${clock(before.at)} (${usd(beforeNow)} at the newer prices)`,
      },
      { label: 'After', value: `${plural(after.count, 'balance', 'balances')}, total ${usd(after.total)} at ${clock(after.at)}` },
      ...(listed.length > 0 ? [{ label: 'Changed', value: `${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}` }] : []),
    ],
  };
}

/** From private/get-open-orders' result: the orders whose client_oid lacks `prefix`; null when it is not an order list. */
export function foreignOrdersOf(result: unknown, prefix: string): ForeignOrders | null {
  if (!isJsonObject(result) || !Array.isArray(result['data'])) return null;
  const foreign = result['data'].filter((o) => isJsonObject(o) && !(typeof o['client_oid'] === 'string' && o['client_oid'].startsWith(prefix)));
  const orders = ordersOf({ data: foreign });
  if (!orders || orders.count === 0) return { count: 0, id: '', top: [] };
  const keys = foreign
    .map((o) => {
      const r = o as Record<string, unknown>;
      return [r['order_id'], r['client_oid'], r['instrument_name'], r['side'], r['quantity'], r['create_time']].map((v) => String(v ?? '')).join('|');
    })
    .sort();
  const id = createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 16);
  return { count: orders.count, id, top: orders.top.slice(0, EXPOSURE_LISTED) };
}

/** The snapshot's orders the bot did not place, as a finding; null when there are none (or the prefix is not set). */
export function foreignOrdersFinding(snapshot: ExposureSnapshot | undefined, prefix: string | null): SecurityFinding | null {
  const foreign = snapshot?.foreign;
  if (prefix === null || !snapshot || !foreign || foreign.count === 0) return null;
  const lines = foreign.top.map((o) => `${o.instrument} ${o.side} ${o.quantity}${o.clientOid ? ` [${o.clientOid}]` : ' [no client_oid]'}`);
  const more = foreign.count - lines.length;
  return {
    diagnosis: 'FOREIGN_ORDERS',
    identity: `orders:${foreign.id}`,
    severity: 'warning',
    detail: `${plural(foreign.count, 'open order', 'open orders')} without the bot's client_oid prefix "${prefix}" as of ${clock(snapshot.at)}`,
    facts: [{ label: 'Orders', value: `${lines.join('; ')}${more > 0 ? `; and ${more} more` : ''}` }],
  };
}
