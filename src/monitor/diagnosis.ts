import type { ExchangeReply } from '../exchange/reply.js';
import { DIAGNOSIS_TABLE, type AdviceContext, type DiagnosisSpec } from './diagnosis-table.js';
import { CHECK_NAMES, type CheckName, type CheckResult, type CheckSite, type Diagnosis, type Failure, type Report } from './types.js';

/**
 * What replies and check results mean, read from the diagnosis table (diagnosis-table.ts): a reply's
 * class, which fault of many is the one to fix first, and its runbook text.
 */

const byCode = new Map<number, Diagnosis>();
const byStatus = new Map<number, Diagnosis>();
for (const [diagnosis, spec] of Object.entries(DIAGNOSIS_TABLE) as [Diagnosis, DiagnosisSpec][]) {
  for (const code of spec.codes) byCode.set(code, diagnosis);
  for (const status of spec.httpStatuses) byStatus.set(status, diagnosis);
}

/** HTTP statuses that say "this is not the API" when the body is not an exchange answer. */
const NOT_THE_API = (status: number) => (status >= 200 && status < 400) || status === 404 || status === 405 || status === 410;

/**
 * What one exchange reply means. A reason code in the body decides, whatever the HTTP status,
 * except that success (code 0) counts only with HTTP 200: a redirect or an error page that says
 * "code 0" is not an answer.
 */
export function classifyReply(reply: ExchangeReply): Diagnosis {
  switch (reply.kind) {
    case 'network':
      if (reply.error === 'proxy-unreachable') return 'PROXY_UNREACHABLE';
      if (reply.error === 'proxy-refused') return reply.proxyStatus === 407 ? 'PROXY_AUTH_FAILED' : 'PROXY_CONNECT_FAILED';
      if (reply.error === 'proxy-token-unreadable') return 'PROXY_TOKEN_UNREADABLE';
      if (reply.error === 'host-unknown') return 'EXCHANGE_HOST_UNKNOWN';
      return 'EXCHANGE_UNAVAILABLE';
    case 'not-json': {
      // Cloudflare and load balancers answer with HTML; 401 and 429 still say something useful, and a
      // page that is not an error (or a 404) means the base URL points somewhere else entirely.
      const meaning = byStatus.get(reply.httpStatus);
      if (meaning === 'AUTH_FAILED' || meaning === 'RATE_LIMITED') return meaning;
      // A success status with an empty, cut-off or oversized body is an answer that went wrong, not a
      // sign of the wrong URL: cut off or empty, on the way (tried again); too large, unexplained.
      const success = reply.httpStatus >= 200 && reply.httpStatus < 300;
      if (success && (reply.form === 'empty' || reply.form === 'cut-off')) return 'EXCHANGE_UNAVAILABLE';
      if (success && reply.form === 'over-cap') return 'UNEXPECTED_RESPONSE';
      return NOT_THE_API(reply.httpStatus) ? 'EXCHANGE_URL_INVALID' : 'EXCHANGE_UNAVAILABLE';
    }
    case 'answer':
      if (reply.code === 0) return reply.httpStatus === 200 ? 'OK' : 'UNEXPECTED_RESPONSE';
      if (reply.code !== null) return byCode.get(reply.code) ?? 'UNEXPECTED_RESPONSE';
      if (byStatus.has(reply.httpStatus)) return byStatus.get(reply.httpStatus) as Diagnosis;
      if (reply.httpStatus >= 500) return 'EXCHANGE_UNAVAILABLE';
      return reply.httpStatus === 404 || reply.httpStatus === 405 || (reply.httpStatus >= 300 && reply.httpStatus < 400)
        ? 'EXCHANGE_URL_INVALID'
        : 'UNEXPECTED_RESPONSE';
  }
}

/** The check that proves `d` gone (null for OK: nothing to prove). */
export function provenBy(d: Diagnosis): CheckName | null {
  return DIAGNOSIS_TABLE[d].provenBy;
}

export function isFailure(d: Diagnosis): d is Failure {
  return d !== 'OK';
}

export function isTransient(d: Diagnosis): boolean {
  return DIAGNOSIS_TABLE[d].transient;
}

/** The transport's retry predicate: only faults that clear on their own earn another attempt. */
export function isRetryableReply(reply: ExchangeReply): boolean {
  const meaning = classifyReply(reply);
  return meaning === 'EXCHANGE_UNAVAILABLE' || meaning === 'RATE_LIMITED' || meaning === 'PROXY_UNREACHABLE' || meaning === 'PROXY_CONNECT_FAILED';
}

export function adviceFor(diagnosis: Diagnosis, ctx: AdviceContext): string {
  return DIAGNOSIS_TABLE[diagnosis].advice(ctx);
}

export interface DiagnoseContext {
  readonly expectedIps: readonly string[];
  readonly keyPrefix: string | null;
  readonly site: CheckSite;
}

/** Many check results → the one fault to fix first, with its runbook text. */
export function diagnose(checks: readonly CheckResult[], ctx: DiagnoseContext): Report {
  const failing = checks
    .filter((c): c is CheckResult & { failure: Failure } => c.status === 'fail' && c.failure !== undefined)
    .sort((a, b) => DIAGNOSIS_TABLE[a.failure].precedence - DIAGNOSIS_TABLE[b.failure].precedence);
  const first = failing[0];
  // No OK without evidence: a healthy verdict needs the signed read and the trade probe to have passed.
  const proven =
    checks.some((c) => c.name === 'signed-read' && c.status === 'pass') && checks.some((c) => c.name === 'trade-permission' && c.status === 'pass');
  const diagnosis: Diagnosis = first ? first.failure : proven ? 'OK' : 'MONITOR_ERROR';
  const egressIp = checks.find((c) => c.egressIp !== undefined)?.egressIp ?? null;
  const detail = first ? `${first.name}: ${first.detail}` : proven ? '' : 'the checks did not produce the evidence a healthy verdict needs';
  const advice = adviceFor(diagnosis, {
    egressIp,
    expectedIps: ctx.expectedIps,
    keyPrefix: ctx.keyPrefix,
    detail,
    site: ctx.site,
    secretFault: first?.secretFault,
  });
  // A check absent from the list did not run: it proved nothing either.
  const notVerified = CHECK_NAMES.filter((name) => (checks.find((c) => c.name === name)?.ok ?? null) === null);
  return {
    healthy: diagnosis === 'OK',
    diagnosis,
    title: DIAGNOSIS_TABLE[diagnosis].title,
    advice,
    egressIp,
    keyPrefix: ctx.keyPrefix,
    checks,
    notVerified,
  };
}
