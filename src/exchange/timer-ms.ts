/** Timer delays for deadlines. Pure. */

/** Node's longest timer delay. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * A deadline's delay as a timer gets it: Node keeps one timer list per distinct duration, and the
 * budgets of a run's thousands of requests and keys differ by a few ms each, so from 200 ms up they
 * are cut to whole tenths of a second (never later; at most 99 ms earlier) and share a few lists.
 * Past Node's longest timer (2^31 − 1 ms) a delay would fire at once: it is held at that.
 */
export function timerMs(ms: number): number {
  // NaN (no budget that can be read) is no time left.
  const bounded = ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
  return bounded >= 200 ? bounded - (bounded % 100) : bounded;
}
