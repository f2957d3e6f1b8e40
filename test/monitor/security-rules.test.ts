import { describe, expect, it } from 'vitest';
import { acknowledgeIn } from '../../src/monitor/acknowledge.js';
import { ackLinkMaker, verifyAck } from '../../src/monitor/ack-token.js';
import { DIAGNOSIS_TABLE } from '../../src/monitor/diagnosis-table.js';
import { notificationFor } from '../../src/monitor/incident-messages.js';
import { decideRun, decideVerification, type IncidentEvent, type IncidentPolicy } from '../../src/monitor/incident-rules.js';
import { NEW_KEY_STATE, NEW_MONITOR_STATE, type KeyRun, type KeyState, type MonitorState } from '../../src/monitor/incident-state.js';
import type { SecurityFinding } from '../../src/monitor/security-findings.js';
import { readKeyState } from '../../src/monitor/state-shape.js';
import { CHECK_NAMES, type Diagnosis } from '../../src/monitor/types.js';

// The security slot's rules take the clock as an argument: every test moves time, none sleeps.
const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const POLICY: IncidentPolicy = { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 4 * HOUR, keyMaxAgeDays: 0, acknowledgedRemindEveryMs: 0 };
const ctx = { source: 'ExchangeKeyMonitor', expectedIps: ['203.0.113.7'], links: () => [] };

function run(diagnosis: Diagnosis, security: SecurityFinding[] = []): KeyRun {
  return {
    key: 'trading',
    keyPrefix: 'sbx1',
    diagnosis,
    code: null,
    httpStatus: null,
    egressIp: '203.0.113.7',
    advice: 'x',
    facts: [],
    keyAgeDays: 10,
    verified: diagnosis === 'OK' ? CHECK_NAMES : [],
    ...(security.length > 0 ? { security } : {}),
  };
}

const drop = (id: string): SecurityFinding => ({
  diagnosis: 'FUNDS_DROPPED',
  identity: id,
  severity: 'warning',
  detail: `The account's value fell 40.0 % (${id})`,
  facts: [{ label: 'Before', value: '18 balances' }],
});
const withdrawal: SecurityFinding = {
  diagnosis: 'WITHDRAWAL_DETECTED',
  identity: 'withdrawal:w1',
  severity: 'critical',
  detail: 'A withdrawal of 0.5 BTC',
  facts: [{ label: 'Withdrawal', value: '0.5 BTC' }],
};

class Monitor {
  keys = new Map<string, KeyState>();
  monitor: MonitorState = NEW_MONITOR_STATE;
  sent: IncidentEvent[] = [];
  constructor(private readonly policy: IncidentPolicy = POLICY) {}
  at(now: number, r: KeyRun) {
    const d = decideRun({ now, policy: this.policy, runs: [r], keyStates: this.keys, monitor: this.monitor });
    this.keys = new Map(d.keyStates);
    this.monitor = d.monitor;
    this.sent.push(...d.events);
    return d.events.map((e) => notificationFor(e, now, ctx));
  }
  get slot() {
    return this.keys.get('trading')?.security;
  }
  acknowledge(at: number) {
    // As an acknowledgement is written: on the state's top-level open incident, here the security one.
    const state = this.keys.get('trading') as KeyState;
    if (!state.security) throw new Error('nothing open');
    this.keys.set('trading', { ...state, security: { ...state.security, ack: { by: 'ana', at, note: null, via: 'cli' } } });
  }
}

describe('the security incident slot', () => {
  it('a finding opens it beside a healthy key, once; the same finding again says nothing', () => {
    const m = new Monitor();
    const [opened, ...rest] = m.at(T0, run('OK', [drop('funds:1:2')]));
    expect(rest).toEqual([]);
    expect(opened?.kind).toBe('opened');
    expect(opened?.id).toBe(`security:trading:${T0}#1`);
    expect(opened?.subject).toBe(`🟠 trading: ${DIAGNOSIS_TABLE.FUNDS_DROPPED.title} — check the account; rotate the key if you did not move it`);
    expect(m.keys.get('trading')?.incident).toBeNull();
    expect(m.at(T0 + 5 * MIN, run('OK', [drop('funds:1:2')]))).toEqual([]);
  });

  it('a new finding while open is `changed` with the new evidence, takes the higher severity and clears the acknowledgement', () => {
    const m = new Monitor();
    m.at(T0, run('OK', [drop('funds:1:2')]));
    m.acknowledge(T0 + MIN);
    const [changed] = m.at(T0 + 5 * MIN, run('OK', [withdrawal]));
    expect(changed?.kind).toBe('changed');
    expect(changed?.severity).toBe('critical');
    expect(changed?.id).toBe(`security:trading:${T0}#2`);
    expect(changed?.summary).toContain('A withdrawal of 0.5 BTC');
    expect(changed?.facts).toContainEqual({ label: 'Withdrawal', value: '0.5 BTC' });
    expect(m.slot?.ack).toBeNull();
    expect(m.slot?.severity).toBe('critical');
  });

  it('is never resolved by healthy runs: it reminds while nobody has acknowledged it', () => {
    const m = new Monitor();
    m.at(T0, run('OK', [drop('funds:1:2')]));
    const seen: string[] = [];
    for (let t = T0 + 5 * MIN; t <= T0 + 48 * HOUR; t += 5 * MIN) seen.push(...m.at(t, run('OK')).map((n) => n.kind));
    expect(seen).toEqual(Array(12).fill('reminder'));
    expect(m.slot).not.toBeNull();
  });

  it('closes once acknowledged and a quiet day has passed since its last finding; the finding stays remembered', () => {
    const m = new Monitor();
    m.at(T0, run('OK', [drop('funds:1:2')]));
    m.acknowledge(T0 + 10 * MIN);
    expect(m.at(T0 + 23 * HOUR, run('OK'))).toEqual([]);
    const [closed, ...rest] = m.at(T0 + 24 * HOUR, run('OK'));
    expect(rest).toEqual([]);
    expect(closed?.kind).toBe('resolved');
    expect(closed?.subject).toContain('trading: security incident closed');
    expect(m.slot).toBeNull();
    expect(m.at(T0 + 25 * HOUR, run('OK', [drop('funds:1:2')]))).toEqual([]);
    expect(m.at(T0 + 26 * HOUR, run('OK', [drop('funds:3:4')])).map((n) => n.kind)).toEqual(['opened']);
  });

  it('lives beside a health incident: the key failing and recovering neither opens nor closes it', () => {
    const m = new Monitor();
    m.at(T0, run('AUTH_FAILED', [drop('funds:1:2')]));
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'security']);
    m.at(T0 + 5 * MIN, run('OK'));
    expect(m.sent.map((e) => e.kind)).toEqual(['opened', 'security', 'resolved']);
    expect(m.keys.get('trading')?.incident).toBeNull();
    expect(m.slot?.diagnosis).toBe('FUNDS_DROPPED');
  });

  it('a verification of one key keeps the slot as it is', () => {
    const m = new Monitor();
    m.at(T0, run('OK', [drop('funds:1:2')]));
    const keyState = m.keys.get('trading') as KeyState;
    const d = decideVerification({ now: T0 + MIN, policy: POLICY, run: run('OK'), keyState, monitor: m.monitor });
    expect([d.keyState.security, d.keyState.securitySeen]).toEqual([keyState.security, ['funds:1:2']]);
  });

  it('is stored and read back whole; an unreadable slot is named, and its remembered findings kept', () => {
    const m = new Monitor();
    m.at(T0, run('OK', [drop('funds:1:2')]));
    const stored = JSON.parse(JSON.stringify(m.keys.get('trading')));
    expect(readKeyState(stored, NEW_KEY_STATE)).toEqual({ value: (({ version: _v, ...s }) => s)(m.keys.get('trading') as KeyState), problems: [] });
    const broken = { ...stored, security: { ...stored.security, latest: 'x' } };
    const read = readKeyState(broken, NEW_KEY_STATE);
    expect(read.problems).toEqual(['security: not a security-incident record (dropped)']);
    expect([read.value.security, read.value.securitySeen]).toEqual([null, ['funds:1:2']]);
  });

  it('while alerts are muted a finding is counted, not sent; when the mute ends the open security incident is listed', () => {
    const m = new Monitor();
    m.monitor = { ...m.monitor, mute: { since: T0, until: T0 + HOUR, reason: 'maintenance', suppressed: 0, suppressedLines: [] } };
    expect(m.at(T0 + MIN, run('OK', [drop('funds:1:2')]))).toEqual([]);
    expect(m.monitor.mute?.suppressedLines).toEqual(['trading: security opened FUNDS_DROPPED']);
    const [ended] = m.at(T0 + HOUR, run('OK'));
    expect(ended?.kind).toBe('mute');
    expect(ended?.summary).toContain(`still open now: trading: ${DIAGNOSIS_TABLE.FUNDS_DROPPED.title} since 2026-12-01 10:01 UTC.`);
  });
});

describe('acknowledging a security incident from its alert', () => {
  it('its alerts carry the Acknowledge link, signed for the security incident; the link acknowledges that slot; acknowledged, no link again', () => {
    const m = new Monitor();
    const d = decideRun({ now: T0, policy: POLICY, runs: [run('OK', [withdrawal])], keyStates: m.keys, monitor: m.monitor });
    const messages = { ...ctx, ackLink: ackLinkMaker('https://ack.example/', 'hmac-key') };
    const [opened] = d.events.map((e) => notificationFor(e, T0, messages));
    expect(opened?.links.map((l) => l.label)).toEqual(['Acknowledge']);
    const token = new URL(opened?.links[0]?.url as string).searchParams.get('t') as string;
    const verified = verifyAck(token, 'hmac-key', T0 + MIN);
    expect(verified).toMatchObject({ ok: true, claims: { incidentId: `security:trading:${T0}`, diagnosis: 'WITHDRAWAL_DETECTED' } });
    if (!verified.ok) throw new Error('unreachable');
    const state = d.keyStates.get('trading') as KeyState;
    const acked = acknowledgeIn(state, {
      incidentId: verified.claims.incidentId,
      diagnosis: verified.claims.diagnosis,
      ack: { by: 'ana', at: T0 + MIN, note: null, via: 'link' },
    });
    expect(acked).toMatchObject({ ok: true, slot: 'security' });
    if (!acked.ok) throw new Error('unreachable');
    const later = decideRun({
      now: T0 + 2 * MIN,
      policy: POLICY,
      runs: [run('OK', [drop('funds:3:4')])],
      keyStates: new Map([['trading', acked.state]]),
      monitor: m.monitor,
    });
    const [changed] = later.events.map((e) => notificationFor(e, T0 + 2 * MIN, messages));
    // A new finding clears the acknowledgement, so the link is offered again; an acknowledged reminder would not carry it.
    expect(changed?.links.map((l) => l.label)).toEqual(['Acknowledge']);
    const slot = acked.state.security;
    if (!slot) throw new Error('unreachable');
    const reminder = notificationFor(
      { kind: 'security', transition: 'reminder', scope: { type: 'key', key: 'trading' }, incident: slot, findings: [slot.latest] },
      T0 + 5 * HOUR,
      messages,
    );
    expect(reminder.links).toEqual([]);
  });
});
