/**
 * Numbers as the exchange writes them (strings or numbers) read for sums and display. Pure.
 */

/**
 * A finite number from a string or number field; null for anything else, a blank string included
 * (Number('') is 0, not "no number"). "-0.00" is 0, not -0 (which prints "$-0.00" and JSON writes as 0).
 */
export function num(value: unknown): number | null {
  if (typeof value === 'string') {
    // Only a zero needs the blank test: no trim() for every other field (dozens a key, every run).
    const n = Number(value);
    return Number.isFinite(n) && (n !== 0 || value.trim() !== '') ? n + 0 : null;
  }
  return typeof value === 'number' && Number.isFinite(value) ? value + 0 : null;
}

/** Rounded to cents; never -0. */
export const cents = (n: number): number => Math.round(n * 100) / 100 + 0;
