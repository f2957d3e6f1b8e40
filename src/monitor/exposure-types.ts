/**
 * What was open on the account at a key's last good check: the compact snapshot an alert about a key
 * that cannot trade carries ("2 open orders …, 1 position … as of 12:00 UTC"). Numbers are kept as the
 * exchange sent them (decimal strings) so nothing is rounded before it is shown.
 */
export interface ExposureOrder {
  readonly instrument: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: string;
  /** Limit price; null for orders without one (market, stop-market). */
  readonly price: string | null;
  /** The owner's own label for the order; never the exchange's order_id. */
  readonly clientOid: string | null;
}

export interface ExposurePosition {
  readonly instrument: string;
  /** Signed: negative is short. */
  readonly quantity: string;
  /** USD, signed. */
  readonly cost: string;
  /** Open position P/L in USD, signed. */
  readonly openPnl: string | null;
}

export interface ExposureSnapshot {
  /** Epoch ms of the check that read it. */
  readonly at: number;
  readonly orders: {
    readonly count: number;
    /** Notional (quantity × price, USD-quoted instruments) per side. */
    readonly notional: { readonly BUY: number; readonly SELL: number };
    /** The largest few by notional. */
    readonly largest: readonly ExposureOrder[];
  };
  /** null: positions were not read (no derivatives access, or nothing positioned per the balance). */
  readonly positions: { readonly count: number; readonly largest: readonly ExposurePosition[] } | null;
  /** Why part of it could not be read (an answer that proves nothing), shown as such; null when complete. */
  readonly unreadable: string | null;
}
