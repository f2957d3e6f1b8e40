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
 * Whether the URL is exactly the method's path under a base path that is an API root. A pure function
 * of its three texts, and a client asks the same few URLs a thousand times a run: each answer is
 * remembered (bounded), the parameters are still judged on every request.
 */
function urlIsMethodPath(url: string, basePath: string, method: string): boolean {
  // JSON of the three: no two different triples share an id, whatever characters they hold.
  const id = JSON.stringify([basePath, method, url]);
  let ok = URL_VERDICTS.get(id);
  if (ok === undefined) {
    ok = judgeUrl(url, basePath, method);
    if (URL_VERDICTS.size >= MAX_URL_VERDICTS) URL_VERDICTS.clear();
    URL_VERDICTS.set(id, ok);
  }
  return ok;
}

const URL_VERDICTS = new Map<string, boolean>();
const MAX_URL_VERDICTS = 256;

function judgeUrl(url: string, basePath: string, method: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // The exact text, not a normalised form: "/x/../private/user-balance" must not pass as a read.
  return url === `${parsed.origin}${basePath}/${method}` && basePathProblem(basePath) === null;
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
  if (!urlIsMethodPath(url, basePath, method)) throw new UnsafeRequestError(method);
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
