import { describe, expect, it } from 'vitest';
import { DIAGNOSIS_TABLE } from '../../src/monitor/diagnosis-table.js';
import { notificationFor } from '../../src/monitor/incident-messages.js';
import { decideRun, type IncidentEvent, type IncidentPolicy } from '../../src/monitor/incident-rules.js';
import { countDay, uptime, type DayCounts } from '../../src/monitor/run-records.js';
import { NEW_MONITOR_STATE, type KeyRun, type KeyState, type MonitorState } from '../../src/monitor/incident-state.js';
import { CHECK_NAMES, type CheckName, type Diagnosis } from '../../src/monitor/types.js';

// The rules take the clock as an argument: every test here moves time, none sleeps.
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const POLICY: IncidentPolicy = { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 4 * 60 * MIN, keyMaxAgeDays: 90 };
const ctx = { source: 'ExchangeKeyMonitor', expectedIps: ['203.0.113.7'], links: () => [] };

function run(key: string, diagnosis: Diagnosis, over: Partial<KeyRun> = {}): KeyRun {
  return {
    key,
    keyPrefix: 'sbx1',
    diagnosis,
    code: diagnosis === 'IP_NOT_WHITELISTED' ? 40103 : null,
    httpStatus: null,
    egressIp: '203.0.113.7',
    advice: DIAGNOSIS_TABLE[diagnosis].advice({ egressIp: '203.0.113.7', expectedIps: ['203.0.113.7'], keyPrefix: 'sbx1', detail: 'x', site: 'aws' }),
    facts: [],
    keyAgeDays: 10,
    ...over,
    // An OK run here passed every check conclusively; a failing one proved nothing else.
    verified: over.verified ?? (diagnosis === 'OK' ? CHECK_NAMES : []),
  };
}

/** Drives the rules run after run, like the scheduled Lambda would, keeping state between runs. */
class Monitor {
  keys = new Map<string, KeyState>();
  /** Per key, the day counts its run record keeps. */
  days = new Map<string, DayCounts>();
  monitor: MonitorState = NEW_MONITOR_STATE;
  sent: IncidentEvent[] = [];
  suppressed: IncidentEvent[] = [];
  constructor(private readonly policy: IncidentPolicy = POLICY) {}
  at(now: number, runs: KeyRun[]) {
    const d = decideRun({ now, policy: this.policy, runs, keyStates: this.keys, monitor: this.monitor });
    this.keys = new Map(d.keyStates);
    for (const [k, ok] of d.countedOk) this.days.set(k, countDay(this.days.get(k) ?? {}, now, ok));
    this.monitor = d.monitor;
    this.sent.push(...d.events);
    this.suppressed.push(...d.suppressed);
    return d;
  }
  subjects(now = T0) {
    return this.sent.map((e) => notificationFor(e, now, ctx).subject);
  }
}

describe('key incidents', () => {
  it('opens at once for a key verdict, with a lock-screen subject that says what to do', () => {
    const m = new Monitor();
    m.at(T0, [run('trading', 'IP_NOT_WHITELISTED')]);
    expect(m.subjects()).toEqual(['🔴 trading: IP not whitelisted (40103) — add 203.0.113.7 to the key']);
    m.at(T0 + 5 * MIN, [run('trading', 'IP_NOT_WHITELISTED')]);
    expect(m.sent).toHaveLength(1);
  });

  it.each([
    'AUTH_FAILED',
    'IP_NOT_WHITELISTED',
    'TRADE_PERMISSION_MISSING',
    'TRADE_PERMISSION_UNEXPECTED',
    'CREDENTIALS_MISSING',
    'CREDENTIALS_MALFORMED',
  ] as const)('%s opens on the first failing run', (d) => {
    const m = new Monitor();
    m.at(T0, [run('k', d)]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
  });

  it.each(['RATE_LIMITED', 'EXCHANGE_UNAVAILABLE'] as const)('%s opens only after openAfterRuns failing runs in a row', (d) => {
    const m = new Monitor();
    m.at(T0, [run('k', d)]);
    m.at(T0 + 5 * MIN, [run('k', 'OK')]);
    m.at(T0 + 10 * MIN, [run('k', d)]);
    expect(m.sent).toHaveLength(0);
    m.at(T0 + 15 * MIN, [run('k', d)]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    const n = notificationFor(m.sent[0] as IncidentEvent, T0 + 15 * MIN, ctx);
    expect(n.summary).toContain('since 2026-12-01 10:10 UTC');
  });

  it('resolves once, with its duration and failed runs', () => {
    const m = new Monitor();
    for (let i = 0; i < 5; i++) m.at(T0 + i * 5 * MIN, [run('trading', 'AUTH_FAILED')]);
    m.at(T0 + 25 * MIN, [run('trading', 'OK')]);
    m.at(T0 + 30 * MIN, [run('trading', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'resolved']);
    expect(m.subjects()[1]).toBe('✅ trading: resolved after 25 min, 5 failed runs — was Authentication failure (40101 / HTTP 401)');
  });

  it('waits for resolveAfterRuns OK runs before resolving', () => {
    const m = new Monitor({ ...POLICY, resolveAfterRuns: 2 });
    m.at(T0, [run('k', 'AUTH_FAILED')]);
    m.at(T0 + 5 * MIN, [run('k', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    m.at(T0 + 10 * MIN, [run('k', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'resolved']);
  });

  it('says so once when the diagnosis changes inside an incident', () => {
    const m = new Monitor();
    m.at(T0, [run('trading', 'AUTH_FAILED')]);
    m.at(T0 + 5 * MIN, [run('trading', 'IP_NOT_WHITELISTED')]);
    m.at(T0 + 10 * MIN, [run('trading', 'IP_NOT_WHITELISTED')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'changed']);
    expect(m.subjects()[1]).toBe('🔴 trading: now IP not whitelisted (40103) — add 203.0.113.7 to the key');
    expect(notificationFor(m.sent[1] as IncidentEvent, T0, ctx).summary).toContain('changed from Authentication failure');
  });

  it('treats one transient reading inside a verdict incident as a blip: "changed" only once it persists openAfterRuns', () => {
    const m = new Monitor();
    m.at(T0, [run('trading', 'AUTH_FAILED')]);
    m.at(T0 + 5 * MIN, [run('trading', 'EXCHANGE_UNAVAILABLE')]);
    m.at(T0 + 10 * MIN, [run('trading', 'AUTH_FAILED')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    m.at(T0 + 15 * MIN, [run('trading', 'EXCHANGE_UNAVAILABLE')]);
    m.at(T0 + 20 * MIN, [run('trading', 'EXCHANGE_UNAVAILABLE')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'changed']);
  });

  it('reminds every remindEveryHours while open, saying for how long', () => {
    const m = new Monitor();
    for (let t = 0; t <= 9 * 60; t += 5) m.at(T0 + t * MIN, [run('trading', 'TRADE_PERMISSION_MISSING')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'reminder', 'reminder']);
    expect(notificationFor(m.sent[1] as IncidentEvent, T0 + 240 * MIN, ctx).subject).toBe(
      '🔴 trading: still failing after 4 h — Key cannot trade (reads work, writes fail with 40101)',
    );
  });

  it('a reminder that falls on a blip run states the incident’s evidence and fix, not the blip’s', () => {
    const m = new Monitor();
    for (let t = 0; t < 240; t += 5) m.at(T0 + t * MIN, [run('trading', 'AUTH_FAILED', { code: 40101 })]);
    m.at(T0 + 240 * MIN, [run('trading', 'EXCHANGE_UNAVAILABLE')]);
    const reminder = m.sent.find((e) => e.kind === 'reminder') as IncidentEvent;
    const n = notificationFor(reminder, T0 + 240 * MIN, ctx);
    expect(n.subject).toContain('Authentication failure');
    expect(n.fix).toBe(run('trading', 'AUTH_FAILED').advice);
    expect(n.fix).not.toContain('no key action');
  });

  it('sends no reminders with remindEveryHours 0', () => {
    const m = new Monitor({ ...POLICY, remindEveryMs: 0 });
    for (let t = 0; t <= 24 * 60; t += 60) m.at(T0 + t * MIN, [run('k', 'AUTH_FAILED')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
  });

  /** What a stored acknowledgement does to the rules: set on the key's open incident between runs. */
  function acknowledge(m: Monitor, key: string, at: number) {
    const state = m.keys.get(key) as KeyState;
    if (!state.incident) throw new Error('no open incident to acknowledge');
    m.keys.set(key, { ...state, incident: { ...state.incident, ack: { by: 'Ann', at, note: null, via: 'cli' } } });
  }

  it('stops reminders while the incident is acknowledged (acknowledgedRemindEveryHours 0)', () => {
    const m = new Monitor();
    m.at(T0, [run('trading', 'TRADE_PERMISSION_MISSING')]);
    acknowledge(m, 'trading', T0 + MIN);
    for (let t = 5; t <= 24 * 60; t += 5) m.at(T0 + t * MIN, [run('trading', 'TRADE_PERMISSION_MISSING')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    expect(m.keys.get('trading')?.incident?.ack?.by).toBe('Ann');
  });

  it('slows reminders to acknowledgedRemindEveryHours while acknowledged', () => {
    const m = new Monitor({ ...POLICY, acknowledgedRemindEveryMs: 12 * 60 * MIN });
    m.at(T0, [run('trading', 'TRADE_PERMISSION_MISSING')]);
    acknowledge(m, 'trading', T0 + MIN);
    for (let t = 5; t <= 24 * 60; t += 5) m.at(T0 + t * MIN, [run('trading', 'TRADE_PERMISSION_MISSING')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'reminder', 'reminder']);
    const facts = notificationFor(m.sent[1] as IncidentEvent, T0 + 12 * 60 * MIN, ctx).facts;
    expect(facts).toContainEqual({ label: 'Acknowledged', value: 'Ann is on it (since 2026-12-01 10:01 UTC)' });
  });

  it('a change of diagnosis clears the acknowledgement, alerts again and reminders resume', () => {
    const m = new Monitor();
    m.at(T0, [run('trading', 'TRADE_PERMISSION_MISSING')]);
    acknowledge(m, 'trading', T0 + MIN);
    m.at(T0 + 5 * MIN, [run('trading', 'AUTH_FAILED')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'changed']);
    expect(m.keys.get('trading')?.incident?.ack ?? null).toBeNull();
    for (let t = 10; t <= 5 * 60; t += 5) m.at(T0 + t * MIN, [run('trading', 'AUTH_FAILED')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'changed', 'reminder']);
  });

  it('resolution ends the acknowledged incident: the next failure opens a new, unacknowledged one', () => {
    const m = new Monitor();
    m.at(T0, [run('trading', 'AUTH_FAILED')]);
    acknowledge(m, 'trading', T0 + MIN);
    m.at(T0 + 5 * MIN, [run('trading', 'OK')]);
    m.at(T0 + 10 * MIN, [run('trading', 'AUTH_FAILED')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'resolved', 'opened']);
    expect(m.keys.get('trading')?.incident?.ack ?? null).toBeNull();
  });

  it('gives every notification of an incident a stable id: incident id + transition number', () => {
    const m = new Monitor();
    m.at(T0, [run('k', 'AUTH_FAILED')]);
    m.at(T0 + 5 * MIN, [run('k', 'IP_NOT_WHITELISTED')]);
    m.at(T0 + 10 * MIN, [run('k', 'OK')]);
    const ids = m.sent.map((e) => notificationFor(e, T0, ctx).id);
    expect(ids).toEqual([`key:k:${T0}#1`, `key:k:${T0}#2`, `key:k:${T0}#3`]);
  });

  it('is deterministic: the same run over the same state decides the same (a retried run cannot open twice)', () => {
    const m = new Monitor();
    m.at(T0, [run('k', 'OK')]);
    const input = { now: T0 + 5 * MIN, policy: POLICY, runs: [run('k', 'AUTH_FAILED')], keyStates: m.keys, monitor: m.monitor };
    const a = decideRun(input);
    const b = decideRun(input);
    expect(a).toEqual(b);
    expect(a.keyStates.get('k')?.version).toBe(m.keys.get('k')?.version);
  });
});

describe('one alert per root cause', () => {
  const keys = ['a', 'b', 'c'];

  it('opens one monitor-level incident when every key fails for the same shared cause, and resolves it once', () => {
    const m = new Monitor();
    m.at(
      T0,
      keys.map((k) => run(k, 'EXCHANGE_UNAVAILABLE')),
    );
    m.at(
      T0 + 5 * MIN,
      keys.map((k) => run(k, 'EXCHANGE_UNAVAILABLE')),
    );
    m.at(
      T0 + 10 * MIN,
      keys.map((k) => run(k, 'EXCHANGE_UNAVAILABLE')),
    );
    m.at(
      T0 + 15 * MIN,
      keys.map((k) => run(k, 'OK')),
    );
    expect(m.sent.map((e) => [e.kind, 'scope' in e ? e.scope.type : null])).toEqual([
      ['opened', 'monitor'],
      ['resolved', 'monitor'],
    ]);
    expect(m.subjects()[0]).toBe('🟠 all 3 keys: Exchange or network unavailable — exchange or network side, no key action');
    expect(m.subjects()[1]).toBe('✅ all 3 keys: resolved after 15 min, 3 failed runs — was Exchange or network unavailable');
  });

  it.each(['EGRESS_IP_MISMATCH', 'NONCE_REJECTED'] as const)('%s everywhere is one incident at once', (d) => {
    const m = new Monitor();
    m.at(
      T0,
      keys.map((k) => run(k, d)),
    );
    expect(m.sent.map((e) => [e.kind, 'scope' in e ? e.scope.type : null])).toEqual([['opened', 'monitor']]);
  });

  it('still sees the shared cause when one key cannot even reach the exchange (its secret is empty)', () => {
    const m = new Monitor();
    m.at(T0, [run('a', 'RATE_LIMITED'), run('b', 'RATE_LIMITED'), run('c', 'CREDENTIALS_MISSING')]);
    m.at(T0 + 5 * MIN, [run('a', 'RATE_LIMITED'), run('b', 'RATE_LIMITED'), run('c', 'CREDENTIALS_MISSING')]);
    expect(m.sent.map((e) => [e.kind, 'scope' in e ? (e.scope.type === 'key' ? e.scope.key : 'monitor') : null])).toEqual([
      ['opened', 'c'],
      ['opened', 'monitor'],
    ]);
  });

  it('ends an outage that recovers key by key as one incident: no key opens its own while half still share the cause', () => {
    const four = ['a', 'b', 'c', 'd'];
    const m = new Monitor();
    const at = (t: number, down: string[]) =>
      m.at(
        T0 + t * MIN,
        four.map((k) => run(k, down.includes(k) ? 'EXCHANGE_UNAVAILABLE' : 'OK')),
      );
    at(0, four);
    at(5, four);
    at(10, ['c', 'd']); // half recovered: still the shared outage
    at(15, ['c', 'd']);
    expect(m.sent.map((e) => `${e.kind}:${'scope' in e ? (e.scope.type === 'key' ? e.scope.key : 'monitor') : ''}`)).toEqual(['opened:monitor']);
    at(20, ['d']); // one left: the shared incident ends; d must now fail openAfterRuns runs on its own
    expect(m.sent.map((e) => `${e.kind}:${'scope' in e ? (e.scope.type === 'key' ? e.scope.key : 'monitor') : ''}`)).toEqual([
      'opened:monitor',
      'resolved:monitor',
    ]);
    at(25, ['d']);
    expect(m.sent.map((e) => `${e.kind}:${'scope' in e ? (e.scope.type === 'key' ? e.scope.key : 'monitor') : ''}`)).toEqual([
      'opened:monitor',
      'resolved:monitor',
      'opened:d',
    ]);
  });

  it('holds a shared cause only once its incident is open: an all-keys blip then half the keys failing is per key', () => {
    const four = ['a', 'b', 'c', 'd'];
    const m = new Monitor();
    const at = (t: number, down: string[]) =>
      m.at(
        T0 + t * MIN,
        four.map((k) => run(k, down.includes(k) ? 'EXCHANGE_UNAVAILABLE' : 'OK')),
      );
    at(0, four);
    at(5, ['a', 'b']);
    at(10, ['a', 'b']);
    expect(m.sent.map((e) => ('scope' in e && e.scope.type === 'key' ? e.scope.key : 'monitor'))).toEqual(['a', 'b']);
  });

  it('one revoked key neither splits an outage into an incident per key nor hides its own verdict', () => {
    const m = new Monitor();
    const runs = () => [run('a', 'AUTH_FAILED'), ...['b', 'c', 'd'].map((k) => run(k, 'EXCHANGE_UNAVAILABLE'))];
    m.at(T0, runs());
    m.at(T0 + 5 * MIN, runs());
    expect(m.sent.map((e) => `${e.kind}:${'scope' in e ? (e.scope.type === 'key' ? e.scope.key : 'monitor') : ''}`)).toEqual(['opened:a', 'opened:monitor']);
  });

  it('is per key when only some keys fail', () => {
    const m = new Monitor();
    m.at(T0, [run('a', 'EXCHANGE_UNAVAILABLE'), run('b', 'OK'), run('c', 'EXCHANGE_UNAVAILABLE')]);
    m.at(T0 + 5 * MIN, [run('a', 'EXCHANGE_UNAVAILABLE'), run('b', 'OK'), run('c', 'EXCHANGE_UNAVAILABLE')]);
    expect(m.sent.map((e) => ('scope' in e && e.scope.type === 'key' ? e.scope.key : 'monitor'))).toEqual(['a', 'c']);
  });

  it('does not report a key’s open incident as changed when the exchange goes down for everyone', () => {
    const m = new Monitor();
    m.at(T0, [run('a', 'AUTH_FAILED'), run('b', 'OK')]);
    m.at(T0 + 5 * MIN, [run('a', 'EXCHANGE_UNAVAILABLE'), run('b', 'EXCHANGE_UNAVAILABLE')]);
    m.at(T0 + 10 * MIN, [run('a', 'EXCHANGE_UNAVAILABLE'), run('b', 'EXCHANGE_UNAVAILABLE')]);
    m.at(T0 + 15 * MIN, [run('a', 'AUTH_FAILED'), run('b', 'OK')]);
    expect(m.sent.map((e) => `${e.kind}:${'scope' in e ? (e.scope.type === 'key' ? e.scope.key : 'monitor') : ''}`)).toEqual([
      'opened:a',
      'opened:monitor',
      'resolved:monitor',
    ]);
  });
});

describe('announced exchange maintenance', () => {
  const window = { id: 'w1', start: T0 + 30 * MIN, end: T0 + 90 * MIN, title: 'Spot trading upgrade', impacted: ['spot trading: PARTIAL'] };
  const withWindow = (m: Monitor) => {
    m.monitor = { ...m.monitor, maintenance: { fetchedAt: T0, windows: [window], notified: [] } };
  };

  it('announces a window once', () => {
    const m = new Monitor();
    withWindow(m);
    m.at(T0, [run('k', 'OK')]);
    m.at(T0 + 5 * MIN, [run('k', 'OK')]);
    expect(m.subjects()).toEqual(['ℹ️ Exchange maintenance announced: 2026-12-01 10:30 UTC – 2026-12-01 11:30 UTC']);
  });

  it('holds what maintenance could cause while the window lasts, and opens it after, saying it began during maintenance', () => {
    const m = new Monitor();
    withWindow(m);
    m.at(T0, [run('k', 'OK')]);
    for (let t = 35; t <= 85; t += 5) m.at(T0 + t * MIN, [run('k', 'AUTH_FAILED')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['maintenance']);
    m.at(T0 + 95 * MIN, [run('k', 'AUTH_FAILED')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['maintenance', 'opened']);
    const n = notificationFor(m.sent[1] as IncidentEvent, T0 + 95 * MIN, ctx);
    expect(n.summary).toContain('during announced exchange maintenance');
    expect(n.facts).toContainEqual({ label: 'Maintenance', value: 'began during announced exchange maintenance' });
  });

  it('does not hold a fault maintenance cannot cause (an empty secret)', () => {
    const m = new Monitor();
    withWindow(m);
    m.at(T0 + 40 * MIN, [run('k', 'CREDENTIALS_MISSING')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['maintenance', 'opened']);
  });

  it('classifies the maintenance reply (9010001) as its own shared-cause diagnosis', () => {
    const m = new Monitor();
    m.at(
      T0,
      ['a', 'b'].map((k) => run(k, 'EXCHANGE_MAINTENANCE')),
    );
    m.at(
      T0 + 5 * MIN,
      ['a', 'b'].map((k) => run(k, 'EXCHANGE_MAINTENANCE')),
    );
    expect(m.subjects()).toEqual(['🟠 all 2 keys: Exchange in maintenance (9010001) — exchange maintenance, no key action']);
  });
});

describe('mute', () => {
  it('suppresses notifications until it ends, then says what it suppressed and what is still open', () => {
    const m = new Monitor();
    m.monitor = { ...m.monitor, mute: { since: T0, until: T0 + 60 * MIN, reason: 'planned key swap', suppressed: 0, suppressedLines: [] } };
    m.at(T0 + 5 * MIN, [run('trading', 'IP_NOT_WHITELISTED')]);
    m.at(T0 + 10 * MIN, [run('trading', 'AUTH_FAILED')]);
    expect(m.sent).toHaveLength(0);
    expect(m.suppressed.map((e) => e.kind)).toEqual(['opened', 'changed']);
    expect(m.monitor.mute?.suppressed).toBe(2);
    m.at(T0 + 65 * MIN, [run('trading', 'AUTH_FAILED')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['mute-ended']);
    const n = notificationFor(m.sent[0] as IncidentEvent, T0 + 65 * MIN, ctx);
    expect(n.subject).toBe('🟠 Alerts unmuted: 2 suppressed while muted, 1 incident open');
    expect(n.summary).toContain('planned key swap');
    expect(n.summary).toContain('trading: Authentication failure');
    expect(n.facts.map((f) => f.value)).toEqual(['trading: opened IP_NOT_WHITELISTED', 'trading: changed AUTH_FAILED']);
    expect(m.monitor.mute).toBeNull();
  });
});

describe('mute ended with many incidents open', () => {
  it('names at most 20 and counts the rest, so one notification stays small', () => {
    const m = new Monitor();
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    m.monitor = { ...m.monitor, mute: { since: T0, until: T0 + 60 * MIN, reason: 'test', suppressed: 0, suppressedLines: [] } };
    m.at(
      T0,
      keys.map((k) => run(k, 'AUTH_FAILED', { keyPrefix: null })).map((r, i) => ({ ...r, diagnosis: i % 2 ? 'AUTH_FAILED' : 'IP_NOT_WHITELISTED' })),
    );
    m.at(
      T0 + 61 * MIN,
      keys.map((k) => run(k, 'AUTH_FAILED')),
    );
    const ended = m.sent.find((e) => e.kind === 'mute-ended') as IncidentEvent;
    const n = notificationFor(ended, T0 + 61 * MIN, ctx);
    expect(n.subject).toContain('1000 incidents open');
    expect(n.summary).toContain('and 980 more (key-monitor status lists them all)');
    expect(n.summary.length).toBeLessThan(5_000);
  });
});

describe('key age', () => {
  it('reminds once when a key passes the maximum age, then every 30 days', () => {
    const m = new Monitor();
    const DAY = 24 * 60 * MIN;
    m.at(T0, [run('trading', 'OK', { keyAgeDays: 89 })]);
    m.at(T0 + DAY, [run('trading', 'OK', { keyAgeDays: 90 })]);
    m.at(T0 + 2 * DAY, [run('trading', 'OK', { keyAgeDays: 91 })]);
    expect(m.subjects(T0 + DAY)).toEqual(['🟠 trading: key is 90 days old — create a new key and rotate it in']);
    m.at(T0 + 31 * DAY, [run('trading', 'OK', { keyAgeDays: 120 })]);
    expect(m.sent.map((e) => e.kind)).toEqual(['key-age', 'key-age']);
  });
});

describe('a steady key keeps the same state run after run (so the store has nothing to write)', () => {
  it('a healthy key with no incident: the state after the 3rd run equals the state after the 300th', () => {
    const m = new Monitor();
    for (let i = 0; i < 3; i++) m.at(T0 + i * 5 * MIN, [run('k', 'OK'), run('j', 'OK')]);
    const early = m.keys.get('k');
    const earlyMonitor = m.monitor;
    for (let i = 3; i < 300; i++) m.at(T0 + i * 5 * MIN, [run('k', 'OK'), run('j', 'OK')]);
    expect(m.keys.get('k')).toEqual(early);
    expect(m.monitor).toEqual(earlyMonitor);
  });

  it('a capped counter still decides: a transient failure opens after openAfterRuns, and resolves after resolveAfterRuns', () => {
    const policy = { ...POLICY, openAfterRuns: 3, resolveAfterRuns: 2 };
    const m = new Monitor(policy);
    for (let i = 0; i < 50; i++) m.at(T0 + i * 5 * MIN, [run('k', 'OK')]);
    m.at(T0 + 50 * 5 * MIN, [run('k', 'EXCHANGE_UNAVAILABLE')]);
    m.at(T0 + 51 * 5 * MIN, [run('k', 'EXCHANGE_UNAVAILABLE')]);
    expect(m.sent).toHaveLength(0);
    m.at(T0 + 52 * 5 * MIN, [run('k', 'EXCHANGE_UNAVAILABLE')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    m.at(T0 + 53 * 5 * MIN, [run('k', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    m.at(T0 + 54 * 5 * MIN, [run('k', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'resolved']);
  });
});

describe('uptime from the per-day counters in the run records', () => {
  it('counts OK runs over the last 7 and 30 days', () => {
    const m = new Monitor();
    const DAY = 24 * 60 * MIN;
    for (let d = 0; d < 30; d++) {
      for (let i = 0; i < 10; i++) m.at(T0 - d * DAY + i * MIN, [run('k', d < 7 && i === 0 ? 'AUTH_FAILED' : 'OK')]);
    }
    const entry = { days: m.days.get('k') ?? {} };
    expect(uptime(entry, T0 + 10 * MIN, 7)).toBeCloseTo(0.9);
    expect(uptime(entry, T0 + 10 * MIN, 30)).toBeCloseTo(1 - 7 / 300);
    expect(uptime({ days: {} }, T0, 7)).toBeNull();
  });
});

describe('no "resolved" without a conclusive answer for what the incident was about', () => {
  const HOUR = 60 * MIN;
  /** An OK run whose `check` proved nothing (the others passed), saying what it saw instead. */
  const unproven = (key: string, check: CheckName, seen: string) =>
    run(key, 'OK', { verified: CHECK_NAMES.filter((c) => c !== check), unverified: { [check]: seen } });
  const failures = (Object.keys(DIAGNOSIS_TABLE) as Diagnosis[]).filter((d) => DIAGNOSIS_TABLE[d].provenBy !== null);

  it.each(failures)('%s stays open on an OK run whose proving check proved nothing, and resolves on the next conclusive one', (d) => {
    const check = DIAGNOSIS_TABLE[d].provenBy as CheckName;
    const m = new Monitor();
    m.at(T0, [run('k', d)]);
    m.at(T0 + 5 * MIN, [run('k', d)]);
    const opened = m.sent.filter((e) => e.kind === 'opened');
    expect(opened).toHaveLength(1);
    m.at(T0 + 10 * MIN, [unproven('k', check, 'no answer in time (1000 ms)')]);
    m.at(T0 + 15 * MIN, [unproven('k', check, 'no answer in time (1000 ms)')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    expect(m.keys.get('k')?.incident?.recheck?.why).toBe(`${check}: no answer in time (1000 ms)`);
    m.at(T0 + 20 * MIN, [run('k', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'resolved']);
  });

  it('an account read that fails does not resolve a suspension; the next good read is the same incident; a reminder says it could not re-check', () => {
    const m = new Monitor();
    m.at(T0, [run('trading', 'ACCOUNT_SUSPENDED')]);
    m.at(T0 + 5 * MIN, [unproven('trading', 'account', 'account details not available (HTTP 500, code 50001 INTERNAL_SERVER_ERROR)')]);
    m.at(T0 + 10 * MIN, [run('trading', 'ACCOUNT_SUSPENDED')]);
    m.at(T0 + 15 * MIN, [unproven('trading', 'account', 'account details not available (HTTP 500, code 50001 INTERNAL_SERVER_ERROR)')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    m.at(T0 + 4 * HOUR, [unproven('trading', 'account', 'account details not available (HTTP 500, code 50001 INTERNAL_SERVER_ERROR)')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'reminder']);
    const reminder = notificationFor(m.sent[1] as IncidentEvent, T0 + 4 * HOUR, ctx);
    expect(reminder.subject).toBe('🔴 trading: open for 4 h, could not re-check — The account is suspended (202)');
    expect(reminder.summary).toContain(
      'could not re-check: account: account details not available (HTTP 500, code 50001 INTERNAL_SERVER_ERROR); last definite verdict ACCOUNT_SUSPENDED (The account is suspended (202)) at 2026-12-01 10:10 UTC',
    );
    expect(reminder.subject).not.toContain('still failing');
    expect(reminder.fix).toBe(run('trading', 'ACCOUNT_SUSPENDED').advice);
    m.at(T0 + 4 * HOUR + 5 * MIN, [run('trading', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'reminder', 'resolved']);
    const ids = m.sent.map((e) => ('incident' in e ? e.incident.id : ''));
    expect(new Set(ids).size).toBe(1);
  });

  it('counts only conclusive OK runs toward resolveAfterRuns', () => {
    const m = new Monitor({ ...POLICY, resolveAfterRuns: 2 });
    m.at(T0, [run('k', 'WITHDRAW_PERMISSION_UNEXPECTED')]);
    m.at(T0 + 5 * MIN, [run('k', 'OK')]);
    m.at(T0 + 10 * MIN, [unproven('k', 'withdraw-permission', 'withdraw permission not determined: HTTP 503')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    m.at(T0 + 15 * MIN, [run('k', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'resolved']);
  });

  it('a suspension that turned into an outage still needs the account read before it resolves', () => {
    const m = new Monitor();
    m.at(T0, [run('k', 'ACCOUNT_SUSPENDED')]);
    m.at(T0 + 5 * MIN, [run('k', 'EXCHANGE_UNAVAILABLE')]);
    m.at(T0 + 10 * MIN, [run('k', 'EXCHANGE_UNAVAILABLE')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'changed']);
    m.at(T0 + 15 * MIN, [unproven('k', 'account', 'account details not available (HTTP 502)')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'changed']);
    m.at(T0 + 20 * MIN, [run('k', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'changed', 'resolved']);
  });

  it('a monitor-level egress mismatch ends only when some key’s egress check verified the IP', () => {
    const keys = ['a', 'b', 'c'];
    const m = new Monitor();
    m.at(
      T0,
      keys.map((k) => run(k, 'EGRESS_IP_MISMATCH')),
    );
    m.at(
      T0 + 5 * MIN,
      keys.map((k) => unproven(k, 'egress-ip', 'could not determine the egress IP: the answer was not an IP address')),
    );
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    expect(m.monitor.incident?.recheck?.why).toBe('egress-ip: could not determine the egress IP: the answer was not an IP address');
    m.at(
      T0 + 4 * HOUR,
      keys.map((k) => unproven(k, 'egress-ip', 'could not determine the egress IP: HTTP 503')),
    );
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'reminder']);
    expect(notificationFor(m.sent[1] as IncidentEvent, T0 + 4 * HOUR, ctx).summary).toContain(
      'could not re-check: egress-ip: could not determine the egress IP: HTTP 503; last definite verdict EGRESS_IP_MISMATCH',
    );
    m.at(
      T0 + 4 * HOUR + 5 * MIN,
      keys.map((k) => run(k, 'EGRESS_NOT_VERIFIED')),
    );
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'reminder', 'changed']);
    m.at(
      T0 + 4 * HOUR + 10 * MIN,
      keys.map((k) => run(k, 'OK')),
    );
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'reminder', 'changed', 'resolved']);
  });

  it('a key-level egress mismatch is not resolved by an unverified egress run', () => {
    const m = new Monitor();
    m.at(T0, [run('k', 'EGRESS_IP_MISMATCH')]);
    m.at(T0 + 5 * MIN, [run('k', 'EGRESS_NOT_VERIFIED')]);
    m.at(T0 + 10 * MIN, [unproven('k', 'egress-ip', 'could not determine the egress IP: HTTP 503')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened']);
    m.at(T0 + 15 * MIN, [run('k', 'OK')]);
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'resolved']);
  });

  it('counts a run that could not re-check as neither an OK nor a failed day-run', () => {
    const m = new Monitor();
    m.at(T0, [run('k', 'AUTH_FAILED')]);
    m.at(T0 + 5 * MIN, [unproven('k', 'signed-read', 'x')]);
    expect(uptime({ days: m.days.get('k') ?? {} }, T0 + 5 * MIN, 1)).toBe(0);
    expect(m.keys.get('k')?.failedRuns).toBe(1);
  });
});
