import { describe, expect, it } from 'vitest';
import { decideRun, type IncidentPolicy } from '../../src/monitor/incident-rules.js';
import { NEW_KEY_STATE, NEW_MONITOR_STATE, type KeyState } from '../../src/monitor/incident-state.js';
import { readKeyState } from '../../src/monitor/state-shape.js';

const POLICY: IncidentPolicy = { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 0, keyMaxAgeDays: 90 };
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);

/** A key state with an open AUTH_FAILED incident, as the rules leave it. */
function openState(): KeyState {
  const run = {
    key: 'trading',
    keyPrefix: 'sbx1',
    diagnosis: 'AUTH_FAILED' as const,
    code: 40101,
    httpStatus: null,
    egressIp: '203.0.113.7',
    advice: 'x',
    facts: [],
    keyAgeDays: 10,
    verified: [],
  };
  const d = decideRun({ now: T0, policy: POLICY, runs: [run], keyStates: new Map(), monitor: NEW_MONITOR_STATE });
  return d.keyStates.get('trading') as KeyState;
}

describe('a stored acknowledgement', () => {
  it('survives reading the stored state back', () => {
    const s = openState();
    const ack = { by: 'Ann', at: T0 + 1, note: 'rotating now', via: 'link' as const };
    const doc = JSON.parse(JSON.stringify({ ...s, incident: { ...s.incident, ack } }));
    const read = readKeyState(doc, NEW_KEY_STATE);
    expect(read.problems).toEqual([]);
    expect(read.value.incident?.ack).toEqual(ack);
  });

  it('an unreadable one is dropped and named; the incident stays open', () => {
    const s = openState();
    const doc = JSON.parse(JSON.stringify({ ...s, incident: { ...s.incident, ack: { by: 'Ann', via: 'fax' } } }));
    const read = readKeyState(doc, NEW_KEY_STATE);
    expect(read.problems).toEqual([expect.stringContaining('incident.ack')]);
    expect(read.value.incident?.diagnosis).toBe('AUTH_FAILED');
    expect(read.value.incident?.ack).toBeUndefined();
  });
});
