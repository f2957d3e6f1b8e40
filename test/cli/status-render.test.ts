import { describe, expect, it } from 'vitest';
import { renderStatus, type StatusReport } from '../../src/cli/status.js';

const NOW = Date.UTC(2026, 11, 5, 9, 0, 0);
const report = (clock: StatusReport['clock']): StatusReport => ({
  schemaVersion: 1,
  stack: 'Ops',
  clock,
  keys: [
    {
      key: 'trading',
      state: 'ok',
      diagnosis: 'OK',
      since: null,
      lastCheckedAt: new Date(NOW - 2 * 60_000).toISOString(),
      uptime7d: 1,
      uptime30d: 1,
      incidentId: null,
      acknowledged: null,
    },
  ],
  monitorIncident: null,
  mutedUntil: null,
  maintenance: [],
  recentIncidents: [],
});

describe('status says whose clock its ages are measured by', () => {
  it('when no AWS reply said its time, ages are said to use this machine’s clock', () => {
    expect(renderStatus(report({ source: 'local', skewMs: null }), NOW)).toContain("AWS's replies did not say its time; ages use this machine's clock");
  });

  it('when AWS’s time was read and agrees, nothing is said about the clock', () => {
    expect(renderStatus(report({ source: 'local', skewMs: 400 }), NOW)).not.toContain('⏱');
  });
});

describe('status says who is on an open incident', () => {
  const ack = { by: 'Ann', at: new Date(NOW - 30 * 60_000).toISOString(), note: 'rotating now', via: 'cli' };
  it('names who acknowledged each open incident and when, and how to acknowledge one nobody has', () => {
    const base = report({ source: 'local', skewMs: 0 });
    const key = base.keys[0] as StatusReport['keys'][number];
    const s: StatusReport = {
      ...base,
      keys: [
        { ...key, state: 'open', diagnosis: 'AUTH_FAILED', since: new Date(NOW - 3_600_000).toISOString(), incidentId: 'key:trading:1', acknowledged: ack },
        { ...key, key: 'hedge', state: 'open', diagnosis: 'AUTH_FAILED', since: new Date(NOW - 3_600_000).toISOString(), incidentId: 'key:hedge:2' },
      ],
      monitorIncident: {
        diagnosis: 'EXCHANGE_UNAVAILABLE',
        since: new Date(NOW - 600_000).toISOString(),
        keys: 2,
        incidentId: 'monitor:3',
        acknowledged: { ...ack, by: 'Bob', note: null },
      },
    };
    const text = renderStatus(s, NOW);
    expect(text).toContain('  trading  key:trading:1  👤 acknowledged by Ann at 2026-12-05 08:30 UTC: rotating now');
    expect(text).toContain('  hedge    key:hedge:2    not acknowledged (key-monitor ack hedge)');
    expect(text).toContain('   👤 acknowledged by Bob at 2026-12-05 08:30 UTC\n');
  });
});

describe('status lists the open security incidents beside the health state', () => {
  it('a healthy key with a security incident open says so, with its id to acknowledge it by', async () => {
    const { statusOf } = await import('../../src/cli/status.js');
    const { NEW_KEY_STATE } = await import('../../src/monitor/incident-state.js');
    const openedAt = NOW - 3_600_000;
    const latest = { diagnosis: 'FUNDS_DROPPED' as const, identity: 'funds:1:2', severity: 'warning' as const, detail: 'x', facts: [] };
    const security = {
      id: `security:trading:${openedAt}`,
      openedAt,
      since: openedAt,
      failedRuns: 0,
      duringMaintenance: false,
      diagnosis: 'FUNDS_DROPPED' as const,
      severity: 'warning' as const,
      transitions: 1,
      lastNotifiedAt: openedAt,
      lastFindingAt: openedAt,
      findings: 1,
      latest,
      ack: null,
    };
    const key = statusOf(
      'trading',
      { ...NEW_KEY_STATE, lastDiagnosis: 'OK', security, securitySeen: ['funds:1:2'] },
      { at: NOW - 60_000, diagnosis: 'OK', days: {} },
      NOW,
      15 * 60_000,
    );
    expect(key.state).toBe('ok');
    const text = renderStatus({ ...report({ source: 'local', skewMs: 0 }), keys: [key] }, NOW);
    expect(text).toContain(`  🛡  trading: Money or assets left the account, open since 2026-12-05 08:00 UTC; 1 finding (security:trading:${openedAt})`);
  });

  it('an acknowledged security incident says who is on it and since when (text and --json), and one nobody has says how to acknowledge it by its id', async () => {
    const { statusOf } = await import('../../src/cli/status.js');
    const { NEW_KEY_STATE } = await import('../../src/monitor/incident-state.js');
    const openedAt = NOW - 3_600_000;
    const latest = { diagnosis: 'WITHDRAWAL_DETECTED' as const, identity: 'withdrawal:w1', severity: 'critical' as const, detail: 'x', facts: [] };
    const security = {
      id: `security:trading:${openedAt}`,
      openedAt,
      since: openedAt,
      failedRuns: 0,
      duringMaintenance: false,
      diagnosis: 'WITHDRAWAL_DETECTED' as const,
      severity: 'critical' as const,
      transitions: 1,
      lastNotifiedAt: openedAt,
      lastFindingAt: openedAt,
      findings: 1,
      latest,
    };
    const health = {
      id: `key:trading:${openedAt}`,
      openedAt,
      since: openedAt,
      diagnosis: 'AUTH_FAILED' as const,
      transitions: 1,
      lastNotifiedAt: openedAt,
      failedRuns: 3,
      duringMaintenance: false,
    };
    const ack = { by: 'Ann <ops>', at: NOW - 600_000, note: 'checking the whitelist', via: 'link' as const };
    const acked = statusOf('trading', { ...NEW_KEY_STATE, lastDiagnosis: 'OK', security: { ...security, ack } }, undefined, NOW, 15 * 60_000);
    expect(acked.security?.acknowledged).toEqual({ by: 'Ann <ops>', at: new Date(ack.at).toISOString(), note: 'checking the whitelist', via: 'link' });
    const text = renderStatus({ ...report({ source: 'local', skewMs: 0 }), keys: [acked] }, NOW);
    expect(text).toContain('acknowledged by Ann <ops> at 2026-12-05 08:50 UTC: checking the whitelist');
    // Both open and nobody on either: `ack trading` would be ambiguous, so each line names its own id.
    const both = statusOf(
      'trading',
      { ...NEW_KEY_STATE, lastDiagnosis: 'AUTH_FAILED', incident: health, security: { ...security, ack: null } },
      undefined,
      NOW,
      15 * 60_000,
    );
    const lines = renderStatus({ ...report({ source: 'local', skewMs: 0 }), keys: [both] }, NOW);
    expect(lines).toContain(`not acknowledged (key-monitor ack key:trading:${openedAt})`);
    expect(lines).toContain(`not acknowledged (key-monitor ack security:trading:${openedAt})`);
    expect(lines).not.toContain('key-monitor ack trading)');
  });
});

describe('check says "nothing found" only when the withdrawal history was read', () => {
  it('a history read that did not answer (503, timeout) is not "nothing found"', async () => {
    const { renderReport } = await import('../../src/cli/format.js');
    const { credentialsOnlyReport } = await import('../../src/monitor/checks.js');
    const report = credentialsOnlyReport({ ok: false, diagnosis: 'CREDENTIALS_MISSING', detail: 'x' } as never, 'local');
    const unread = {
      ...report,
      withdrawalWatch: { kind: 'not-read' as const, why: 'the withdrawal history did not answer (HTTP 503)', cursor: null },
    };
    const text = renderReport(unread, 'heading', { findings: [], notWatched: ['withdrawals: the withdrawal history did not answer (HTTP 503)'] });
    expect(text).not.toContain('Security: nothing found\n');
    const read = { ...report, withdrawalWatch: { kind: 'read' as const, found: [], cursor: { since: 0, ids: [] } } };
    expect(renderReport(read, 'heading', { findings: [], notWatched: [] })).toContain('Security: nothing found\n');
  });
});
