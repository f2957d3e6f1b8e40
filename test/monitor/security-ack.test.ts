import { describe, expect, it } from 'vitest';
import { ackLinkMaker, verifyAck } from '../../src/monitor/ack-token.js';
import { acknowledgeIn } from '../../src/monitor/acknowledge.js';
import { notificationFor } from '../../src/monitor/incident-messages.js';
import { decideRun, type IncidentEvent, type IncidentPolicy } from '../../src/monitor/incident-rules.js';
import { NEW_MONITOR_STATE, type KeyRun, type KeyState, type MonitorState } from '../../src/monitor/incident-state.js';
import type { SecurityFinding } from '../../src/monitor/security-findings.js';
import { CHECK_NAMES } from '../../src/monitor/types.js';

// The security watch and Acknowledge were built apart: these hold them together.
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const POLICY: IncidentPolicy = { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 4 * HOUR, keyMaxAgeDays: 0, acknowledgedRemindEveryMs: 0 };
const BASE = 'https://abc123.lambda-url.us-east-1.on.aws/';
const ctx = { source: 'Ops', expectedIps: [], links: () => [{ label: 'Dashboard', url: 'https://example.com/d' }], ackLink: ackLinkMaker(BASE, 'hmac-key') };

const healthy = (security: SecurityFinding[] = []): KeyRun => ({
  key: 'trading',
  keyPrefix: 'sbx1',
  diagnosis: 'OK',
  code: null,
  httpStatus: null,
  egressIp: '203.0.113.7',
  advice: 'x',
  facts: [],
  keyAgeDays: 10,
  verified: CHECK_NAMES,
  ...(security.length > 0 ? { security } : {}),
});
const withdrawal = (id: string): SecurityFinding => ({
  diagnosis: 'WITHDRAWAL_DETECTED',
  identity: `withdrawal:${id}`,
  severity: 'critical',
  detail: `A withdrawal (${id})`,
  facts: [{ label: 'Withdrawal', value: '0.5 BTC' }],
});

class Monitor {
  keys = new Map<string, KeyState>();
  monitor: MonitorState = NEW_MONITOR_STATE;
  events: IncidentEvent[] = [];
  at(now: number, r: KeyRun) {
    const d = decideRun({ now, policy: POLICY, runs: [r], keyStates: this.keys, monitor: this.monitor });
    this.keys = new Map(d.keyStates);
    this.monitor = d.monitor;
    this.events.push(...d.events);
    return d.events.map((e) => notificationFor(e, now, ctx));
  }
}

const tokenOf = (url: string) => new URL(url).searchParams.get('t') as string;

describe('security alerts and the Acknowledge link', () => {
  it('a security alert carries the signed Acknowledge link first (so Telegram shows its button), and the link acknowledges that incident', () => {
    const m = new Monitor();
    const [opened] = m.at(T0, healthy([withdrawal('w1')]));
    const link = opened?.links.find((l) => l.label === 'Acknowledge');
    expect(opened?.links.map((l) => l.label)).toEqual(['Acknowledge', 'Dashboard']);
    const checked = verifyAck(tokenOf(link?.url as string), 'hmac-key', T0);
    const state = m.keys.get('trading') as KeyState;
    expect(checked.ok && checked.claims.incidentId).toBe(state.security?.id);
    if (!checked.ok) return;
    const done = acknowledgeIn(state, {
      incidentId: checked.claims.incidentId,
      diagnosis: checked.claims.diagnosis,
      ack: { by: 'Ann', at: T0, note: null, via: 'link' },
    });
    expect(done.ok && done.slot).toBe('security');
  });

  it('a reminder of an unacknowledged security incident carries the link; once acknowledged, messages say who is on it and offer none', () => {
    const m = new Monitor();
    m.at(T0, healthy([withdrawal('w1')]));
    const [reminder] = m.at(T0 + 5 * HOUR, healthy());
    expect(reminder?.kind).toBe('reminder');
    expect(reminder?.links.map((l) => l.label)).toEqual(['Acknowledge', 'Dashboard']);
    const state = m.keys.get('trading') as KeyState;
    m.keys.set('trading', {
      ...state,
      security: { ...(state.security as NonNullable<KeyState['security']>), ack: { by: 'Ann', at: T0, note: null, via: 'cli' } },
    });
    const [closed] = m.at(T0 + 30 * HOUR, healthy());
    expect(closed?.kind).toBe('resolved');
    expect(closed?.links.map((l) => l.label)).toEqual(['Dashboard']);
  });

  it('a link used for the first withdrawal does not acknowledge a later one: new evidence needs its own look (the link works once per incident state)', () => {
    const m = new Monitor();
    const [opened] = m.at(T0, healthy([withdrawal('w1')]));
    const checked = verifyAck(tokenOf(opened?.links[0]?.url as string), 'hmac-key', T0 + HOUR);
    if (!checked.ok) throw new Error('the link did not verify');
    const req = (at: number) => ({
      incidentId: checked.claims.incidentId,
      diagnosis: checked.claims.diagnosis,
      findings: checked.claims.findings ?? null,
      ack: { by: 'Ann', at, note: null, via: 'link' as const },
    });
    const first = acknowledgeIn(m.keys.get('trading') as KeyState, req(T0 + HOUR));
    if (!first.ok) throw new Error('the first use was refused');
    m.keys.set('trading', first.state);
    // A second withdrawal, of the same diagnosis: the acknowledgement is cleared and a new alert goes out.
    const [changed] = m.at(T0 + 2 * HOUR, healthy([withdrawal('w2')]));
    expect(changed?.kind).toBe('changed');
    expect((m.keys.get('trading') as KeyState).security?.ack).toBeNull();
    // The old link, replayed, is refused; the new alert's link works.
    const replay = acknowledgeIn(m.keys.get('trading') as KeyState, req(T0 + 3 * HOUR));
    expect(replay.ok ? 'acknowledged' : replay.refusal.reason).toBe('changed');
    const fresh = verifyAck(tokenOf(changed?.links[0]?.url as string), 'hmac-key', T0 + 3 * HOUR);
    if (!fresh.ok) throw new Error('the new link did not verify');
    const now = acknowledgeIn(m.keys.get('trading') as KeyState, {
      incidentId: fresh.claims.incidentId,
      diagnosis: fresh.claims.diagnosis,
      findings: fresh.claims.findings ?? null,
      ack: { by: 'Ann', at: T0 + 3 * HOUR, note: null, via: 'link' },
    });
    expect(now.ok).toBe(true);
  });
});

describe('a hostile withdrawal history', () => {
  it('10,000 new withdrawals in one look make one alert that fits the queue and the state item (DynamoDB 400 KB), naming how many more there are', async () => {
    const { readHistory } = await import('../../src/monitor/withdrawal-watch.js');
    const list = Array.from({ length: 10_000 }, (_, i) => ({
      id: `w${i}`,
      create_time: T0 - 10_000 + i,
      currency: 'BTC',
      amount: '0.5',
      address: `bc1q${'x'.repeat(40)}${i}`,
      network_id: 'BTC',
      client_wid: `cw-${i}`,
      status: '5',
    }));
    const read = readHistory({ withdrawal_list: list }, { since: T0 - 20_000, ids: [] }, { expectWithdraw: false, addresses: [], clientWidPrefix: null });
    // Every withdrawal, and that the answer was more than a page (it may not be all of them).
    expect(read?.found).toHaveLength(10_001);
    const m = new Monitor();
    const [opened] = m.at(T0, healthy(read?.found as SecurityFinding[]));
    const size = Buffer.byteLength(JSON.stringify(opened));
    expect(size).toBeLessThan(64 * 1024);
    expect(opened?.summary).toContain('and 9,981 more');
    expect(opened?.subject.length).toBeLessThanOrEqual(150);
    // The state item keeps only the latest finding and a bounded memory of identities.
    expect(Buffer.byteLength(JSON.stringify(m.keys.get('trading')))).toBeLessThan(16 * 1024);
  });
});

describe('acknowledging a security incident says what it is', () => {
  it('the acknowledged notification of a security incident does not call a healthy key "failing"', async () => {
    const { acknowledgedNotification } = await import('../../src/monitor/ack-message.js');
    const m = new Monitor();
    m.at(T0, healthy([withdrawal('w1')]));
    const security = (m.keys.get('trading') as KeyState).security as NonNullable<KeyState['security']>;
    const n = acknowledgedNotification(
      { type: 'key', key: 'trading' },
      { ...security, ack: { by: 'Ann', at: T0 + HOUR, note: null, via: 'cli' } },
      { source: 'Ops', links: [] },
    );
    const labels = n.facts.map((f) => f.label);
    expect(labels).not.toContain('Failing since');
    expect(labels).not.toContain('Failed runs');
    expect(n.facts).toContainEqual({ label: 'Security incident', value: 'open since 2026-12-01 10:00 UTC; 1 finding' });
    expect(n.facts).toContainEqual({ label: 'Incident', value: security.id });
  });
});

describe('a key removed from the monitor with its security incident open', () => {
  it('the incident is closed and everyone is told it is no longer watched, not left open where nobody sees it', () => {
    const m = new Monitor();
    m.at(T0, healthy([withdrawal('w1')]));
    const state = m.keys.get('trading') as KeyState;
    const d = decideRun({ now: T0 + HOUR, policy: POLICY, runs: [], keyStates: new Map(), monitor: m.monitor, retired: new Map([['trading', state]]) });
    expect(d.keyStates.get('trading')?.security ?? null).toBeNull();
    const [closed] = d.events.map((e) => notificationFor(e, T0 + HOUR, ctx));
    expect(closed?.kind).toBe('resolved');
    expect(closed?.severity).toBe('info');
    expect(closed?.subject).toContain('no longer monitored');
    expect(closed?.subject).not.toContain('nothing new');
  });
});
