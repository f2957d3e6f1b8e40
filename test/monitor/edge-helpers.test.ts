import { describe, expect, it } from 'vitest';
import { clip, displaySafe } from '../../src/exchange/text-safety.js';
import { timerMs } from '../../src/exchange/timer-ms.js';
import { cents, num } from '../../src/monitor/exchange-number.js';

describe('numbers as the exchange writes them', () => {
  it('reads decimals only: hex, binary and octal strings, blanks and non-finite values are no number', () => {
    expect([num('12.5'), num(' 3 '), num('-0.00'), num('1e3'), num(7)]).toEqual([12.5, 3, 0, 1000, 7]);
    for (const bad of ['0x10', '0X10', '0b11', '0o7', '', '  ', '1e309', 'Infinity', 'NaN', {}, [], null]) expect(num(bad), JSON.stringify(bad)).toBeNull();
    expect(Object.is(num('-0'), -0)).toBe(false);
  });

  it('rounds to cents without turning a huge number into Infinity, and never gives -0', () => {
    expect(cents(12.345678)).toBe(12.35);
    expect(cents(1e308)).toBe(1e308);
    expect(Object.is(cents(-0.001), -0)).toBe(false);
  });
});

describe('clip', () => {
  it('keeps at most max characters, nothing for a max of 0, and never half of an emoji', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcdef', 0)).toBe('');
    const cut = clip('a😀😀', 3);
    expect(cut).toBe('a…');
    expect(cut.length).toBeLessThanOrEqual(3);
    expect(displaySafe('😀😀😀', 2)).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('timer delays', () => {
  it('are never negative or NaN, held at the longest timer, and cut to tenths from 200 ms', () => {
    expect([timerMs(Number.NaN), timerMs(-5), timerMs(150), timerMs(1_234), timerMs(Number.POSITIVE_INFINITY)]).toEqual([0, 0, 150, 1_200, 2_147_483_600]);
  });
});
