import { adviceFor, DIAGNOSIS_TABLE } from '../../lambdas/monitor/diagnosis.js';
import type { Failure } from '../../lambdas/monitor/types.js';

/** The exchange codes an alarm covers, as an operator would search for them. */
export function codesFor(diagnosis: Failure): string {
  const spec = DIAGNOSIS_TABLE[diagnosis];
  if (diagnosis === 'TRADE_PERMISSION_MISSING') return '40101 / HTTP 401 on the trade-permission probe after a successful read';
  const codes = [...spec.codes.map(String), ...spec.httpStatuses.map((s) => `HTTP ${s}`)];
  return codes.join(' / ');
}

/**
 * An alarm description is the runbook for its class, with the egress IP resolved into it (a token
 * in CloudFormation), written from the same table the Lambda diagnoses with.
 */
export function runbookFor(keyName: string, diagnosis: Failure, egressIp: string): string {
  const spec = DIAGNOSIS_TABLE[diagnosis];
  const advice = adviceFor(diagnosis, { egressIp, expectedIps: [egressIp], keyPrefix: null, detail: spec.title, site: 'aws' });
  return `Exchange key "${keyName}": ${spec.title}. Exchange codes: ${codesFor(diagnosis)}. Fix: ${advice}`;
}

/** Everything the specific alarms do not cover, in one short list (descriptions are capped). */
export const OTHER_FAILURES: readonly Failure[] = [
  'CREDENTIALS_MISSING',
  'CREDENTIALS_MALFORMED',
  'EGRESS_IP_MISMATCH',
  'NONCE_REJECTED',
  'TRADE_PERMISSION_UNEXPECTED',
  'RATE_LIMITED',
  'EXCHANGE_UNAVAILABLE',
  'UNEXPECTED_RESPONSE',
];

export function otherRunbook(keyName: string, egressIp: string): string {
  return (
    `Exchange key "${keyName}" is unhealthy for a reason other than 40101/40103/Trade, twice in a row. ` +
    'The check Lambda\'s log line ("key unhealthy: <DIAGNOSIS>") names it with the exact fix. Likely: ' +
    'CREDENTIALS_MISSING/MALFORMED (secret must be {"apiKey","apiSecret"}, no spaces or quotes); ' +
    `EGRESS_IP_MISMATCH (traffic not leaving via ${egressIp}: check routes); NONCE_REJECTED 40102 (clock); ` +
    'TRADE_PERMISSION_UNEXPECTED (read-only key can trade: remove Trade); RATE_LIMITED 429/42901 (key shared by ' +
    'another bot); EXCHANGE_UNAVAILABLE 5xx/HTML/timeouts (exchange side, see status.crypto.com); ' +
    'UNEXPECTED_RESPONSE (see README error codes).'
  );
}
