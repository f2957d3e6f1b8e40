import { createServer, type Socket } from 'node:net';

/** A TCP server on loopback that accepts connections and never answers: a stalled AWS endpoint. */
export async function startBlackHole(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Point every AWS SDK client made in this describe block at a black hole (with dummy credentials
 * and a region), and put the environment back afterwards. Call it inside `describe`.
 */
export function awsAgainstBlackHole(hooks: { beforeAll(fn: () => Promise<void>): void; afterAll(fn: () => Promise<void>): void }): void {
  let hole: Awaited<ReturnType<typeof startBlackHole>> | undefined;
  const saved = { ...process.env };
  hooks.beforeAll(async () => {
    hole = await startBlackHole();
    Object.assign(process.env, { AWS_ENDPOINT_URL: hole.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
  });
  hooks.afterAll(async () => {
    process.env = saved;
    await hole?.close();
  });
}
