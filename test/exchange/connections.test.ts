import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTIONS_PER_ORIGIN } from '../../src/contract/defaults.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { checkClient } from '../../src/monitor/check-client.js';

// A loopback server that counts the connections open at once: the client's pool per origin is the
// bound, however many keys a run checks at the same time.
describe('the exchange client keeps a bounded pool of sockets per origin', () => {
  let server: Server;
  let origin = '';
  let open = 0;
  let peak = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      setTimeout(() => res.end(JSON.stringify({ id: 1, method: 'public/get-tickers', code: 0, result: { data: [{ t: Date.now() }] } })), 30);
    });
    server.on('connection', (socket) => {
      open++;
      peak = Math.max(peak, open);
      socket.on('close', () => open--);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('opens at most `connections` sockets for 40 requests at once, and answers them all', async () => {
    peak = 0;
    const client = checkClient({ baseUrl: `${origin}/exchange/v1`, timeoutMs: 5_000, connections: 4 });
    const replies = await Promise.all(Array.from({ length: 40 }, () => client.publicGet('public/get-tickers', { instrument_name: 'BTC_USD' })));
    await client.close();
    expect(replies.every((r) => r.reply.kind === 'answer')).toBe(true);
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1);
  });

  it('the Lambda’s check target uses CONNECTIONS_PER_ORIGIN', async () => {
    peak = 0;
    const target = lambdaCheckTarget({ baseUrl: `${origin}/exchange/v1`, timeoutMs: 5_000, expectedIps: [], ipEchoUrl: null });
    await Promise.all(
      Array.from({ length: CONNECTIONS_PER_ORIGIN * 2 }, () => target.exchange.publicGet('public/get-tickers', { instrument_name: 'BTC_USD' })),
    );
    await (target.exchange as unknown as { close(): Promise<void> }).close();
    expect(peak).toBeLessThanOrEqual(CONNECTIONS_PER_ORIGIN);
  });
});
