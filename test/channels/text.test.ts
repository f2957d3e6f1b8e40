import { describe, expect, it } from 'vitest';
import { effectiveSeverity, threadKey } from '../../src/channels/channel.js';
import { DEFAULT_RETRY_WAIT_MS, retryAfterHeaderMs, secondsToMs } from '../../src/channels/outcome.js';
import { redactChannelSecrets, urlSecrets } from '../../src/channels/redact.js';
import { cleanLine, cleanText, fit, headline, safeUrl } from '../../src/channels/text.js';
import { OPENED, RESOLVED } from './support/notifications.js';

describe('text hygiene', () => {
  it('removes terminal escapes, controls and bidi overrides, keeps line breaks', () => {
    expect(cleanText('a\x1b[1;31mred\x1b[0m\x07 \x1b]0;title\x07b\r\nc\u202ed\u2028e\x00\tf')).toBe('ared b\ncd\ne f');
    expect(cleanText('one\n\n\n\ntwo   \n')).toBe('one\n\ntwo');
    expect(cleanLine(' a \n b\n\nc ')).toBe('a b c');
    expect(cleanText('lone \ud83d surrogate')).toBe('lone \ufffd surrogate');
  });

  it('fit cuts within the measured limit, never inside a surrogate pair or an escape', () => {
    expect(fit('short', 10)).toBe('short');
    expect(fit('hello world and more', 12)).toBe('hello world…');
    const emoji = '🔥'.repeat(10);
    const cut = fit(emoji, 6);
    expect(cut).toBe('🔥🔥…');
    expect(cut.length).toBeLessThanOrEqual(6);
    const escape = (s: string) => s.replace(/&/g, '&amp;');
    const amp = fit('&&&&&&&&', 12, (s) => escape(s).length);
    expect(escape(amp)).toBe('&amp;&amp;…');
    expect(fit('anything', 0)).toBe('');
  });

  it('only absolute http(s) links without credentials become links', () => {
    expect(safeUrl('https://example.com/a b"c', 100)).toBe('https://example.com/a%20b%22c');
    expect(safeUrl('javascript:alert(1)', 100)).toBeNull();
    expect(safeUrl('/relative', 100)).toBeNull();
    expect(safeUrl('https://user:pw@example.com/', 100)).toBeNull();
    expect(safeUrl(`https://example.com/${'x'.repeat(100)}`, 50)).toBeNull();
  });

  it('the headline leads with the effective severity’s emoji', () => {
    expect(headline(OPENED, 150)).toBe(OPENED.subject);
    expect(headline({ ...RESOLVED, severity: 'critical', subject: '🔴 trading: back' }, 150)).toBe('✅ trading: back');
    expect(headline({ ...OPENED, subject: 'no emoji' }, 150)).toBe('🔴 no emoji');
    expect(headline({ ...OPENED, subject: 'ℹ subject' }, 150)).toBe('🔴 subject');
    expect(effectiveSeverity({ kind: 'monitor-alarm-resolved', severity: 'warning' })).toBe('resolved');
  });

  it('threads by the incident part of the id', () => {
    expect(threadKey('inc-42#3')).toBe('inc-42');
    expect(threadKey('a#b#7')).toBe('a#b');
    expect(threadKey('test-run-1')).toBe('test-run-1');
    expect(threadKey('#1')).toBe('#1');
  });
});

describe('redaction', () => {
  it('finds the secret parts of webhook URLs, and nothing in a bare origin', () => {
    const teams =
      'https://prod.logic.azure.com/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SIGNATUREabcdef123';
    const parts = urlSecrets(teams);
    expect(parts).toContain(teams);
    expect(parts).toContain('0123456789abcdef0123456789abcdef');
    expect(parts).toContain('SIGNATUREabcdef123');
    expect(parts).not.toContain('manual');
    expect(urlSecrets('https://api.telegram.org')).toEqual([]);
  });

  it('redacts a secret in plain, URL-encoded and JSON-escaped forms', () => {
    const channel = { secrets: ['123:ABC/def+ghi', ...urlSecrets('https://hooks.example.com/services/T1/B1/tokenTOKENtoken123')] };
    const text = [
      'a 123:ABC/def+ghi b',
      encodeURIComponent('123:ABC/def+ghi'),
      '123:ABC\\/def+ghi',
      'POST https://hooks.example.com/services/T1/B1/tokenTOKENtoken123 failed',
      'path /services/T1/B1/tokenTOKENtoken123',
      'just tokenTOKENtoken123',
    ].join(' | ');
    const out = redactChannelSecrets(text, channel);
    expect(out).not.toMatch(/ABC|tokenTOKEN|def%2B/);
    expect(out).toBe('a [redacted] b | [redacted] | [redacted] | POST [redacted] failed | path [redacted] | just [redacted]');
  });
});

describe('retry hints', () => {
  it('reads Retry-After seconds and HTTP dates against the reply’s Date', () => {
    expect(retryAfterHeaderMs({ 'retry-after': '120' })).toBe(120_000);
    expect(retryAfterHeaderMs({ 'retry-after': '1.5' })).toBe(1_500);
    expect(retryAfterHeaderMs({ 'retry-after': 'Fri, 02 Jan 2026 11:00:10 GMT', date: 'Fri, 02 Jan 2026 11:00:00 GMT' })).toBe(10_000);
    expect(retryAfterHeaderMs({ 'retry-after': 'Fri, 02 Jan 2026 10:00:00 GMT', date: 'Fri, 02 Jan 2026 11:00:00 GMT' })).toBe(0);
    // A date with no Date header to measure against is no hint (this stays a pure function).
    expect(retryAfterHeaderMs({ 'retry-after': 'Fri, 02 Jan 2026 11:00:10 GMT' })).toBeNull();
    expect(retryAfterHeaderMs({ 'retry-after': '-5' })).toBeNull();
    expect(retryAfterHeaderMs({})).toBeNull();
    expect(secondsToMs(64.57)).toBeCloseTo(64_570);
    expect(secondsToMs('soon')).toBeNull();
    expect(DEFAULT_RETRY_WAIT_MS).toBe(30_000);
  });
});
