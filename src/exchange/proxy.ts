import type { Dispatcher } from 'undici';
// The HTTP_PROXY/HTTPS_PROXY/NO_PROXY-aware agent (HTTP CONNECT tunnels for https targets), without
// undici's index (see client.ts).
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import DispatcherBase from 'undici/lib/dispatcher/dispatcher.js';
import connectApi from 'undici/lib/api/api-connect.js';

// The proxy agent opens its tunnel with `client.connect()`, an API method undici's index installs on
// every dispatcher; the deep imports skip the index, so install that one method here (proxy mode only).
const proto = DispatcherBase.prototype as unknown as { connect?: unknown };
proto.connect ??= connectApi;

/**
 * Checks can leave through an HTTPS forward proxy on the whitelisted host (HTTP CONNECT: TLS to the
 * exchange stays end to end, the proxy sees only host and port). The token, if any, goes in the
 * Proxy-Authorization header of the CONNECT request and nowhere else.
 */
export interface ProxySettings {
  /** http(s)://host:port of the forward proxy. */
  readonly url: string;
  /** Sent as Proxy-Authorization: verbatim if it names a scheme ("Basic …"), else as "Bearer <token>". */
  readonly token: string | null;
  /** Hosts that bypass the proxy (NO_PROXY syntax). */
  readonly noProxy: string | null;
}

export function proxyAuthorization(token: string): string {
  return /^\S+ \S/.test(token.trim()) ? token.trim() : `Bearer ${token.trim()}`;
}

/** The proxy as it may be shown: scheme, host and port, never credentials or a path. */
export function describeProxy(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(unparseable proxy URL)';
  }
}

export function proxyDispatcher(settings: ProxySettings, agentOptions: Record<string, unknown>): Dispatcher {
  return new EnvHttpProxyAgent({
    ...agentOptions,
    httpProxy: settings.url,
    httpsProxy: settings.url,
    // An explicit value, so the process environment is never consulted behind the caller's back.
    noProxy: settings.noProxy ?? '',
    ...(settings.token ? { token: proxyAuthorization(settings.token) } : {}),
  });
}

export { proxyStatusOf } from './proxy-status.js';
