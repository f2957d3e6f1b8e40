import { basePathProblem } from './base-url.js';
import type { SignableObject } from './signing.js';

/** client_oid prefix of the trade-permission probe; no real order of ours carries it. */
export const PROBE_OID_PREFIX = 'hc-';

export class UnsafeRequestError extends Error {
  override readonly name = 'UnsafeRequestError';
  constructor(readonly method: string) {
    super(`refusing to send ${method}: the monitor only reads and probes, it never trades or withdraws`);
  }
}

/**
 * The withdraw-permission probe: a read (no funds move) that the exchange only answers for keys with
 * the Withdrawal setting. Exactly one parameter, a currency code, is allowed.
 */
export const WITHDRAW_PROBE_METHOD = 'private/get-deposit-address';

/** Private reads the checks may sign, each with the only parameters it may carry. Nothing here moves funds or orders. */
const READS: Readonly<Record<string, readonly string[]>> = {
  'private/user-balance': [],
  'private/get-accounts': ['page', 'page_size'],
  'private/get-open-orders': ['instrument_name'],
  'private/get-positions': ['instrument_name'],
  // The security watch's look at the account's withdrawals: a read, with its documented parameters only.
  'private/get-withdrawal-history': ['currency', 'start_ts', 'end_ts', 'page_size', 'page', 'status'],
};

/** A read with only its own parameters, each a short plain string. */
function harmlessRead(method: string, params: SignableObject): boolean {
  if (!Object.hasOwn(READS, method)) return false;
  const allowed = READS[method] as readonly string[];
  return Object.entries(params).every(([k, v]) => allowed.includes(k) && typeof v === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(v));
}

/**
 * Last line of defence against a bug turning a health check into a trade: the client refuses any
 * private call that is not a read, or a cancel aimed at a probe client_oid (never an order_id). It
 * judges the full request URL, not only the method in the body: the path must be exactly
 * `<base path>/<method>` with no query, and the base path itself must pass the base-URL rule in every
 * spelling (no PRIVATE/…, private;/…, %-escapes), whoever built the client, or nothing is sent.
 */
export function assertHarmless(url: string, basePath: string, method: string, params: SignableObject): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeRequestError(method);
  }
  // The exact text, not a normalised form: "/x/../private/user-balance" must not pass as a read.
  if (url !== `${parsed.origin}${basePath}/${method}`) throw new UnsafeRequestError(method);
  if (basePathProblem(basePath) !== null) throw new UnsafeRequestError(method);
  if (harmlessRead(method, params)) return;
  if (method === WITHDRAW_PROBE_METHOD) {
    const keys = Object.keys(params);
    const currency = params['currency'];
    if (keys.length === 1 && typeof currency === 'string' && /^[A-Z0-9]{2,10}$/.test(currency)) return;
  }
  if (method === 'private/cancel-order') {
    const keys = Object.keys(params);
    const oid = params['client_oid'];
    if (keys.length === 1 && typeof oid === 'string' && oid.startsWith(PROBE_OID_PREFIX)) return;
  }
  throw new UnsafeRequestError(method);
}
