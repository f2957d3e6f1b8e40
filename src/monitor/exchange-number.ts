/**
 * Numbers as the exchange writes them (strings or numbers) read for sums and display. Pure.
 */

const NOT_DECIMAL = /[xob]/i;

/**
 * A finite number from a string or number field; null for anything else, a blank string and a
 * hex, binary or octal string included
 * (Number('') is 0, not "no number"). "-0.00" is 0, not -0 (which prints "$-0.00" and JSON writes as 0).
 */
export function num(value: unknown): number | null {
  if (typeof value === 'string') {
    // Only a zero needs the blank test: no trim() for every other field (dozens a key, every run).
    const n = Number(value);
    // Number() also reads "0x10", "0b11" and "0o7"; the exchange writes decimals only.
    return Number.isFinite(n) && (n !== 0 || value.trim() !== '') && !NOT_DECIMAL.test(value) ? n + 0 : null;
  }
  return typeof value === 'number' && Number.isFinite(value) ? value + 0 : null;
}

/** Rounded to cents; never -0. A number too large to scale by 100 is kept as it is, not made Infinity. */
export function cents(n: number): number {
  const rounded = Math.round(n * 100) / 100 + 0;
  return Number.isFinite(rounded) ? rounded : n;
}
