import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { keyIdOf } from '../../src/monitor/cadence.js';
import { inUseOf } from '../../src/monitor/exposure.js';
import { NEW_MONITOR_STATE } from '../../src/monitor/incident-state.js';
import type { KeyVerificationLoad, VerificationStore } from '../../src/monitor/ports.js';
import type { RunEntry } from '../../src/monitor/run-records.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { verifyKey } from '../../src/monitor/verify-key.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { SANDBOX_EXPOSED_PORTFOLIO } from '../../src/sandbox/portfolio.js';

/** What is open on an account is read again at least hourly whatever the spaced probes' period: by a verification too (it runs when the bot was refused, and quotes what was open). */
describe('a verification and the hour a snapshot of what is open may stand', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox?.close());

  it('a snapshot two hours old (default spacedProbeMinutes 180) is read again by a verification', async () => {
    const creds = sandbox.mint('open-exposure');
    const config = loadRuntimeConfig({
      MONITORED_KEYS: JSON.stringify([{ name: 'trading', secretId: 'x', expectTrade: true }]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
    });
    expect(config.spacedProbeMs).toBe(180 * 60_000);
    const now = Date.now();
    const twoHoursAgo = now - 120 * 60_000;
    const sig = inUseOf(SANDBOX_EXPOSED_PORTFOLIO.data as Record<string, unknown>[]).sig;
    const run: RunEntry = {
      at: twoHoursAgo,
      diagnosis: 'OK',
      days: {},
      keyId: keyIdOf(creds.apiKey) as string,
      exposure: { at: twoHoursAgo, sig, orders: { count: 0, buyNotional: 0, sellNotional: 0, top: [] }, positions: { count: 0, top: [] } },
    };
    const store: VerificationStore = {
      loadKey: async (): Promise<KeyVerificationLoad> => ({ key: undefined, monitor: { state: NEW_MONITOR_STATE, outbox: [] }, run, unreadable: [] }),
      saveKey: async () => true,
      clearOutbox: async () => {},
      saveRunEntry: async () => {},
      appendHistory: async () => {},
      recordIncidents: async () => {},
    };
    sandbox.requests.length = 0;
    const r = await verifyKey(
      {
        config,
        logGroups: new Map(),
        secrets: { getMany: async () => new Map([['x', { verdict: { ok: true, credentials: creds }, createdDate: null }]]) },
        target: lambdaCheckTarget(config),
        now: Date.now,
        gate: { claim: async () => true },
        store,
        sink: { send: async () => {} },
        policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 3_600_000, keyMaxAgeDays: 90 },
        messages: { source: 's', expectedIps: ['203.0.113.7'], links: () => [] },
        log: { info: () => {}, warn: () => {}, error: () => {} },
      },
      { key: 'trading' },
      30_000,
    );
    expect(r).toMatchObject({ status: 'verified' });
    const sent = sandbox.requests.filter((q) => q.method === 'private/get-open-orders').length;
    expect(sent, 'open orders read by the verification').toBe(1);
  });
});
