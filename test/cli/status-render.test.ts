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
});
