export const DIAGNOSES = [
  'OK',
  'CREDENTIALS_MISSING',
  'CREDENTIALS_MALFORMED',
  'AUTH_FAILED',
  'IP_NOT_WHITELISTED',
  'TRADE_PERMISSION_MISSING',
  'TRADE_PERMISSION_UNEXPECTED',
  'NONCE_REJECTED',
  'EGRESS_IP_MISMATCH',
  'RATE_LIMITED',
  'EXCHANGE_UNAVAILABLE',
  'UNEXPECTED_RESPONSE',
] as const;
export type Diagnosis = (typeof DIAGNOSES)[number];
export type Failure = Exclude<Diagnosis, 'OK'>;

export interface Credentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

export type CheckName = 'credentials' | 'egress-ip' | 'public-api' | 'signed-read' | 'trade-permission';
export const CHECK_NAMES: readonly CheckName[] = ['credentials', 'egress-ip', 'public-api', 'signed-read', 'trade-permission'];

/** pass/fail decide health; warn is shown but does not; skip means the check could not apply. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface BalanceEvidence {
  /** Entries in position_balances. */
  readonly count: number;
  /** Entries with a non-zero market value. */
  readonly valued: number;
  /** Sum of market_value, in the account's valuation currency (USD on the exchange). */
  readonly totalMarketValue: number;
}

export interface CheckResult {
  readonly name: CheckName;
  readonly status: CheckStatus;
  /** false only when status is 'fail'. */
  readonly ok: boolean;
  /** The exchange's reason code when it sent one. */
  readonly code: number | null;
  readonly httpStatus: number | null;
  readonly latencyMs: number;
  /** Human text; never contains a secret, signature or full key. */
  readonly detail: string;
  /** What this check's failure means; set when status is 'fail'. */
  readonly failure?: Failure;
  readonly balances?: BalanceEvidence;
  readonly egressIp?: string;
  readonly clockSkewMs?: number;
  readonly tradeAllowed?: boolean;
}

export interface Report {
  readonly healthy: boolean;
  readonly diagnosis: Diagnosis;
  readonly title: string;
  readonly advice: string;
  readonly egressIp: string | null;
  /** At most the first 4 characters of the key. */
  readonly keyPrefix: string | null;
  readonly checks: readonly CheckResult[];
}
