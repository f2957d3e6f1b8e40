import { describe, expect, it } from 'vitest';
import { money } from '../../src/monitor/checks.js';

/** The balance line's total, as Intl's en-US two-decimal format writes it: the format it stands in for. */
const INTL = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

describe('money: a total rounded to cents, written as en-US', () => {
  it('writes what Intl writes, grouping and sign included', () => {
    for (const n of [0, 0.07, 0.1, 1, 12.5, 999.99, 1000, 1234.5, 100000, 999999.99, 1234567.89, -0.5, -1234.5, 1e12 + 0.01]) {
      expect(money(n)).toBe(INTL.format(n));
    }
  });

  it('agrees with Intl on 20,000 cent values of every size', () => {
    let seed = 17;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const n = Math.round((next() - 0.3) * 10 ** (next() * 13) * 100) / 100;
      if (Object.is(n, -0)) continue;
      expect(money(n)).toBe(INTL.format(n));
    }
  });

  it('hands what it cannot write exactly to Intl', () => {
    expect(money(Number.POSITIVE_INFINITY)).toBe(INTL.format(Number.POSITIVE_INFINITY));
    expect(money(1e20)).toBe(INTL.format(1e20));
  });
});
