import type { CheckResult, Diagnosis, Failure, Report } from './types.js';
import type { ExchangeReply } from '../exchange/reply.js';

/** What the advice text may mention. Everything here is safe to show. */
export interface AdviceContext {
  /** The observed egress IP (or, in CloudFormation, a token that resolves to it). */
  readonly egressIp: string | null;
  readonly expectedIps: readonly string[];
  readonly keyPrefix: string | null;
  /** The first failing check's detail. */
  readonly detail: string;
}

interface DiagnosisSpec {
  /** Lower wins when several checks fail: the most fundamental fault is the one to fix first. */
  readonly precedence: number;
  /** Exchange reason codes (v1 and legacy v2) that mean this class, whatever the HTTP status. */
  readonly codes: readonly number[];
  /** HTTP statuses that mean this class when the body carries no reason code. */
  readonly httpStatuses: readonly number[];
  readonly title: string;
  readonly advice: (ctx: AdviceContext) => string;
}

const key = (ctx: AdviceContext) => (ctx.keyPrefix ? `key ${ctx.keyPrefix}…` : 'the key');
const ip = (ctx: AdviceContext) => ctx.egressIp ?? 'this machine’s outbound IP (it could not be determined)';

/**
 * The one table that drives classification, precedence and the runbook text.
 * Codes from shared/cryptocom-api.md §2.2; legacy v2 codes still appear on some accounts.
 */
export const DIAGNOSIS_TABLE: Readonly<Record<Diagnosis, DiagnosisSpec>> = {
  OK: {
    precedence: 100,
    codes: [0],
    httpStatuses: [],
    title: 'Key is healthy',
    advice: () => 'Nothing to do.',
  },
  CREDENTIALS_MISSING: {
    precedence: 1,
    codes: [],
    httpStatuses: [],
    title: 'No API key or secret',
    advice: (ctx) =>
      `${ctx.detail}. Locally: set EXCHANGE_API_KEY and EXCHANGE_API_SECRET, or pass --secret-id. ` +
      'On AWS: write {"apiKey":"…","apiSecret":"…"} into the key’s secret with ' +
      '`aws secretsmanager put-secret-value --secret-id <secret> --secret-string file://key.json`.',
  },
  CREDENTIALS_MALFORMED: {
    precedence: 2,
    codes: [],
    httpStatuses: [],
    title: 'API key or secret is malformed',
    advice: (ctx) =>
      `${ctx.detail}. Copy the key and secret again from Crypto.com Exchange → Settings → API Keys, ` +
      'without surrounding spaces, newlines or quotes, and store them again.',
  },
  EGRESS_IP_MISMATCH: {
    precedence: 3,
    codes: [],
    httpStatuses: [],
    title: 'Requests do not leave through the whitelisted IP',
    advice: (ctx) =>
      `Requests leave from ${ip(ctx)}, not from ${ctx.expectedIps.join(' or ') || 'the expected IP'}. ` +
      'Traffic is not going through the NAT gateway whose Elastic IP is whitelisted: check that the ' +
      'function runs in the private subnets and their route table points 0.0.0.0/0 at the NAT, ' +
      'or whitelist the new address on the key if the change was intended.',
  },
  IP_NOT_WHITELISTED: {
    precedence: 4,
    codes: [40103, 10003],
    httpStatuses: [],
    title: 'IP not whitelisted (40103)',
    advice: (ctx) =>
      `The exchange refused ${key(ctx)} from IP ${ip(ctx)}. Add ${ip(ctx)} to the key’s IP whitelist ` +
      '(Crypto.com Exchange → Settings → API Keys → Edit → IP whitelist), then wait 2–5 minutes ' +
      'for the change to take effect. Nothing else needs to change.',
  },
  NONCE_REJECTED: {
    precedence: 5,
    codes: [40102, 10007],
    httpStatuses: [],
    title: 'Nonce rejected: clock skew (40102)',
    advice: (ctx) =>
      `${ctx.detail}. The exchange rejects requests whose nonce is more than 60 s from its clock. ` +
      'Sync this machine’s clock (chrony/NTP: `timedatectl set-ntp true`); Lambda clocks are ' +
      'synchronised by AWS, so on AWS this points at a stale or reused nonce.',
  },
  AUTH_FAILED: {
    precedence: 6,
    codes: [40101, 10002, 40104, 10005],
    httpStatuses: [401],
    title: 'Authentication failure (40101 / HTTP 401)',
    advice: (ctx) =>
      `The exchange did not accept ${key(ctx)}: the key or secret is wrong, or the key was deleted, ` +
      'revoked or expired. Check in Crypto.com Exchange → Settings → API Keys that the key still ' +
      'exists; if it does, the stored secret is wrong: store it again. Otherwise create a new key ' +
      '(Read + Trade, IP whitelist set) and rotate it in (README → Rotate a key).',
  },
  TRADE_PERMISSION_MISSING: {
    precedence: 7,
    codes: [],
    httpStatuses: [],
    title: 'Key cannot trade (reads work, writes fail with 40101)',
    advice: (ctx) =>
      `${key(ctx)} reads balances but is refused on a trade-scoped call, so orders will fail with ` +
      '40101. Enable "Enable trading" on the key (Crypto.com Exchange → Settings → API Keys → Edit), ' +
      'or create a key with Trade and rotate it in.',
  },
  TRADE_PERMISSION_UNEXPECTED: {
    precedence: 8,
    codes: [],
    httpStatuses: [],
    title: 'Read-only key can trade',
    advice: (ctx) =>
      `${key(ctx)} is declared read-only but the exchange accepted a trade-scoped call. Least ` +
      'privilege: untick "Enable trading" on the key, or declare it as a trading key ' +
      '(expectTrade: true / drop --read-only).',
  },
  RATE_LIMITED: {
    precedence: 9,
    codes: [42901, 10006],
    httpStatuses: [429],
    title: 'Rate limited (429 / 42901)',
    advice: () =>
      'The exchange is throttling this key. Another bot is probably sharing it: use one key per bot, ' +
      'or run checks less often. The key itself is fine.',
  },
  EXCHANGE_UNAVAILABLE: {
    precedence: 10,
    codes: [50001, 40801, 9010001],
    httpStatuses: [500, 502, 503, 504],
    title: 'Exchange or network unavailable',
    advice: (ctx) =>
      `${ctx.detail}. This is on the exchange or network side; no key action. Check ` +
      'https://status.crypto.com and the NAT gateway; the next scheduled check runs again.',
  },
  UNEXPECTED_RESPONSE: {
    precedence: 11,
    codes: [],
    httpStatuses: [],
    title: 'Unexpected response',
    advice: (ctx) =>
      `${ctx.detail}. Look the code up in the error-code reference (README); account-level codes such ` +
      'as 202 ACCOUNT_IS_SUSPENDED need Crypto.com support.',
  },
};

const byCode = new Map<number, Diagnosis>();
const byStatus = new Map<number, Diagnosis>();
for (const [diagnosis, spec] of Object.entries(DIAGNOSIS_TABLE) as [Diagnosis, DiagnosisSpec][]) {
  for (const code of spec.codes) byCode.set(code, diagnosis);
  for (const status of spec.httpStatuses) byStatus.set(status, diagnosis);
}

/** What one exchange reply means. A reason code in the body decides, whatever the HTTP status. */
export function classifyReply(reply: ExchangeReply): Diagnosis {
  switch (reply.kind) {
    case 'network':
      return 'EXCHANGE_UNAVAILABLE';
    case 'not-json':
      // Cloudflare and load balancers answer with HTML; only 401 and 429 still say something useful.
    {
      const meaning = byStatus.get(reply.httpStatus);
      return meaning === 'AUTH_FAILED' || meaning === 'RATE_LIMITED' ? meaning : 'EXCHANGE_UNAVAILABLE';
    }
    case 'answer':
      if (reply.code !== null) return byCode.get(reply.code) ?? 'UNEXPECTED_RESPONSE';
      if (byStatus.has(reply.httpStatus)) return byStatus.get(reply.httpStatus) as Diagnosis;
      return reply.httpStatus >= 500 ? 'EXCHANGE_UNAVAILABLE' : 'UNEXPECTED_RESPONSE';
  }
}

export function isFailure(d: Diagnosis): d is Failure {
  return d !== 'OK';
}

export function adviceFor(diagnosis: Diagnosis, ctx: AdviceContext): string {
  return DIAGNOSIS_TABLE[diagnosis].advice(ctx);
}

export interface DiagnoseContext {
  readonly expectedIps: readonly string[];
  readonly keyPrefix: string | null;
}

/** Many check results → the one fault to fix first, with its runbook text. */
export function diagnose(checks: readonly CheckResult[], ctx: DiagnoseContext): Report {
  const failing = checks
    .filter((c): c is CheckResult & { failure: Failure } => c.status === 'fail' && c.failure !== undefined)
    .sort((a, b) => DIAGNOSIS_TABLE[a.failure].precedence - DIAGNOSIS_TABLE[b.failure].precedence);
  const first = failing[0];
  const diagnosis: Diagnosis = first ? first.failure : 'OK';
  const egressIp = checks.find((c) => c.egressIp !== undefined)?.egressIp ?? null;
  const advice = adviceFor(diagnosis, {
    egressIp,
    expectedIps: ctx.expectedIps,
    keyPrefix: ctx.keyPrefix,
    detail: first ? `${first.name}: ${first.detail}` : '',
  });
  return {
    healthy: diagnosis === 'OK',
    diagnosis,
    title: DIAGNOSIS_TABLE[diagnosis].title,
    advice,
    egressIp,
    keyPrefix: ctx.keyPrefix,
    checks,
  };
}
