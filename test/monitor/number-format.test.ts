import { describe, expect, it, vi } from 'vitest';

/**
 * The first Intl.NumberFormat a process makes loads ICU's locale data: tens of milliseconds of a cold
 * start. The check function's module graph must not make one at load; the texts that need one make it.
 */
describe('number formats on the check function’s cold path', () => {
  it('loading the check handler makes no Intl number format; a text that needs one gets it', async () => {
    const made = vi.spyOn(Intl, 'NumberFormat');
    await import('../../src/handlers/check.js');
    expect(made).not.toHaveBeenCalled();
    made.mockRestore();
    const { usdFormat, groupedFormat } = await import('../../src/monitor/number-format.js');
    expect(usdFormat().format(1234.5)).toBe('1,234.50');
    expect(groupedFormat().format(0.123456789)).toBe('0.12345679');
    expect(usdFormat()).toBe(usdFormat());
  });
});
