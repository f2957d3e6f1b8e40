import type { NotificationFact } from '../contract/notification.js';
import { formatSkew } from './checks.js';
import { DIAGNOSIS_TABLE } from './diagnosis-table.js';
import type { Report } from './types.js';

/**
 * What a check saw, as the facts a notification lists: the diagnosis in plain words, the exchange's
 * code and HTTP status, the egress IP seen against the whitelisted one, clock skew, balances. All of
 * it is already display-safe (details were sanitised and redacted when the checks ran).
 */
export function reportFacts(report: Report, expectedIps: readonly string[]): NotificationFact[] {
  const facts: NotificationFact[] = [];
  const failing = report.checks.find((c) => c.status === 'fail' && c.failure === report.diagnosis);
  facts.push({ label: 'Diagnosis', value: `${DIAGNOSIS_TABLE[report.diagnosis].title} (${report.diagnosis})` });
  if (failing?.code !== undefined && failing.code !== null) facts.push({ label: 'Exchange code', value: String(failing.code) });
  if (failing?.httpStatus !== undefined && failing.httpStatus !== null) facts.push({ label: 'HTTP status', value: String(failing.httpStatus) });
  if (failing) facts.push({ label: 'Seen', value: `${failing.name}: ${failing.detail}` });
  const egress = report.egressIp ?? 'unknown';
  facts.push({ label: 'Egress IP', value: expectedIps.length > 0 ? `${egress} (whitelisted: ${expectedIps.join(', ')})` : egress });
  const skew = report.checks.find((c) => c.clockSkewMs !== undefined)?.clockSkewMs;
  if (skew !== undefined) facts.push({ label: 'Clock skew', value: formatSkew(skew) });
  const balances = report.checks.find((c) => c.balances)?.balances;
  if (balances)
    facts.push({
      label: 'Balances seen',
      value: `${balances.count} (${balances.valued} with a market value, total ${balances.totalMarketValue.toFixed(2)} USD)`,
    });
  return facts;
}
