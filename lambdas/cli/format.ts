import type { CheckResult, CheckStatus, Report } from '../monitor/types.js';

const MARK: Record<CheckStatus, string> = { pass: '✅', fail: '❌', warn: '⚠️ ', skip: '➖' };

function line(c: CheckResult): string {
  const latency = c.latencyMs > 0 ? `  (${c.latencyMs} ms)` : '';
  return `  ${MARK[c.status]} ${c.name.padEnd(17)} ${c.detail}${latency}`;
}

export function renderReport(report: Report, heading: string): string {
  const lines = [heading, '', ...report.checks.map(line), ''];
  lines.push(`Diagnosis: ${report.diagnosis} — ${report.title}`);
  if (!report.healthy) lines.push(`Fix: ${report.advice}`);
  return lines.join('\n') + '\n';
}

export function reportJson(report: Report, extra: Record<string, unknown> = {}): string {
  const { healthy, diagnosis, title, advice, egressIp, keyPrefix, checks } = report;
  return JSON.stringify({ healthy, diagnosis, title, advice, egressIp, keyPrefix, checks, ...extra }, null, 2) + '\n';
}

export function exitCodeFor(report: Report): 0 | 1 | 2 {
  if (report.healthy) return 0;
  return report.diagnosis === 'CREDENTIALS_MISSING' || report.diagnosis === 'CREDENTIALS_MALFORMED' ? 2 : 1;
}
