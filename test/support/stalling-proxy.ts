import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * An HTTP stand-in for an AWS endpoint that forwards to the real emulator, except that any request
 * whose body mentions one of the given markers is swallowed: accepted and never answered.
 */
export async function startStallingProxy(target: string, markers: readonly string[]): Promise<{ endpoint: string; stalled: number; close(): Promise<void> }> {
  const held: ServerResponse[] = [];
  const state = { stalled: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (markers.some((m) => body.includes(m))) {
        state.stalled++;
        held.push(res);
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>;
      fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, body: body.length > 0 ? body : undefined })
        .then(async (r) => {
          const text = Buffer.from(await r.arrayBuffer());
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    get stalled() {
      return state.stalled;
    },
    close: async () => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
