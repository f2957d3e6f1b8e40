/**
 * Defaults that cross the synth/runtime line: the CDK stack, the Lambdas and the CLI read them from
 * here, so a default is written once. No imports: everything may depend on this file.
 */

/** How often keys are checked, in minutes (context `scheduleMinutes`). */
export const DEFAULT_SCHEDULE_MINUTES = 5;
/**
 * How often a healthy key's trade probe and account read run: Trade permission and the account's
 * state change rarely, and the balance read (every run) already proves the key authenticates from the
 * whitelisted IP. A key that is failing, has an open incident, or got an answer that proved nothing
 * has every probe on every run.
 */
export const DEFAULT_SPACED_PROBE_MINUTES = 60;

/** When incidents open, resolve and remind, and how long history is kept (context settings of the same names). */
export const DEFAULT_INCIDENT_POLICY = { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryHours: 4, historyDays: 30, keyMaxAgeDays: 90 } as const;

/** Per exchange request: connect, response headers and body each (undici's own default is 300 s). */
export const DEFAULT_TIMEOUT_MS = 5_000;

/** All attempts of one exchange call together, back-off included, as a multiple of the timeout. */
export const RETRY_BUDGET_FACTOR = 3;

export function retryBudgetMs(timeoutMs: number): number {
  return timeoutMs * RETRY_BUDGET_FACTOR;
}

/** Attempts per exchange call (the first one included), for transient faults only. */
export const MAX_EXCHANGE_ATTEMPTS = 3;

/** An AWS API call (Secrets Manager, DynamoDB, SQS…): one attempt's limit, and how many attempts. */
export const AWS_CALL_TIMEOUT_MS = 3_000;
export const AWS_CALL_ATTEMPTS = 2;

/**
 * How many keys are checked at once in one run, and how many sockets one run may open per origin.
 * Each key makes three private calls at once (read, trade probe, accounts; the withdraw probe after
 * them, once a day), each to a different endpoint, so within the exchange's per-key, per-endpoint
 * limit of 3 per 100 ms; the cap is about sockets and file descriptors, not the exchange.
 */
export const KEY_CONCURRENCY = 50;
export const CONNECTIONS_PER_ORIGIN = 64;

/** BatchGetSecretValue returns at most this many secrets per call. */
export const SECRETS_PER_BATCH = 20;

/**
 * A key's whole check (secret read + exchange calls) must end within this many timeouts; past it
 * the key is reported as unhealthy and the run goes on with the others.
 */
export const KEY_DEADLINE_FACTOR = 4;

export function keyDeadlineMs(timeoutMs: number): number {
  return AWS_CALL_TIMEOUT_MS * AWS_CALL_ATTEMPTS + timeoutMs * KEY_DEADLINE_FACTOR;
}

/** A rotated key must be seen by the next scheduled run: cache a good secret at most this long. */
export function secretCacheTtlMs(scheduleMinutes: number): number {
  return Math.min(60_000, (scheduleMinutes * 60_000) / 2);
}

/** The largest new-key document `key-monitor rotate` accepts (a key pair is about 100 bytes). */
export const MAX_KEY_INPUT_BYTES = 64 * 1024;
