import { describe, expect, it } from 'vitest';
import { keyPrefix, parseSecretString, redact, validateCredentials } from '../../src/monitor/credentials.js';

const KEY = 'AbCdEfGhIjKlMnOpQrStUv';
const SECRET = 'sEcReT0123456789abcdefgh';

describe('validateCredentials', () => {
  it('accepts a plausible pair', () => {
    expect(validateCredentials({ apiKey: KEY, apiSecret: SECRET })).toEqual({ ok: true, credentials: { apiKey: KEY, apiSecret: SECRET } });
  });

  it.each([
    [{}, 'API key and API secret not set'],
    [{ apiKey: KEY, apiSecret: '' }, 'API secret not set'],
    [{ apiKey: '', apiSecret: SECRET }, 'API key not set'],
  ])('missing: %o', (raw, detail) => {
    expect(validateCredentials(raw)).toEqual({ ok: false, failure: 'CREDENTIALS_MISSING', detail });
  });

  it.each([
    [{ apiKey: `${KEY}\n`, apiSecret: SECRET }, 'API key has whitespace or a newline around it'],
    [{ apiKey: KEY, apiSecret: ` ${SECRET}` }, 'API secret has whitespace or a newline around it'],
    [{ apiKey: `"${KEY}"`, apiSecret: SECRET }, 'API key contains a quote character'],
    [{ apiKey: KEY, apiSecret: 'abc' }, 'API secret is 3 characters long'],
    [{ apiKey: 'Ab Cd EfGhIj', apiSecret: SECRET }, 'API key contains whitespace'],
  ])('malformed: %o', (raw, detail) => {
    const verdict = validateCredentials(raw);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.failure).toBe('CREDENTIALS_MALFORMED');
    expect(verdict.detail).toContain(detail);
    expect(verdict.detail).not.toContain(KEY);
    expect(verdict.detail).not.toContain(SECRET);
  });
});

describe('parseSecretString', () => {
  it('reads the documented JSON shape', () => {
    expect(parseSecretString(JSON.stringify({ apiKey: KEY, apiSecret: SECRET }))).toMatchObject({ ok: true });
  });

  it.each([
    [undefined, 'CREDENTIALS_MISSING', 'no value'],
    ['', 'CREDENTIALS_MISSING', 'no value'],
    [`${KEY}:${SECRET}`, 'CREDENTIALS_MALFORMED', 'not JSON'],
    ['[1,2]', 'CREDENTIALS_MALFORMED', 'not a JSON object'],
    [JSON.stringify({ apiKey: 42, apiSecret: SECRET }), 'CREDENTIALS_MALFORMED', 'apiKey must be a string'],
    [JSON.stringify({ api_key: KEY, api_secret: SECRET }), 'CREDENTIALS_MALFORMED', 'field names api_key, api_secret; rename them to apiKey and apiSecret'],
    [JSON.stringify({}), 'CREDENTIALS_MISSING', 'empty JSON object'],
    [JSON.stringify({ apiKey: KEY, apiSecret: `${SECRET} ` }), 'CREDENTIALS_MALFORMED', 'API secret has whitespace'],
  ])('%s → %s', (text, failure, detail) => {
    const verdict = parseSecretString(text);
    expect(verdict).toMatchObject({ ok: false, failure });
    if (verdict.ok) return;
    expect(verdict.detail).toContain(detail);
    expect(verdict.detail).not.toContain(SECRET);
    expect(verdict.detail).not.toContain(KEY);
  });
});

describe('the console key/value form, where the key itself is a field name', () => {
  it('is malformed, and nothing read from the secret is echoed: neither the field name nor its value', () => {
    for (const text of [
      JSON.stringify({ [KEY]: SECRET }),
      JSON.stringify({ [KEY]: SECRET, apiKey: KEY }),
      JSON.stringify({ [KEY]: SECRET, other: 'x', third: 'y' }),
    ]) {
      const verdict = parseSecretString(text);
      expect(verdict.ok).toBe(false);
      if (verdict.ok) continue;
      expect(['CREDENTIALS_MALFORMED', 'CREDENTIALS_MISSING']).toContain(verdict.failure);
      expect(verdict.detail).not.toContain(KEY.slice(0, 5));
      expect(verdict.detail).not.toContain(SECRET.slice(0, 5));
      expect(verdict.detail).not.toContain('other');
    }
    const single = parseSecretString(JSON.stringify({ [KEY]: SECRET }));
    expect(!single.ok && single.detail).toContain('two rows, named apiKey and apiSecret');
  });
});

describe('invisible and non-ASCII characters', () => {
  it.each([
    ['zero-width space', `${KEY.slice(0, 6)}\u200b${KEY.slice(6)}`, 'U+200B'],
    ['byte-order mark', `\ufeff${KEY}`, 'U+FEFF'],
    ['no-break space', `${KEY.slice(0, 6)}\u00a0${KEY.slice(6)}`, 'U+00A0'],
    ['word joiner', `${KEY}\u2060`, 'U+2060'],
    ['Cyrillic a', `${KEY.slice(0, 6)}\u0430${KEY.slice(6)}`, 'U+0430'],
  ])('%s in the key is CREDENTIALS_MALFORMED and names the character, not the key', (_name, apiKey, codePoint) => {
    const verdict = validateCredentials({ apiKey, apiSecret: SECRET });
    expect(verdict).toMatchObject({ ok: false, failure: 'CREDENTIALS_MALFORMED' });
    if (verdict.ok) return;
    expect(verdict.detail).toContain(codePoint);
    expect(verdict.detail).not.toContain(KEY.slice(0, 6));
  });
});

describe('what may be shown of a key', () => {
  it('is at most its first 4 characters', () => {
    expect(keyPrefix(KEY)).toBe('AbCd');
    expect(keyPrefix(undefined)).toBeNull();
  });

  it('redacts any sensitive string from text', () => {
    expect(redact(`echo ${SECRET} and ${KEY}`, { apiKey: KEY, secrets: [SECRET] })).toBe('echo [redacted] and [redacted]');
  });
});
