/**
 * The status a forward proxy gave our CONNECT, read from undici's error. Apart from the proxy agent
 * (proxy.ts), which the exchange client loads only for proxy egress.
 */

/** "Proxy response (407) !== 200 when HTTP Tunneling": the status the proxy gave our CONNECT. */
export function proxyStatusOf(err: unknown): number | null {
  const message = (err as { message?: unknown } | null)?.message;
  const m = typeof message === 'string' ? /Proxy response \((\d{3})\)/.exec(message) : null;
  return m ? Number(m[1]) : null;
}
