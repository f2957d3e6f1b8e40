import { classifyReply } from '../monitor/diagnosis.js';
import type { ExchangeReply } from './reply.js';

/**
 * Only a transient fault is worth another attempt. An authentication or permission answer is a
 * verdict: retrying it only burns rate limit (and, on some exchanges, trips lockouts).
 */
export function isRetryable(reply: ExchangeReply): boolean {
  const meaning = classifyReply(reply);
  return meaning === 'EXCHANGE_UNAVAILABLE' || meaning === 'RATE_LIMITED';
}

export interface RetryOptions {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2_000 };

/** "Full jitter" back-off: spreads retries from many monitors instead of synchronising them. */
export function backoffMs(attempt: number, opts: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}
