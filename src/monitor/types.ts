import type { ExposureSnapshot, InUse } from './exposure.js';
import type { ExchangeCredentials } from '../exchange/client.js';
import type { BalanceSummary } from './balance-summary.js';
import type { WithdrawalLook } from './withdrawal-watch.js';

export const DIAGNOSES = [
  'OK',
  'CREDENTIALS_MISSING',
  'SECRET_NOT_READABLE',
  'SECRET_STORE_UNAVAILABLE',
  'CREDENTIALS_MALFORMED',
  'EXCHANGE_URL_INVALID',
  'EXCHANGE_HOST_UNKNOWN',
  'PROXY_UNREACHABLE',
  'PROXY_AUTH_FAILED',
  'PROXY_TOKEN_UNREADABLE',
  'PROXY_CONNECT_FAILED',
  'EGRESS_IP_MISMATCH',
  'EGRESS_NOT_VERIFIED',
  'IP_NOT_WHITELISTED',
  'NONCE_REJECTED',
  'AUTH_FAILED',
  'API_DISABLED',
  'ACCOUNT_TERMINATED',
  'ACCOUNT_SUSPENDED',
  'ACCOUNT_DISABLED',
  'ACCOUNT_NOT_TRADABLE',
  'TRADE_PERMISSION_MISSING',
  'WITHDRAW_PERMISSION_UNEXPECTED',
  'TRADE_PERMISSION_UNEXPECTED',
  'SUB_ACCOUNT_KEY',
  'DERIVATIVES_ACCESS_MISSING',
  'RATE_LIMITED',
  'EXCHANGE_MAINTENANCE',
  'EXCHANGE_UNAVAILABLE',
  'UNEXPECTED_RESPONSE',
  'MONITOR_ERROR',
  // Security findings (security-findings.ts): events about the account, never a check's verdict.
  'WITHDRAWAL_DETECTED',
  'FUNDS_DROPPED',
  'FOREIGN_ORDERS',
  'WITHDRAWAL_WATCH_NOT_DETERMINED',
] as const;
export type Diagnosis = (typeof DIAGNOSES)[number];
export type Failure = Exclude<Diagnosis, 'OK'>;

export type Credentials = ExchangeCredentials;

/** Why a key's secret could not be read: each has its own fix. */
export type SecretFault =
  'not-found' | 'access-denied' | 'kms-denied' | 'no-region' | 'no-aws-credentials' | 'throttled' | 'unreachable' | 'timeout' | 'service-error';

/** Where a check ran decides what advice fits: a laptop has no NAT gateway and no next scheduled run. */
export type CheckSite = 'aws' | 'local';

export type CheckName = 'credentials' | 'egress-ip' | 'public-api' | 'signed-read' | 'account' | 'trade-permission' | 'withdraw-permission';
export const CHECK_NAMES: readonly CheckName[] = [
  'credentials',
  'egress-ip',
  'public-api',
  'signed-read',
  'account',
  'trade-permission',
  'withdraw-permission',
];

/** What the account behind a key looks like (private/get-accounts). */
export interface AccountEvidence {
  readonly hierarchy: 'MASTER' | 'SUB_ACCOUNT' | null;
  readonly enabled: boolean | null;
  readonly tradable: boolean | null;
  readonly suspended: boolean | null;
  readonly terminated: boolean | null;
  readonly derivativesAccess: boolean | null;
  readonly marginAccess: boolean | null;
}

/** What a key is expected to be allowed, beyond Trade. Unset = not checked. */
export interface KeyExpectations {
  readonly expectTrade: boolean;
  /** false (the default): a key that can withdraw is a security finding. */
  readonly expectWithdraw: boolean;
  readonly expectDerivatives?: boolean | undefined;
  /** true: the key must belong to the master account, not a sub-account. */
  readonly expectMaster?: boolean | undefined;
}

/** pass/fail decide health; warn is shown but does not; skip means the check could not apply. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface BalanceEvidence {
  /** Entries in position_balances. */
  readonly count: number;
  /** Entries with a non-zero market value. */
  readonly valued: number;
  /** Sum of market_value, in the account's valuation currency (USD on the exchange). */
  readonly totalMarketValue: number;
  /** What orders and positions hold (exposure.ts): whether there is anything open to read. */
  readonly inUse?: InUse;
  /** Quantities and prices of the largest balances: what the security watch compares run to run. */
  readonly summary?: BalanceSummary;
}

export interface CheckResult {
  readonly name: CheckName;
  readonly status: CheckStatus;
  /** true for pass and warn, false for fail, null for a check that did not run or whose answer proved nothing. */
  readonly ok: boolean | null;
  /** The exchange's reason code when it sent one. */
  readonly code: number | null;
  readonly httpStatus: number | null;
  /** The last attempt's round trip (what the exchange took). */
  readonly latencyMs: number;
  /** The whole check: every attempt and the waits between them. */
  readonly elapsedMs: number;
  readonly attempts: number;
  /** Human text, one printable line; never contains a secret, signature or full key. */
  readonly detail: string;
  /** What this check's failure means; set when status is 'fail'. */
  readonly failure?: Failure;
  readonly secretFault?: SecretFault;
  readonly balances?: BalanceEvidence;
  readonly egressIp?: string;
  readonly clockSkewMs?: number;
  readonly tradeAllowed?: boolean;
  readonly account?: AccountEvidence;
  /** The withdraw probe's verdict: true can withdraw, false cannot, null inconclusive. */
  readonly withdrawAllowed?: boolean | null;
  /** Not sent this run: the last conclusive pass, from this time (cadence.ts). Shown, never counted as proof. */
  readonly carriedFrom?: number;
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
  /** Checks that proved nothing this run (skipped, or an answer that was not evidence): a healthy verdict does not cover them. */
  readonly notVerified: readonly CheckName[];
  /** The withdraw probe sent in this run, with its own answer (null: it proved nothing), whatever verdict the check shows. */
  readonly withdrawProbe?: WithdrawProbeOutcome;
  /** What is open on the account (after a good read): read this run, or the last snapshot that still stands. */
  readonly exposure?: ExposureSnapshot;
  /** The withdrawal watch's look at the account's history (withdrawal-watch.ts); absent when it is off. */
  readonly withdrawalWatch?: WithdrawalLook;
}

/** One withdraw probe's answer: the scheduled check keeps definite ones and re-probes after the others. */
export interface WithdrawProbeOutcome {
  /** When it was sent (epoch ms). */
  readonly at: number;
  /** true can withdraw, false cannot, null the answer proved nothing. */
  readonly allowed: boolean | null;
  /** What the probe saw, for "could not re-check (…)". */
  readonly seen: string;
}
