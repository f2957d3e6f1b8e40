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
 * has every probe on every run, and a bot refused on an order gets a verification with every probe
 * within a minute (the instant trigger). Every 3 hours as the schedule's backstop: a steady run of
 * healthy keys sends ~12 % fewer exchange requests than hourly (npm run bench: 1.29 → 1.13 a key).
 */
export const DEFAULT_SPACED_PROBE_MINUTES = 180;
/**
 * The oldest a snapshot of what is open on an account may be while the balance shows the same things
 * in use (a shorter spacedProbeMinutes shortens it): orders the bot did not place are looked for there.
 */
export const EXPOSURE_MAX_AGE_MINUTES = 60;

/** When incidents open, resolve and remind, and how long history is kept (context settings of the same names). */
export const DEFAULT_INCIDENT_POLICY = {
  openAfterRuns: 2,
  resolveAfterRuns: 1,
  remindEveryHours: 4,
  /** Reminders while someone has acknowledged the incident: 0 = none until it changes or resolves. */
  acknowledgedRemindEveryHours: 0,
  historyDays: 30,
  keyMaxAgeDays: 90,
} as const;

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

/** Lambda gives CPU in proportion to memory: 1,769 MB is one vCPU (AWS Lambda, "Memory and computing power"). */
export const LAMBDA_MB_PER_VCPU = 1769;

/**
 * The check function's memory for a number of keys: the smallest that holds the run's peak memory with
 * room to spare. A steady run is CPU-bound, and Lambda bills memory × time while CPU scales with memory,
 * so more memory buys speed at about the same cost for the CPU part but costs more for the time spent
 * waiting on the exchange; the smallest safe size is the cheapest. `npm run bench` measured the peak
 * RSS at about 85 MB + 0.17 MB a key (86 MB at 1 key, 129 MB at 100, 245–262 MB at 1,000, the first run
 * being the largest); this rule leaves at least 1.4× that: 256 MB up to 640 keys, 384 MB at 1,000.
 */
export function checkMemoryMb(keys: number): number {
  return Math.max(256, Math.ceil((96 + 0.25 * keys) / 64) * 64);
}

/**
 * CPU per key of a steady run with the incident layer, as `npm run bench` measured it on an x64
 * development machine with the Lambda's Node.js 24 (0.46–0.69 ms over runs on a shared machine; the cost model takes the
 * upper end), and the factor the cost model allows for Lambda's arm64 cores and a shared host (an
 * estimate, not a measurement).
 */
export const MEASURED_CPU_MS_PER_KEY = 0.7;
export const LAMBDA_CPU_FACTOR = 1.5;
