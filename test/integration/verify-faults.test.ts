import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { NEW_MONITOR_STATE, type KeyState } from '../../src/monitor/incident-state.js';
import type { KeyVerificationLoad, VerificationStore } from '../../src/monitor/ports.js';
import type { RunEntry } from '../../src/monitor/run-records.js';
import { loadRuntimeConfig, type RuntimeConfig } from '../../src/monitor/runtime-config.js';
import { keyIdOf } from '../../src/monitor/cadence.js';
import { inUseOf } from '../../src/monitor/exposure.js';
import { SANDBOX_EXPOSED_PORTFOLIO } from '../../src/sandbox/portfolio.js';
import type { Credentials } from '../../src/monitor/types.js';
import { verifyKey, type VerifyKeyDeps } from '../../src/monitor/verify-key.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';

/**
 * A verification when AWS fails under it: the key is still checked and its verdict returned, and
 * what could not be recorded or sent is said, never claimed. The exchange is the loopback sandbox;
 * the store and queue are in memory, failing on demand.
 */
class FlakyStore implements VerificationStore {
  failLoad = false;
  failSave = false;
  /** The key's run record as the store holds it. */
  run: RunEntry | undefined = undefined;
  saved: { state: KeyState; outbox: readonly Notification[] }[] = [];
  async loadKey(): Promise<KeyVerificationLoad> {
    if (this.failLoad) throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    return { key: undefined, monitor: { state: NEW_MONITOR_STATE, outbox: [] }, run: this.run, unreadable: [] };
  }
  async saveKey(_key: string, _v: number, state: KeyState, outbox: readonly Notification[]) {
    if (this.failSave) throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    this.saved.push({ state, outbox });
    return true;
  }
  async clearOutbox() {}
  async saveRunEntry(_s: number, _k: string, _build: (current: RunEntry | undefined) => RunEntry | null) {}
  async appendHistory() {}
  async recordIncidents() {}
}

describe('a verification when AWS fails under it', () => {
  let sandbox: Sandbox;
  const lines: string[] = [];
  const log = { info: () => {}, warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  let config: RuntimeConfig;
  let deps: (store: FlakyStore, over?: Partial<VerifyKeyDeps>) => VerifyKeyDeps;
  const secretsOf = (credentials: Credentials) =>
    ({ getMany: async () => new Map([['x', { verdict: { ok: true, credentials }, createdDate: null }]]) }) as VerifyKeyDeps['secrets'];

  beforeAll(async () => {
    sandbox = await startSandbox();
    const creds = sandbox.mint('ip-not-whitelisted');
    config = loadRuntimeConfig({
      MONITORED_KEYS: JSON.stringify([{ name: 'trading', secretId: 'x', expectTrade: true }]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
    });
    deps = (store, over = {}) => ({
      config,
      logGroups: new Map(),
      secrets: secretsOf(creds),
      target: lambdaCheckTarget(config),
      now: Date.now,
      gate: { claim: async () => true },
      store,
      sink: { send: async () => {} },
      policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 3_600_000, keyMaxAgeDays: 90 },
      messages: { source: 's', expectedIps: ['203.0.113.7'], links: () => [] },
      log,
      ...over,
    });
  });
  afterAll(() => sandbox?.close());

  it('a queue that refuses: the verdict comes back, the alert stays in the outbox for the next run, and nothing claims it was queued', async () => {
    const store = new FlakyStore();
    const r = await verifyKey(
      deps(store, {
        sink: {
          send: async () => {
            throw Object.assign(new Error('x'), { name: 'KMSAccessDeniedException' });
          },
        },
      }),
      { key: 'trading' },
      30_000,
    );
    expect(r).toMatchObject({
      status: 'verified',
      diagnosis: 'IP_NOT_WHITELISTED',
      notified: [],
      note: 'the notification queue did not take the alert; the next scheduled run sends it',
    });
    expect(store.saved[0]?.outbox.map((n) => n.kind)).toEqual(['opened']);
  });

  it('a state write that fails, or a state that cannot be read: the verdict comes back and says it was not recorded', async () => {
    const failing = new FlakyStore();
    failing.failSave = true;
    expect(await verifyKey(deps(failing), { key: 'trading' }, 30_000)).toMatchObject({
      status: 'verified',
      healthy: false,
      notified: [],
      note: 'the incident state could not be written; the next scheduled run records this key and alerts',
    });
    const unreadable = new FlakyStore();
    unreadable.failLoad = true;
    expect(await verifyKey(deps(unreadable), { key: 'trading' }, 30_000)).toMatchObject({
      status: 'verified',
      diagnosis: 'IP_NOT_WHITELISTED',
      notified: [],
      note: 'the incident state could not be read; the next scheduled run records this key',
    });
    expect(unreadable.saved).toEqual([]);
  });

  it('the bot’s words reach the alert without its key, its secret or the proxy token, whatever it put in them', async () => {
    const sent: Notification[] = [];
    const store = new FlakyStore();
    const d = deps(store, {
      sink: {
        send: async (ns) => {
          sent.push(...ns);
        },
      },
    });
    const creds = ((await d.secrets.getMany(['x'])).get('x')?.verdict as { credentials: { apiKey: string; apiSecret: string } }).credentials;
    const token = 'proxy-token-0123456789abcdef';
    const r = await verifyKey(
      { ...d, target: { ...d.target, sensitive: [token] } },
      { key: 'trading', reason: `refused; api_key=${creds.apiKey} secret ${creds.apiSecret} via https://bot:${token}@proxy.example:3128` },
      30_000,
    );
    expect(r).toMatchObject({ status: 'verified', notified: [expect.any(String)] });
    const text = JSON.stringify(sent);
    expect(text).toContain('a nudge (\\"refused; api_key=');
    expect(text).not.toContain(creds.apiKey.slice(0, 5));
    expect(text).not.toContain(creds.apiSecret.slice(0, 8));
    expect(text).not.toContain(token.slice(0, 8));
  });

  it('a key the bot still logs after a rotation (not the one the monitor holds) is masked by its field name', async () => {
    const sent: Notification[] = [];
    const d = deps(new FlakyStore(), {
      sink: {
        send: async (ns) => {
          sent.push(...ns);
        },
      },
    });
    const old = 'OLDk3yZZ9qWertyUiop';
    await verifyKey(d, { key: 'trading', reason: `refused api_key=${old}&signature: 0f0f` }, 30_000);
    const text = JSON.stringify(sent);
    expect(text).toContain('api_key=[redacted]');
    expect(text).not.toContain(old.slice(0, 5));
  });

  it('a debounce that cannot be asked checks nothing and fails the invocation (Lambda counts the error)', async () => {
    const before = sandbox.requests.length;
    const gate = {
      claim: async () => {
        throw Object.assign(new Error('x'), { name: 'AccessDeniedException' });
      },
    };
    await expect(verifyKey(deps(new FlakyStore(), { gate }), { key: 'trading' }, 30_000)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(sandbox.requests.length).toBe(before);
  });

  // What is open on an account is read again at least hourly whatever the spaced probes' period: by a
  // verification too (it runs when the bot was refused, and quotes what was open).
  it('a snapshot of what is open two hours old (default spacedProbeMinutes 180) is read again by a verification', async () => {
    const creds = sandbox.mint('open-exposure');
    expect(config.spacedProbeMs).toBe(180 * 60_000);
    const twoHoursAgo = Date.now() - 120 * 60_000;
    const sig = inUseOf(SANDBOX_EXPOSED_PORTFOLIO.data as Record<string, unknown>[]).sig;
    const store = new FlakyStore();
    store.run = {
      at: twoHoursAgo,
      diagnosis: 'OK',
      days: {},
      keyId: keyIdOf(creds.apiKey) as string,
      exposure: { at: twoHoursAgo, sig, orders: { count: 0, buyNotional: 0, sellNotional: 0, top: [] }, positions: { count: 0, top: [] } },
    };
    sandbox.requests.length = 0;
    const r = await verifyKey(deps(store, { secrets: secretsOf(creds) }), { key: 'trading' }, 30_000);
    expect(r).toMatchObject({ status: 'verified' });
    const sent = sandbox.requests.filter((q) => q.method === 'private/get-open-orders').length;
    expect(sent, 'open orders read by the verification').toBe(1);
  });
});
