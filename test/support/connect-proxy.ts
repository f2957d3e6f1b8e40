import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxy } from 'proxy';

/**
 * A loopback HTTP CONNECT forward proxy (the well-kept `proxy` package), optionally demanding a
 * token in Proxy-Authorization, recording what it was asked to tunnel to.
 */
export async function startConnectProxy(
  opts: { token?: string } = {},
): Promise<{ url: string; tunnels: string[]; authHeaders: (string | undefined)[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const authHeaders: (string | undefined)[] = [];
  const server = createProxy(createServer());
  server.authenticate = (req) => {
    authHeaders.push(req.headers['proxy-authorization']);
    if (req.method === 'CONNECT') tunnels.push(req.url ?? '');
    return opts.token === undefined || req.headers['proxy-authorization'] === `Bearer ${opts.token}`;
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    authHeaders,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
