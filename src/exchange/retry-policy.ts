import { MAX_EXCHANGE_ATTEMPTS } from '../contract/defaults.js';

/**
 * How often and how long the transport waits between attempts. Which replies are worth another
 * attempt is not decided here: the caller passes that in (see monitor/diagnosis.ts), so the
 * transport never reads the runbook.
 */
export interface RetryOptions {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: MAX_EXCHANGE_ATTEMPTS, baseDelayMs: 200, maxDelayMs: 2_000 };

/** "Full jitter" back-off: spreads retries from many monitors instead of synchronising them. */
export function backoffMs(attempt: number, opts: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}
