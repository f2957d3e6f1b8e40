import { describe, expect, it } from 'vitest';
import type { TimedReply } from '../../src/exchange/client.js';
import { parseReply } from '../../src/exchange/reply.js';
import { runChecks } from '../../src/monitor/checks.js';
import { validateCredentials } from '../../src/monitor/credentials.js';
import type { ExchangePort } from '../../src/monitor/ports.js';
import { SANDBOX_PORTFOLIO } from '../../src/sandbox/portfolio.js';

/**
 * The IP echo and the ticker are asked once per run and their checks are judged once for every key:
 * what they say must still be masked (a proxy's page can quote its own token), the same for every
 * key, and judged again when the run's answer or its secrets differ.
 */
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const TOKEN = 'proxy-token-0123456789abcdef';
const timed = (status: number, body: string): TimedReply => ({ reply: parseReply(status, body, null), attempts: 1, latencyMs: 5, totalMs: 5, midpointMs: T0 });
const balance = timed(200, JSON.stringify({ code: 0, result: SANDBOX_PORTFOLIO }));

/** One run's port: the shared answers are the same objects for every key, as check-run's sharedPerRun gives them. */
function runPort(ticker: TimedReply, echo: string): ExchangePort {
  const text = { text: echo, timed: timed(200, echo) };
  return {
    getText: async () => text,
    publicGet: async () => ticker,
    privatePost: async (method) => (method === 'private/user-balance' ? balance : timed(200, JSON.stringify({ code: 316, message: 'NO_ACTIVE_ORDER' }))),
  };
}

const keys = ['abcd1234efgh5678ijkl', 'wxyz9876vuts5432rqpo'].map((apiKey, i) => validateCredentials({ apiKey, apiSecret: `secret-${i}-secretsecretsecret` }));

async function check(exchange: ExchangePort, sensitive: readonly string[], expectedIps: readonly string[] = []) {
  return Promise.all(
    keys.map((credentials) =>
      runChecks({
        credentials,
        expectTrade: true,
        expectedIps,
        ipEchoUrl: 'http://127.0.0.1/ip',
        exchange,
        site: { egressMode: 'direct' } as never,
        sensitive,
        now: () => T0,
      }),
    ),
  );
}

const detail = (r: { checks: readonly { name: string; detail: string }[] }, name: string) => r.checks.find((c) => c.name === name)?.detail ?? '';

describe('answers every key of a run shares', () => {
  it('a ticker page that quotes the proxy token is masked for every key', async () => {
    const sensitive = [TOKEN];
    const reports = await check(
      runPort(timed(502, `<html><body>Bad gateway for Proxy-Authorization: Bearer ${TOKEN}</body></html>`), '203.0.113.7'),
      sensitive,
    );
    for (const r of reports) {
      expect(detail(r, 'public-api')).toContain('[redacted]');
      expect(detail(r, 'public-api')).not.toContain(TOKEN.slice(0, 8));
    }
    expect(detail(reports[0]!, 'public-api')).toBe(detail(reports[1]!, 'public-api'));
  });

  it('judged again for another answer, another whitelist or other secrets: never a verdict from another run', async () => {
    const sensitive = [TOKEN];
    const port = runPort(timed(200, JSON.stringify({ code: 0, result: { data: [{ i: 'BTC_USD', t: T0 }] } })), '203.0.113.7');
    const [whitelisted] = await check(port, sensitive, ['203.0.113.7']);
    expect(whitelisted!.checks.find((c) => c.name === 'egress-ip')?.status).toBe('pass');
    const [elsewhere] = await check(port, sensitive, ['198.51.100.1']);
    expect(elsewhere!.diagnosis).toBe('EGRESS_IP_MISMATCH');
    const [masked] = await check(runPort(timed(502, `token ${TOKEN}`), '203.0.113.7'), sensitive);
    expect(detail(masked!, 'public-api')).not.toContain(TOKEN.slice(0, 8));
    // The same answer object with the token not among the run's secrets: judged anew, not taken from the cache.
    const page = timed(502, `token ${TOKEN}`);
    const [first] = await check(runPort(page, '203.0.113.7'), [TOKEN]);
    const [second] = await check(runPort(page, '203.0.113.7'), ['zzzzqqqqwwwweeee']);
    expect(detail(first!, 'public-api')).not.toContain(TOKEN.slice(0, 8));
    expect(detail(second!, 'public-api')).toContain(TOKEN);
  });
});
