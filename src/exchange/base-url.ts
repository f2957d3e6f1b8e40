/**
 * Which exchange base URLs the monitor will sign requests for. The probe guard judges every request
 * by its full URL, and a base URL that already carries a path to a method (…/private/cancel-all-orders)
 * or a query string would turn "POST {base}/private/user-balance" into something else entirely, so
 * such bases are refused up front, in the CLI, the Lambdas and the CDK config alike.
 */
export type BaseUrlVerdict = { readonly ok: true; readonly url: string } | { readonly ok: false; readonly problem: string };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** What a base path segment may hold: letters, digits and the unreserved - . _ ~ (RFC 3986). */
const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * Whether a path segment could be taken for the `private` or `public` namespace by some server: case
 * folded and stripped of everything but letters and digits (PRIVATE, Private, private;, private.,
 * pri-vate and private;jsessionid=… all count). Servers differ in what they fold, ignore or decode;
 * the guard must not depend on which one is in front of the exchange.
 */
export function namesANamespace(segment: string): boolean {
  const folded = segment.toLowerCase().replace(/[^a-z0-9]/g, '');
  return folded.includes('private') || folded.includes('public');
}

/** Why a URL path cannot be an API root, or null. The path is judged as parsed (dot segments resolved). */
export function basePathProblem(pathname: string): string | null {
  const segments = pathname.split('/').filter(Boolean);
  const root = 'must be the API root (like https://api.crypto.com/exchange/v1)';
  if (segments.some((s) => s === '.' || s === '..' || namesANamespace(s))) return `${root}, not a method path`;
  if (segments.some((s) => !PLAIN_SEGMENT.test(s))) return `${root}: its path may hold only letters, digits and - . _ ~ (no %-escapes, ; or other separators)`;
  return null;
}

/**
 * https only; plain http only on loopback (the built-in sandbox, a local relay), where nothing
 * crosses a network. No credentials, query or fragment; no method segments in the path, in any
 * spelling (case, separators, escapes).
 */
export function checkBaseUrl(text: string): BaseUrlVerdict {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { ok: false, problem: 'is not a URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, problem: 'must be an https:// URL' };
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return { ok: false, problem: 'must use https:// (plain http:// would send signed requests in clear text; only loopback may use it)' };
  }
  if (url.username || url.password) return { ok: false, problem: 'must not contain a user name or password' };
  if (url.search || text.includes('?')) return { ok: false, problem: 'must not contain a query string (?…)' };
  if (url.hash || text.includes('#')) return { ok: false, problem: 'must not contain a fragment (#…)' };
  const pathProblem = basePathProblem(url.pathname);
  if (pathProblem) return { ok: false, problem: pathProblem };
  return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/** Plain http to a non-loopback host is refused for anything that carries a key. */
export function isSecureOrLoopback(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}

/** Why a forward proxy URL is refused; each caller words it for where the URL came from. */
export type ProxyUrlProblem = 'not-a-url' | 'scheme' | 'credentials' | 'path' | 'token-in-clear';

/**
 * An HTTP CONNECT proxy: http(s)://host[:port], no credentials in the URL (a token travels apart).
 * A path or query is refused rather than dropped: a CONNECT request has neither, so a proxy named
 * with one is not the proxy the user meant. With a token, plain http:// is for loopback only: the
 * Proxy-Authorization header would otherwise cross the network in clear text.
 */
export function checkProxyUrl(text: string, opts: { readonly withToken?: boolean } = {}): { ok: true; url: string } | { ok: false; problem: ProxyUrlProblem } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { ok: false, problem: 'not-a-url' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, problem: 'scheme' };
  if (url.username || url.password) return { ok: false, problem: 'credentials' };
  // Judged on the text as typed too: the URL parser folds `/%2e` or a bare `?` into nothing.
  const afterHost = text.trim().replace(/^[a-z][a-z0-9+.-]*:[\\/]*[^/\\?#]*/i, '');
  if (url.pathname !== '/' || url.search || url.hash || (afterHost !== '' && afterHost !== '/')) return { ok: false, problem: 'path' };
  if (opts.withToken && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return { ok: false, problem: 'token-in-clear' };
  return { ok: true, url: `${url.protocol}//${url.host}` };
}
