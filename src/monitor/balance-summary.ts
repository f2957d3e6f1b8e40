/**
 * A compact picture of an account's balances, kept in the key's run record so the next run can tell
 * whether money left the account: how many balances it holds, their total market value, and the
 * quantity and price of the largest few. Quantities and prices are kept apart on purpose: the watch
 * values both runs' quantities at the newer run's prices, so a market that falls is not money leaving.
 * Pure: the balance answer in, the summary out; and the check of a stored one.
 */
import { isJsonObject } from '../contract/json.js';
import { displaySafe } from '../exchange/text-safety.js';
import { cents, num } from './exchange-number.js';

/** Assets kept one by one (largest market value first); the rest are one sum. */
export const SUMMARY_ASSETS = 10;

export interface AssetHolding {
  /** The asset's code as the exchange names it (display-safe). */
  readonly asset: string;
  readonly quantity: number;
  /** USD per unit at the time of the read (market_value ÷ quantity); null when it had no market value. */
  readonly price: number | null;
}

export interface BalanceSummary {
  /** Balances with a quantity other than zero. */
  readonly count: number;
  /** Sum of every balance's market value, in USD. */
  readonly total: number;
  /** The SUMMARY_ASSETS largest by market value. */
  readonly assets: readonly AssetHolding[];
  /** Market value of the balances not listed. */
  readonly rest: number;
}

/**
 * The last listing of `asset` (with a price, when `priced`), as a map built from the list would keep
 * it. The lists hold at most SUMMARY_ASSETS: looked up in place, with no map or closure built for every
 * key every run.
 */
export function lastListing(assets: readonly AssetHolding[], asset: string, priced = false): AssetHolding | undefined {
  for (let i = assets.length - 1; i >= 0; i--) {
    const a = assets[i] as AssetHolding;
    if (a.asset === asset && (!priced || a.price !== null)) return a;
  }
  return undefined;
}

/** A summary as the run record keeps it: with the time of the read it comes from. */
export interface DatedBalance extends BalanceSummary {
  readonly at: number;
}

const finiteOrNull = (n: number) => (Number.isFinite(n) ? n : null);

/**
 * Whether a summary can stand as the money watch's baseline: totals that overflowed (values near
 * 1e308 summed) compare with nothing, and a run record would store them as null and drop the entry.
 */
export function usableSummary(s: BalanceSummary): boolean {
  return Number.isFinite(s.total) && Number.isFinite(s.rest);
}

/**
 * An asset's code as shown: display-safe, at most 24 characters. Every key's balance names the same
 * few codes run after run, so the short ones are remembered (displaySafe is a pure function of the text).
 */
const ASSET_NAMES = new Map<string, string>();
const MAX_ASSET_NAMES = 1_024;
function assetName(raw: unknown): string {
  const text = String(raw ?? '?');
  if (text.length > 64) return displaySafe(text, 24) || '?';
  let shown = ASSET_NAMES.get(text);
  if (shown === undefined) {
    shown = displaySafe(text, 24) || '?';
    if (ASSET_NAMES.size >= MAX_ASSET_NAMES) ASSET_NAMES.clear();
    ASSET_NAMES.set(text, shown);
  }
  return shown;
}

/** From private/user-balance's account list (entries already known to be objects). */
export function balanceSummaryOf(accounts: readonly Record<string, unknown>[]): BalanceSummary {
  const held: { asset: string; quantity: number; value: number }[] = [];
  for (const account of accounts) {
    const balances = Array.isArray(account['position_balances']) ? account['position_balances'] : [];
    for (const b of balances) {
      if (!isJsonObject(b)) continue;
      const quantity = num(b['quantity']) ?? 0;
      const value = num(b['market_value']) ?? 0;
      if (quantity === 0 && value === 0) continue;
      held.push({ asset: assetName(b['instrument_name']), quantity, value });
    }
  }
  held.sort((a, b) => b.value - a.value);
  const listed = held.slice(0, SUMMARY_ASSETS);
  const total = held.reduce((s, h) => s + h.value, 0);
  const rest = held.slice(SUMMARY_ASSETS).reduce((s, h) => s + h.value, 0);
  return {
    count: held.length,
    total: cents(total),
    // A price that overflows (a value over a dust quantity) is not a price: unknown, as JSON would store it.
    assets: listed.map((h) => ({ asset: h.asset, quantity: h.quantity, price: h.quantity !== 0 && h.value !== 0 ? finiteOrNull(h.value / h.quantity) : null })),
    rest: cents(rest),
  };
}

const isFiniteNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/** Whether a stored summary is whole: a run record holding anything else is not trusted. */
export function isDatedBalance(v: unknown): v is DatedBalance {
  return (
    isJsonObject(v) &&
    isFiniteNumber(v['at']) &&
    typeof v['count'] === 'number' &&
    Number.isInteger(v['count']) &&
    v['count'] >= 0 &&
    isFiniteNumber(v['total']) &&
    isFiniteNumber(v['rest']) &&
    Array.isArray(v['assets']) &&
    v['assets'].length <= SUMMARY_ASSETS &&
    v['assets'].every(
      (a) =>
        isJsonObject(a) &&
        typeof a['asset'] === 'string' &&
        a['asset'].length <= 24 &&
        isFiniteNumber(a['quantity']) &&
        (a['price'] === null || isFiniteNumber(a['price'])),
    )
  );
}
