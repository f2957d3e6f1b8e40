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
