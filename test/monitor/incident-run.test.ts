import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import type { KeyOutcome } from '../../src/monitor/check-run.js';
import { DIAGNOSIS_TABLE } from '../../src/monitor/diagnosis-table.js';
import { NEW_KEY_STATE, NEW_MONITOR_STATE, type KeyState, type MonitorState } from '../../src/monitor/incident-state.js';
import { boundedOutbox, MAX_OUTBOX, MAX_OUTBOX_BYTES, recordRun, type IncidentRunDeps } from '../../src/monitor/incident-run.js';
import type { IncidentStore, LoadedStates, RunRecord, Stored } from '../../src/monitor/ports.js';
import { newestEntries, RUN_SHARD_SIZE, type RunShard } from '../../src/monitor/run-records.js';
import { CHECK_NAMES, type CheckName, type CheckResult, type Diagnosis } from '../../src/monitor/types.js';

// recordRun over an in-memory store with DynamoDB's semantics (version-conditional writes):
// the outbox, its bound, and keys that leave the configuration. The DynamoDB store itself is
// exercised against moto_server in test/integration/incidents.moto.test.ts.
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);

class MemoryStore implements IncidentStore {
  keys = new Map<string, Stored<KeyState>>();
  monitor: Stored<MonitorState> = { state: NEW_MONITOR_STATE, outbox: [] };
  keyList: string[] = [];
  failKeyWrites = new Set<string>();
  shards = new Map<number, RunShard>();
  /** Every write, as the store's operation name and what it wrote: what a run costs in requests. */
  writes: string[] = [];
  async load(names: readonly string[]): Promise<LoadedStates> {
    const pick = (ns: readonly string[]) => new Map(ns.flatMap((n) => (this.keys.has(n) ? [[n, this.keys.get(n) as Stored<KeyState>] as const] : [])));
    const changed = names.length !== this.keyList.length || names.some((n, i) => this.keyList[i] !== n);
    return {
      keys: pick(names),
      monitor: this.monitor,
      retired: pick(changed ? this.keyList.filter((k) => !names.includes(k)) : []),
      runs: newestEntries([...this.shards.values()]),
      keyListChanged: changed,
    };
  }
  async saveRuns(shards: readonly RunShard[]) {
    for (const shard of shards) {
      this.writes.push(`runs#${shard.index}`);
      if ((this.shards.get(shard.index)?.runAt ?? -1) < shard.runAt) this.shards.set(shard.index, shard);
    }
  }
  async saveKeyList(names: readonly string[]) {
    this.keyList = [...names];
  }
  async saveKey(key: string, readVersion: number, state: KeyState, outbox: readonly Notification[]) {
    this.writes.push(`key:${key}`);
    if (this.failKeyWrites.has(key) || (this.keys.get(key)?.state.version ?? 0) !== readVersion) return false;
    this.keys.set(key, { state, outbox });
    return true;
  }
  async saveMonitor(readVersion: number, state: MonitorState, outbox: readonly Notification[]) {
    this.writes.push('monitor');
    if (this.monitor.state.version !== readVersion) return false;
    this.monitor = { state, outbox };
    return true;
  }
  async clearOutbox(scope: { key: string } | 'monitor', version: number) {
    if (scope === 'monitor') {
      if (this.monitor.state.version === version) this.monitor = { ...this.monitor, outbox: [] };
      return;
    }
    const s = this.keys.get(scope.key);
    if (s && s.state.version === version) this.keys.set(scope.key, { ...s, outbox: [] });
  }
  async appendHistory(records: readonly RunRecord[]) {
    for (const r of records) this.writes.push(`history:${r.key}`);
  }
  async recordIncidents() {}
}

/** A run whose checks all passed (OK), or whose signed read failed with `diagnosis`. */
function outcome(name: string, diagnosis: Diagnosis): KeyOutcome {
  const spec = DIAGNOSIS_TABLE[diagnosis];
  const check = (n: CheckName): CheckResult => {
    const failed = diagnosis !== 'OK' && n === 'signed-read';
    return {
      name: n,
      status: failed ? 'fail' : diagnosis === 'OK' ? 'pass' : 'skip',
      ok: failed ? false : diagnosis === 'OK' ? true : null,
      code: null,
      httpStatus: null,
      latencyMs: 1,
      elapsedMs: 1,
      attempts: 1,
      detail: 'x',
      ...(failed ? { failure: diagnosis } : {}),
    };
  };
  const checks = CHECK_NAMES.map(check);
  return {
    key: { name, secretId: `s/${name}`, expectTrade: true },
    report: {
      healthy: diagnosis === 'OK',
      diagnosis,
      title: spec.title,
      advice: 'fix it',
      egressIp: '203.0.113.7',
      keyPrefix: 'abcd',
      checks,
      notVerified: checks.filter((c) => c.ok === null).map((c) => c.name),
    },
    keyAgeDays: 1,
    elapsedMs: 1,
  };
}

function deps(store: MemoryStore, clock: { now: number }, queue: { down: boolean; got: Notification[] }, warnings: string[] = []): IncidentRunDeps {
  return {
    store,
    sink: {
      send: async (ns) => {
        if (queue.down) throw Object.assign(new Error('queue down'), { name: 'QueueUnavailable' });
        queue.got.push(...ns);
      },
    },
    policy: { openAfterRuns: 1, resolveAfterRuns: 1, remindEveryMs: 5 * MIN, keyMaxAgeDays: 0 },
    messages: { source: 'T', expectedIps: ['203.0.113.7'], links: () => [] },
    now: () => clock.now,
    maintenance: null,
    log: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
  };
}

describe('recordRun', () => {
  it('keeps undelivered notifications in the outbox while the queue is down, bounded to the newest MAX_OUTBOX', async () => {
    const store = new MemoryStore();
    const clock = { now: T0 };
    const queue = { down: true, got: [] as Notification[] };
    const warnings: string[] = [];
    // Open, then a reminder every run (remindEvery 5 min): one more notification per run.
    for (let i = 0; i < MAX_OUTBOX + 10; i++, clock.now += 5 * MIN) await recordRun([outcome('k', 'AUTH_FAILED')], deps(store, clock, queue, warnings));
    const outbox = store.keys.get('k')?.outbox ?? [];
    expect(outbox).toHaveLength(MAX_OUTBOX);
    expect(outbox.at(-1)?.subject).toContain('still failing');
    expect(warnings).toContain('outbox full: dropped the oldest undelivered notifications');
    queue.down = false;
    await recordRun([outcome('k', 'OK')], deps(store, clock, queue));
    expect(queue.got).toHaveLength(MAX_OUTBOX); // still bounded: the resolution is the newest, it stays
    expect(queue.got.at(-1)?.subject).toContain('resolved');
    expect(store.keys.get('k')?.outbox).toEqual([]);
  });

  it('closes an open incident of a key that left the configuration, and moves the key list on only once that is written', async () => {
    const store = new MemoryStore();
    const clock = { now: T0 };
    const queue = { down: false, got: [] as Notification[] };
    await recordRun([outcome('a', 'OK'), outcome('b', 'AUTH_FAILED'), outcome('c', 'OK')], deps(store, clock, queue));
    expect(store.keyList).toEqual(['a', 'b', 'c']);
    expect(queue.got.map((n) => n.subject)).toEqual([expect.stringContaining('b: Authentication failure')]);

    clock.now += 5 * MIN;
    store.failKeyWrites.add('b');
    await recordRun([outcome('a', 'OK')], deps(store, clock, queue));
    expect(store.keyList).toEqual(['a', 'b', 'c']); // b's closing was not written: try again next run

    clock.now += 5 * MIN;
    store.failKeyWrites.clear();
    queue.got = [];
    await recordRun([outcome('a', 'OK')], deps(store, clock, queue));
    expect(queue.got.map((n) => n.subject)).toEqual([expect.stringMatching(/^ℹ️ b: closed, no longer monitored — was Authentication failure .* for 10 min$/)]);
    expect(store.keys.get('b')?.state.incident).toBeNull();
    expect(store.keyList).toEqual(['a']);

    queue.got = [];
    await recordRun([outcome('a', 'OK')], deps(store, clock, queue));
    expect(queue.got).toEqual([]);
  });

  it('a retired key without an open incident costs no write', async () => {
    const store = new MemoryStore();
    const clock = { now: T0 };
    const queue = { down: false, got: [] as Notification[] };
    await recordRun([outcome('a', 'OK'), outcome('b', 'OK')], deps(store, clock, queue));
    const before = store.keys.get('b');
    await recordRun([outcome('a', 'OK')], deps(store, clock, queue));
    expect(store.keys.get('b')).toBe(before);
    expect(store.keyList).toEqual(['a']);
    expect(NEW_KEY_STATE.incident).toBeNull();
  });

  it('removing many keys with open incidents at once makes one summary, not one notification per key', async () => {
    const store = new MemoryStore();
    const clock = { now: T0 };
    const queue = { down: false, got: [] as Notification[] };
    const names = Array.from({ length: 30 }, (_, i) => `k${i}`);
    await recordRun([outcome('keep', 'OK'), ...names.map((n) => outcome(n, 'AUTH_FAILED'))], deps(store, clock, queue));
    queue.got = [];
    clock.now += 5 * MIN;
    await recordRun([outcome('keep', 'OK')], deps(store, clock, queue));
    expect(queue.got).toHaveLength(1);
    expect(queue.got[0]?.subject).toBe('ℹ️ 30 keys no longer monitored: their open incidents are closed');
    expect(queue.got[0]?.facts.at(-1)?.value).toBe('and 10 more');
    expect(names.every((n) => store.keys.get(n)?.state.incident === null)).toBe(true);
  });
});

describe('what a run writes', () => {
  it('a steady healthy run of 250 keys writes no item per key: three run-record shards, nothing else', async () => {
    const store = new MemoryStore();
    const clock = { now: T0 };
    const queue = { down: false, got: [] as Notification[] };
    const names = Array.from({ length: 250 }, (_, i) => `key-${i}`);
    // The first runs write each key's state once (new key, then its counters settle).
    for (let i = 0; i < 3; i++, clock.now += 5 * MIN)
      await recordRun(
        names.map((n) => outcome(n, 'OK')),
        deps(store, clock, queue),
      );
    store.writes = [];
    await recordRun(
      names.map((n) => outcome(n, 'OK')),
      deps(store, clock, queue),
    );
    expect(store.writes).toEqual(['runs#0', 'runs#1', 'runs#2']);
    expect(Math.ceil(names.length / RUN_SHARD_SIZE)).toBe(3);
    // ...and the run records still say when each key was last checked.
    expect(newestEntries([...store.shards.values()]).get('key-249')?.at).toBe(clock.now);
  });

  it('a key that fails writes its state (with the notification it owes) and a history record; the healthy ones still write nothing', async () => {
    const store = new MemoryStore();
    const clock = { now: T0 };
    const queue = { down: false, got: [] as Notification[] };
    const names = ['a', 'b', 'c'];
    for (let i = 0; i < 3; i++, clock.now += 5 * MIN)
      await recordRun(
        names.map((n) => outcome(n, 'OK')),
        deps(store, clock, queue),
      );
    store.writes = [];
    await recordRun([outcome('a', 'OK'), outcome('b', 'AUTH_FAILED'), outcome('c', 'OK')], deps(store, clock, queue));
    expect(store.writes.sort()).toEqual(['history:b', 'key:b', 'runs#0']);
    expect(queue.got.map((n) => n.subject)).toEqual([expect.stringContaining('b: Authentication failure')]);
    // Still failing, no reminder due: the state moves (failed runs count), so it is written; the healthy keys are not.
    store.writes = [];
    clock.now += MIN;
    await recordRun([outcome('a', 'OK'), outcome('b', 'AUTH_FAILED'), outcome('c', 'OK')], deps(store, clock, queue));
    expect(store.writes.filter((w) => w.endsWith(':a') || w.endsWith(':c'))).toEqual([]);
  });

  it('a stored outbox is sent even when the state did not change', async () => {
    const store = new MemoryStore();
    const clock = { now: T0 };
    const queue = { down: true, got: [] as Notification[] };
    await recordRun([outcome('k', 'AUTH_FAILED')], deps(store, clock, queue));
    expect(store.keys.get('k')?.outbox).toHaveLength(1);
    queue.down = false;
    clock.now += MIN;
    await recordRun([outcome('k', 'AUTH_FAILED')], deps(store, clock, queue));
    expect(queue.got.map((n) => n.kind)).toEqual(['opened']);
    expect(store.keys.get('k')?.outbox).toEqual([]);
  });
});

describe('boundedOutbox', () => {
  it('keeps the newest notifications within both the count and the byte bound', () => {
    const big = (i: number): Notification =>
      ({
        ...{
          schemaVersion: 1,
          kind: 'reminder',
          severity: 'critical',
          fix: null,
          facts: [],
          links: [],
          scope: { type: 'monitor' },
          occurredAt: '',
          source: 's',
        },
        id: `n${i}`,
        subject: `s${i}`,
        summary: 'x'.repeat(30_000),
      }) as Notification;
    const kept = boundedOutbox(Array.from({ length: 20 }, (_, i) => big(i)));
    expect(kept.map((n) => n.id)).toEqual(['n14', 'n15', 'n16', 'n17', 'n18', 'n19']);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(MAX_OUTBOX_BYTES);
  });
});
