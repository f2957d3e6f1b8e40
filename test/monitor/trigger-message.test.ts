import { describe, expect, it } from 'vitest';
import { DIAGNOSIS_TABLE } from '../../src/monitor/diagnosis-table.js';
import { notificationFor } from '../../src/monitor/incident-messages.js';
import { decideRun, decideVerification, type IncidentEvent } from '../../src/monitor/incident-rules.js';
import { NEW_KEY_STATE, NEW_MONITOR_STATE, type KeyRun } from '../../src/monitor/incident-state.js';

const T0 = Date.UTC(2026, 11, 5, 12, 3, 4);
const VERIFIED = T0 + 5_000;
const POLICY = { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 4 * 3_600_000, keyMaxAgeDays: 90 };
const ctx = { source: 'ExchangeKeyMonitor', expectedIps: ['203.0.113.7'], links: () => [] };

const revoked: KeyRun = {
  key: 'bot-main',
  keyPrefix: 'sbx1',
  diagnosis: 'IP_NOT_WHITELISTED',
  code: 40103,
  httpStatus: null,
  egressIp: '203.0.113.7',
  advice: DIAGNOSIS_TABLE.IP_NOT_WHITELISTED.advice({ egressIp: '203.0.113.7', expectedIps: ['203.0.113.7'], keyPrefix: 'sbx1', detail: 'x', site: 'aws' }),
  facts: [],
  keyAgeDays: 10,
  verified: [],
};

function opened(): IncidentEvent {
  const d = decideRun({ now: VERIFIED, policy: POLICY, runs: [revoked], keyStates: new Map(), monitor: NEW_MONITOR_STATE });
  expect(d.events.map((e) => e.kind)).toEqual(['opened']);
  return d.events[0] as IncidentEvent;
}

describe('a triggered verification in the alert', () => {
  it('says both what the bot logged and when, and where and when the monitor verified it', () => {
    const n = notificationFor(opened(), VERIFIED, {
      ...ctx,
      trigger: { kind: 'log', logGroup: '/ecs/bot', at: T0, excerpt: '{"code":40103,"message":"IP_ILLEGAL"}' },
    });
    expect(n.facts[0]).toEqual({
      label: 'Triggered',
      value: 'your bot logged "{"code":40103,"message":"IP_ILLEGAL"}" at 12:03:04 UTC (log group /ecs/bot); verified from 203.0.113.7 at 12:03:09 UTC',
    });
  });

  it('names a nudge as the trigger, and says nothing of a trigger when there was none', () => {
    const nudged = notificationFor(opened(), VERIFIED, { ...ctx, trigger: { kind: 'nudge', reason: 'order refused' } });
    expect(nudged.facts[0]?.value).toBe('a nudge ("order refused") asked for a check; verified from 203.0.113.7 at 12:03:09 UTC');
    expect(notificationFor(opened(), VERIFIED, ctx).facts.map((f) => f.label)).not.toContain('Triggered');
  });
});

describe('a verification of one key in the incident rules', () => {
  const outage: KeyRun = { ...revoked, diagnosis: 'EXCHANGE_UNAVAILABLE', code: null, advice: 'wait' };

  it('opens a verdict at once, as a run would, and only for its key', () => {
    const d = decideVerification({ now: VERIFIED, policy: POLICY, run: revoked, keyState: NEW_KEY_STATE, monitor: NEW_MONITOR_STATE });
    expect(d.events.map((e) => [e.kind, 'scope' in e ? e.scope : null])).toEqual([['opened', { type: 'key', key: 'bot-main' }]]);
    expect(d.keyState.incident?.diagnosis).toBe('IP_NOT_WHITELISTED');
  });

  it('leaves a fault the open monitor incident already covers to that incident, and a muted alert suppressed', () => {
    const incident = {
      id: 'monitor:1',
      openedAt: T0,
      since: T0,
      diagnosis: 'EXCHANGE_UNAVAILABLE' as const,
      transitions: 1,
      lastNotifiedAt: T0,
      failedRuns: 3,
      duringMaintenance: false,
    };
    const covered = { ...NEW_MONITOR_STATE, incident, sharedDiagnosis: 'EXCHANGE_UNAVAILABLE' as const, sharedKeys: 3 };
    let state = NEW_KEY_STATE;
    for (let i = 0; i < 3; i++) {
      const d = decideVerification({ now: VERIFIED + i * 60_000, policy: POLICY, run: outage, keyState: state, monitor: covered });
      expect(d.events).toEqual([]);
      state = d.keyState;
    }
    const muted = { ...NEW_MONITOR_STATE, mute: { since: T0, until: VERIFIED + 3_600_000, reason: 'm', suppressed: 0, suppressedLines: [] } };
    const d = decideVerification({ now: VERIFIED, policy: POLICY, run: revoked, keyState: NEW_KEY_STATE, monitor: muted });
    expect([d.events.length, d.suppressed.map((e) => e.kind)]).toEqual([0, ['opened']]);
    expect(d.keyState.incident).not.toBeNull();
  });
});
