import { displaySafe } from '../exchange/text-safety.js';
import type { CheckName, CheckResult, CheckStatus, Report } from '../monitor/types.js';
import { DIAGNOSIS_TABLE } from '../monitor/diagnosis-table.js';
import { exposureText, type ExposureSnapshot } from '../monitor/exposure.js';
import type { SecurityFinding } from '../monitor/security-findings.js';

/** Bumped when a field of the --json output changes meaning or goes away (docs/cli.md → JSON output). */
export const JSON_SCHEMA_VERSION = 1;

const MARK: Record<CheckStatus, string> = { pass: '✅', fail: '❌', warn: '⚠️ ', skip: '➖' };

const ms = (n: number) => `${n.toLocaleString('en-US')} ms`;

function timing(c: CheckResult): string {
  if (c.attempts > 1) return `  (${c.attempts} attempts, ${ms(c.elapsedMs)})`;
  return c.elapsedMs > 0 ? `  (${ms(c.elapsedMs)})` : '';
}

// Everything printed passes through displaySafe once more: a terminal is the last place an escape
// sequence or a stray newline from the exchange could do harm.
function line(c: CheckResult): string {
  return `  ${MARK[c.status]} ${c.name.padEnd(19)} ${displaySafe(c.detail, 400)}${timing(c)}`;
}

/** A check's name as the verdict line says it. */
const CHECK_WORDS: Record<CheckName, string> = {
  credentials: 'credentials',
  'egress-ip': 'egress IP',
  'public-api': 'public API',
  'signed-read': 'signed read',
  account: 'account',
  'trade-permission': 'trade permission',
  'withdraw-permission': 'withdraw permission',
};

/** What the security watch made of this check: its findings, and what it could not look at. */
export interface SecurityView {
  readonly findings: readonly SecurityFinding[];
  /** Parts of the watch this check could not do, one phrase each. */
  readonly notWatched: readonly string[];
}

function securityLines(view: SecurityView, historyRead: boolean): string[] {
  const lines = view.findings.flatMap((f) => [
    `Security: ${f.severity === 'critical' ? '🔴' : '🟠'} ${f.diagnosis} — ${DIAGNOSIS_TABLE[f.diagnosis].title}: ${displaySafe(f.detail, 400)}`,
    ...f.facts.map((fact) => `  ${displaySafe(fact.label, 40)}: ${displaySafe(fact.value, 600)}`),
  ]);
  // "Nothing found" is said only when the withdrawal history was read: an answer that proved nothing
  // (a 503, a timeout, a sub-account key) looked at nothing.
  if (view.findings.length === 0)
    lines.push(historyRead ? 'Security: nothing found' : 'Security: nothing found in what was read; the withdrawal history was not read');
  for (const n of view.notWatched) lines.push(`  not watched: ${displaySafe(n, 300)}`);
  return lines;
}

export function renderReport(report: Report, heading: string, security?: SecurityView): string {
  const lines = [...heading.split('\n').map((h) => displaySafe(h, 600)), '', ...report.checks.map(line), ''];
  // A healthy verdict covers only what was verified: say what it does not cover on the same line.
  const uncovered = report.healthy && report.notVerified.length > 0 ? ` (not verified: ${report.notVerified.map((c) => CHECK_WORDS[c]).join(', ')})` : '';
  lines.push(`Diagnosis: ${report.diagnosis} — ${report.title}${uncovered}`);
  if (!report.healthy) lines.push(`Fix: ${displaySafe(report.advice, 1200)}`);
  if (report.exposure) lines.push(`Open on the account: ${displaySafe(exposureLine(report), 1200)}`);
  if (security) lines.push(...securityLines(security, report.withdrawalWatch?.kind === 'read'));
  return lines.join('\n') + '\n';
}

export function reportJson(
  report: Report,
  context: { site: 'local'; sandbox: string | null; baseUrl: string; credentialsFrom: string },
  security?: SecurityView,
): string {
  const { healthy, diagnosis, title, advice, egressIp, keyPrefix, checks, notVerified, exposure } = report;
  return (
    JSON.stringify(
      {
        schemaVersion: JSON_SCHEMA_VERSION,
        healthy,
        diagnosis,
        title,
        advice,
        egressIp,
        keyPrefix,
        notVerified,
        checks,
        exposure: exposure ? { text: exposureLine(report), ...exposureJson(exposure) } : null,
        security: security ? { ...security, withdrawalHistoryRead: report.withdrawalWatch?.kind === 'read' } : null,
        target: { baseUrl: context.baseUrl, credentialsFrom: context.credentialsFrom, sandbox: context.sandbox },
      },
      null,
      2,
    ) + '\n'
  );
}

/** The exposure line as an alert about this verdict would say it. */
const exposureLine = (report: Report) => exposureText(report.exposure, report.exposure?.at ?? 0, DIAGNOSIS_TABLE[report.diagnosis].stopsTrading);

/** The snapshot without its internal comparison text. */
function exposureJson({ sig: _sig, ...snapshot }: ExposureSnapshot) {
  return { ...snapshot, at: new Date(snapshot.at).toISOString() };
}

export function errorJson(kind: 'usage' | 'internal', message: string): string {
  return JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, error: { kind, message } }) + '\n';
}

/** Bad input or configuration (the user must change something before a re-run can help) is 2. */
const CONFIGURATION = new Set(['CREDENTIALS_MISSING', 'CREDENTIALS_MALFORMED', 'SECRET_NOT_READABLE', 'EXCHANGE_URL_INVALID', 'EXCHANGE_HOST_UNKNOWN']);

export function exitCodeFor(report: Report): 0 | 1 | 2 {
  if (report.healthy) return 0;
  return CONFIGURATION.has(report.diagnosis) ? 2 : 1;
}
