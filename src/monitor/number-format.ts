/**
 * en-US number formats, each made on first use and kept: the first Intl.NumberFormat a process makes
 * loads ICU's locale data (tens of milliseconds on a cold start), and a healthy run never needs one —
 * only alert, finding and exposure texts do.
 */
let usd: Intl.NumberFormat | undefined;
let grouped: Intl.NumberFormat | undefined;

/** Two decimals, grouped: 1,234.50. */
export const usdFormat = (): Intl.NumberFormat => (usd ??= new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));

/** Up to 8 decimals, grouped: 1,234.5678. */
export const groupedFormat = (): Intl.NumberFormat => (grouped ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 8 }));
