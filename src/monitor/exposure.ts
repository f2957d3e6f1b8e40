/**
 * What is at risk when a key stops working: the open orders and positions on the account as of the
 * last good check, kept as a compact snapshot and said in one line by every channel, the CLI and
 * JSON. Pure: parsing the exchange's answers, deciding whether a snapshot is out of date, and the text.
 *
 * Orders are named by instrument, side, quantity, price and client_oid: what identifies an order to
 * its owner, never the exchange's order_id.
 */
import { createHash } from 'node:crypto';
import { isJsonObject } from '../contract/json.js';
import { displaySafe } from '../exchange/text-safety.js';
import { groupedFormat, usdFormat } from './number-format.js';
import { cents, num } from './exchange-number.js';

/** Orders and positions named one by one; the rest are counted. */
export const EXPOSURE_LISTED = 3;
/** The longest "incomplete because…" text a run record keeps (run-records.ts reads no longer). */
export const EXPOSURE_UNREAD_MAX = 200;

export interface OrderLine {
  readonly instrument: string;
  readonly side: string;
  /** A decimal string, as the exchange gave it. */
  readonly quantity: string;
  /** A decimal string; null for an order without a limit price (market, stop-market). */
  readonly price: string | null;
  readonly clientOid: string | null;
  /** Notional in the quote currency, for ordering the list. */
  readonly notional: number;
}

export interface PositionLine {
  readonly instrument: string;
  /** A decimal string, signed: negative is short. */
  readonly quantity: string;
  readonly cost: number | null;
  readonly openPnl: number | null;
}

export interface ExposureSnapshot {
  /** When it was read (epoch ms): every text says "as of". */
  readonly at: number;
  /** What the balance showed in use when it was read (inUseOf): a different one means it is out of date. */
  readonly sig: string;
  readonly orders: { readonly count: number; readonly buyNotional: number; readonly sellNotional: number; readonly top: readonly OrderLine[] };
  /** null: the account holds no derivatives margin, so positions were not read. */
  readonly positions: { readonly count: number; readonly top: readonly PositionLine[] } | null;
  /** Set when a read was refused or did not answer: what is shown is incomplete, and why. */
  readonly unread?: string;
  /** Open orders whose client_oid lacks the bot's prefix (security-findings.ts); absent when no prefix is set. */
  readonly foreign?: ForeignOrders;
}

/** Orders the bot did not place. */
export interface ForeignOrders {
  readonly count: number;
  /** A hash of the whole set: the same orders seen again are not a new finding. */
  readonly id: string;
  readonly top: readonly OrderLine[];
}

/** What the balance answer says is in use: funds reserved by orders, and margin held by positions. */
export interface InUse {
  /** Stable text of what is in use; '' when nothing is. */
  readonly sig: string;
  /** Any asset has funds reserved (an open spot order), or margin is held for orders. */
  readonly orders: boolean;
  /** Margin is held for positions. */
  readonly positions: boolean;
}

const text = (value: unknown, max: number): string | null => {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const shown = displaySafe(String(value), max);
  return shown === '' ? null : shown;
};

/** The longest in-use text kept as it is; a longer one is kept as its hash. */
const MAX_SIG_LENGTH = 300;

/**
 * From the private/user-balance answer's accounts: reserved quantities by asset, the cost of open
 * positions and the margin held for orders (initial margin beyond the positions'). Prices move every
 * run; none of these do unless an order or a position changes, so the text compares run to run.
 */
export function inUseOf(accounts: readonly Record<string, unknown>[]): InUse {
  const reserved: string[] = [];
  let positionCost = 0;
  let orderMargin = 0;
  for (const account of accounts) {
    const balances = Array.isArray(account['position_balances']) ? account['position_balances'] : [];
    for (const b of balances) {
      if (!isJsonObject(b)) continue;
      const qty = num(b['reserved_qty']);
      if (qty !== null && qty > 0) reserved.push(`${text(b['instrument_name'], 24) ?? '?'}:${qty}`);
    }
    positionCost += Math.abs(num(account['total_position_cost']) ?? 0);
    orderMargin += Math.max(0, (num(account['total_initial_margin']) ?? 0) - (num(account['total_position_im']) ?? 0));
  }
  reserved.sort();
  const orders = reserved.length > 0 || cents(orderMargin) > 0;
  const positions = cents(positionCost) > 0;
  const whole = orders || positions ? `${reserved.join(',')}|pc=${cents(positionCost)}|om=${cents(orderMargin)}` : '';
  // Only compared for equality, and kept in every run record: a long one (thousands of balances with
  // funds reserved) is kept as its hash, so a shard of 100 keys stays one DynamoDB item.
  const sig = whole.length <= MAX_SIG_LENGTH ? whole : `sha256:${createHash('sha256').update(whole).digest('hex')}`;
  return { sig, orders, positions };
}

/** Nothing in use: the snapshot needs no call. */
export function nothingOpen(at: number): ExposureSnapshot {
  return { at, sig: '', orders: { count: 0, buyNotional: 0, sellNotional: 0, top: [] }, positions: null };
}

/** Whether `last` still stands for what the balance shows in use now, or must be read again. */
export function exposureCurrent(last: ExposureSnapshot | undefined, inUse: InUse, now: number, maxAgeMs: number): boolean {
  if (!last || last.unread !== undefined) return false;
  return last.sig === inUse.sig && now - last.at < maxAgeMs;
}

const dataList = (result: unknown): unknown[] | null => (isJsonObject(result) && Array.isArray(result['data']) ? result['data'] : null);

/** private/get-open-orders' result as the snapshot's orders, or null when it is not an order list. */
export function ordersOf(result: unknown): ExposureSnapshot['orders'] | null {
  const data = dataList(result);
  if (!data) return null;
  const lines: OrderLine[] = [];
  let buyNotional = 0;
  let sellNotional = 0;
  for (const o of data) {
    if (!isJsonObject(o)) continue;
    // Only the two sides the exchange has: anything else is not shown as given.
    const given = typeof o['side'] === 'string' ? o['side'].toUpperCase() : '';
    const side = given === 'BUY' || given === 'SELL' ? given : '?';
    const quantity = num(o['quantity']);
    const price = num(o['limit_price']) ?? num(o['price']);
    const value = num(o['order_value']) ?? (quantity !== null && price !== null ? quantity * price : 0);
    if (side === 'BUY') buyNotional += Math.abs(value);
    else if (side === 'SELL') sellNotional += Math.abs(value);
    lines.push({
      instrument: text(o['instrument_name'], 24) ?? '?',
      side,
      quantity: quantity === null ? '?' : String(quantity),
      price: price === null || price === 0 ? null : String(price),
      clientOid: text(o['client_oid'], 36),
      notional: Math.abs(value),
    });
  }
  lines.sort((a, b) => b.notional - a.notional);
  // Sums of absurd order values overflow: kept finite, as a run record can store them.
  const total = (n: number) => Math.min(cents(n), Number.MAX_VALUE);
  return { count: lines.length, buyNotional: total(buyNotional), sellNotional: total(sellNotional), top: lines.slice(0, EXPOSURE_LISTED) };
}

/** private/get-positions' result as the snapshot's positions (open ones only), or null when it is not a list. */
export function positionsOf(result: unknown): NonNullable<ExposureSnapshot['positions']> | null {
  const data = dataList(result);
  if (!data) return null;
  const lines: PositionLine[] = [];
  for (const p of data) {
    if (!isJsonObject(p)) continue;
    const quantity = num(p['quantity']);
    if (quantity === 0) continue;
    lines.push({
      instrument: text(p['instrument_name'], 24) ?? '?',
      quantity: quantity === null ? '?' : String(quantity),
      cost: num(p['cost']),
      openPnl: num(p['open_position_pnl']),
    });
  }
  lines.sort((a, b) => Math.abs(b.cost ?? 0) - Math.abs(a.cost ?? 0));
  return { count: lines.length, top: lines.slice(0, EXPOSURE_LISTED) };
}

const MINUS = '\u2212';

/** A stored quantity or price (a decimal string), grouped, with a true minus sign. */
function plain(decimal: string): string {
  const n = Number(decimal);
  if (!Number.isFinite(n)) return '?';
  return n < 0 ? `${MINUS}${groupedFormat().format(-n)}` : groupedFormat().format(n);
}
const signedUsd = (n: number) => (n < 0 ? `${MINUS}$${usdFormat().format(-n)}` : `$${usdFormat().format(n)}`);

const utcTime = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function orderText(o: OrderLine): string {
  const price = o.price === null ? 'at market' : `@ ${plain(o.price)}`;
  return `${o.instrument} ${o.side} ${plain(o.quantity)} ${price}${o.clientOid ? ` [${o.clientOid}]` : ''}`;
}

function positionText(p: PositionLine): string {
  const money = [p.cost === null ? null : `cost ${signedUsd(p.cost)}`, p.openPnl === null ? null : `open P/L ${signedUsd(p.openPnl)}`].filter(Boolean);
  return `${p.instrument} ${plain(p.quantity)}${money.length > 0 ? ` (${money.join(', ')})` : ''}`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The one exposure line: "2 open orders (…), 1 position … as of 12:00 UTC." or "Nothing open as of
 * 12:00 UTC."; about a key that cannot trade (`cannotTrade`), followed by what that means for them.
 * `now` decides whether the day is said too (a snapshot from another day).
 */
export function exposureText(s: ExposureSnapshot | undefined, now: number, cannotTrade: boolean): string {
  if (!s) return 'What is open on the account is not known: no check has read it with this key yet.';
  const asOf = `as of ${utcDay(s.at) === utcDay(now) ? '' : `${utcDay(s.at)} `}${utcTime(s.at)}`;
  const parts: string[] = [];
  const { orders, positions } = s;
  if (orders.count > 0) {
    const listed = orders.top.map(orderText);
    const more = orders.count - listed.length;
    const sides = [
      orders.buyNotional > 0 ? `${signedUsd(orders.buyNotional)} to buy` : null,
      orders.sellNotional > 0 ? `${signedUsd(orders.sellNotional)} to sell` : null,
    ]
      .filter(Boolean)
      .join(', ');
    const worth = orders.count > listed.length && sides ? `, ${sides}` : '';
    parts.push(`${plural(orders.count, 'open order', 'open orders')} (${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}${worth})`);
  }
  if (positions && positions.count > 0) {
    const listed = positions.top.map(positionText);
    const more = positions.count - listed.length;
    parts.push(`${plural(positions.count, 'position', 'positions')} ${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}`);
  }
  const unread = s.unread ? ` (incomplete: ${s.unread})` : '';
  if (parts.length === 0) return s.unread ? `Open orders and positions could not be read ${asOf}: ${s.unread}.` : `Nothing open ${asOf}.`;
  const meaning = cannotTrade ? ' The bot cannot amend or cancel them with this key; orders resting on the exchange still execute.' : '';
  return `${parts.join(', ')} ${asOf}${unread}.${meaning}`;
}
