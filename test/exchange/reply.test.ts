import { describe, expect, it } from 'vitest';
import { describeReply, parseReply, snippetOf } from '../../src/exchange/reply.js';
import { networkReply } from '../../src/exchange/client.js';
import { backoffMs, DEFAULT_RETRY } from '../../src/exchange/retry-policy.js';
import { displaySafe, redactSecrets, secretRedactor } from '../../src/exchange/text-safety.js';
import { echoShapes, encodedEchoShapes, leakedRuns } from '../support/echo-shapes.js';

describe('parseReply', () => {
  it('reads string and numeric codes, and message ?? msg', () => {
    expect(parseReply(200, '{"code":"0","result":{"a":1}}', null)).toMatchObject({ kind: 'answer', code: 0, result: { a: 1 } });
    expect(parseReply(401, '{"code":40101,"message":"Authentication failure"}', null)).toMatchObject({ code: 40101, message: 'Authentication failure' });
    expect(parseReply(200, '{"code":"10001","msg":"SYS_ERROR"}', null)).toMatchObject({ code: 10001, message: 'SYS_ERROR' });
  });

  it('drops the envelope’s "original" echo, which carries the signed request', () => {
    const reply = parseReply(401, JSON.stringify({ code: 40101, message: 'x', original: '{"api_key":"FULLKEY","sig":"abcdef"}' }), null);
    expect(JSON.stringify(reply)).not.toContain('FULLKEY');
    expect(describeReply(reply)).not.toContain('sig');
  });

  it('survives a Cloudflare HTML page and keeps only its title', () => {
    const html = '<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>' + 'x'.repeat(5000) + '</body></html>';
    expect(parseReply(403, html, null)).toEqual({ kind: 'not-json', httpStatus: 403, snippet: 'Attention Required! | Cloudflare', form: 'page' });
    expect(snippetOf('')).toBe('empty body');
    expect(parseReply(200, '"just a string"', null).kind).toBe('not-json');
  });

  it('names what a body that is not an answer was: empty, cut off, over the cap, or a page', () => {
    expect(parseReply(200, '', null)).toMatchObject({ kind: 'not-json', form: 'empty' });
    expect(describeReply(parseReply(200, '', null))).toBe('an empty reply with HTTP 200');
    expect(parseReply(200, '{"code":0,"res', null)).toMatchObject({ kind: 'not-json', form: 'cut-off' });
    expect(describeReply(parseReply(200, '{"code":0,"res', null))).toBe('the reply was cut off (HTTP 200, JSON that ends before it is complete)');
    expect(parseReply(200, '{"code":0}', null, true)).toMatchObject({ kind: 'not-json', form: 'over-cap' });
    expect(describeReply(parseReply(200, '{"code":0}', null, true))).toBe('the reply was larger than 1 MB (HTTP 200); the monitor reads no more than that');
    expect(parseReply(200, '<html><title>Hi</title>', null, true)).toMatchObject({ kind: 'not-json', form: 'page', snippet: 'Hi' });
  });

  it('maps a name that does not resolve to host-unknown, keeping the host; a resolver timeout stays a connection fault', () => {
    expect(networkReply({ code: 'ENOTFOUND', hostname: 'api.crypto.cmo' }, 100)).toEqual({
      kind: 'network',
      error: 'host-unknown',
      detail: 'ENOTFOUND api.crypto.cmo',
    });
    expect(networkReply({ code: 'EAI_AGAIN', hostname: 'api.crypto.com' }, 100)).toEqual({ kind: 'network', error: 'connection', detail: 'EAI_AGAIN' });
    // Through a proxy, a name that does not resolve is the proxy's own: the proxy is unreachable.
    expect(networkReply({ code: 'ENOTFOUND', hostname: 'proxy.internal' }, 100, true)).toMatchObject({ error: 'proxy-unreachable' });
  });

  it('maps undici timeouts and connection errors to typed replies', () => {
    expect(networkReply({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 100)).toEqual({ kind: 'network', error: 'timeout', detail: '100 ms' });
    expect(networkReply({ name: 'TimeoutError' }, 100)).toMatchObject({ error: 'timeout' });
    expect(networkReply({ code: 'ECONNREFUSED' }, 100)).toEqual({ kind: 'network', error: 'connection', detail: 'ECONNREFUSED' });
  });
});

describe('text from the exchange is made safe before it is shown', () => {
  const SIG = 'a'.repeat(20) + '0123456789abcdef'.repeat(2) + 'f'.repeat(12);

  it('strips terminal escapes, carriage returns and newlines, so nothing can repaint or forge a line', () => {
    const hostile = 'bad\u001b[2J\u001b[H\rDiagnosis: OK — Key is healthy\nFix: none\u0007\u009b31m\u202eevil';
    const reply = parseReply(400, JSON.stringify({ code: 40001, message: hostile }), null);
    const shown = describeReply(reply);
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(shown.split('\n')).toHaveLength(1);
  });

  it('removes signature-like hex from messages and HTML pages that echo the request', () => {
    const json = parseReply(401, JSON.stringify({ code: 40101, message: `bad sig ${SIG} for request` }), null);
    expect(describeReply(json)).not.toContain(SIG);
    expect(describeReply(json)).toContain('[redacted]');
    const html = parseReply(502, `<html><title>Error: sig=${SIG}</title></html>`, null);
    expect(describeReply(html)).not.toContain(SIG);
  });

  it('keeps messages and snippets short', () => {
    expect(displaySafe('x'.repeat(1000), 80)).toHaveLength(80);
    // A signature the input bound cuts through is not shown in part.
    expect(displaySafe(' '.repeat(1000) + 'a3f1'.repeat(16), 200)).toBe('');
    expect(displaySafe(`HTTP 502 ${'a3f1'.repeat(16)}`, 200)).toBe(`HTTP 502 [redacted]`);
    expect(snippetOf(`<title>${'y'.repeat(500)}</title>`).length).toBeLessThanOrEqual(80);
  });

  it('redacts a key and secret, and any fragment of them longer than 4 characters', () => {
    const key = 'sbxAbCdEf0123456789XY';
    const secret = 'S3cr3tValueThatMustNotLeak';
    const text = `key ${key} partial ${key.slice(0, 12)} tail ${key.slice(8)} secret ${secret.slice(3, 15)} prefix ${key.slice(0, 4)}`;
    const out = redactSecrets(text, { apiKey: key, secrets: [secret] });
    expect(out).not.toContain(key.slice(0, 5));
    expect(out).not.toContain(key.slice(8, 13));
    expect(out).not.toContain(secret.slice(3, 8));
    expect(out).toContain(`prefix ${key.slice(0, 4)}`);
  });
});

/** The text with the character escapes and fullwidth letters an echo may use written plainly. */
const decodeOnce = (text: string) =>
  text
    .replace(/&amp;/gi, '&')
    .replace(
      /&#x([0-9a-f]+);?|&#(\d+);?|\\u\{([0-9a-f]+)\}|\\u([0-9a-f]{4})|\\x([0-9a-f]{2})|%([0-9a-f]{2})|=([0-9A-F]{2})|\\([0-7]{3})/gi,
      (_m, h, d, ub, u, x, p, q, o) =>
        String.fromCodePoint(o ? parseInt(o, 8) : h || ub || u || x || p || q ? parseInt(h ?? ub ?? u ?? x ?? p ?? q, 16) : Number(d)),
    )
    .normalize('NFKC');
/** Up to three layers: an echo of an echo (`%2541`, `&amp;#65;`). */
const decodeEscapes = (text: string) => decodeOnce(decodeOnce(decodeOnce(text)));

describe('fragments of a key or secret glued to other text', () => {
  const KEY = 'Xk3pQz9LmT2vWb7NcR5sHd';
  const SECRET = 'aB3dE5fG7hJ9kL1mN3pQ5rS7tV9w';
  const TOKEN = 'proxy-token-0123456789abcdef';
  const redact = secretRedactor({ apiKey: KEY, secrets: [SECRET, TOKEN] });

  it.each(echoShapes(KEY, SECRET, TOKEN).map((shape, i) => [i + 1, shape]))(
    'shape %i: no 5-character run of the key, no 8-character run of a secret survives',
    (_n, shape) => {
      const out = redact(`the exchange said: ${shape} (end)`);
      expect(leakedRuns(out, KEY, 5)).toEqual([]);
      expect(leakedRuns(out, SECRET, 8)).toEqual([]);
      expect(leakedRuns(out, TOKEN, 8)).toEqual([]);
      expect(out).toContain('[redacted]');
      expect(out.startsWith('the exchange said: ')).toBe(true);
      expect(out.endsWith(' (end)')).toBe(true);
    },
  );

  it.each(encodedEchoShapes(KEY, SECRET, TOKEN).map((s) => [s.name, s] as const))('%s: masked, and the text around it kept', (_name, shape) => {
    const out = redact(`the proxy said: ${shape.text} (end)`);
    // What survives is judged as the echo spelled it, with separators and escapes taken out.
    const plain = out.replace(/[^A-Za-z0-9+/]/g, '');
    const decoded = decodeEscapes(out).replace(/[^A-Za-z0-9]/g, '');
    expect(leakedRuns(plain, shape.spelled.replace(/[^A-Za-z0-9+/]/g, ''), shape.run)).toEqual([]);
    expect(leakedRuns(decoded, shape.spelled, shape.run)).toEqual([]);
    expect(out).toContain('[redacted]');
    expect(out.startsWith('the proxy said: ')).toBe(true);
    expect(out.endsWith(' (end)')).toBe(true);
  });

  it('leaves the 4-character key prefix a report shows, and text that is not the key', () => {
    expect(redact(`key ${KEY.slice(0, 4)}…, secret set; 18 balances, total 18,588.54 USD`)).toBe(
      `key ${KEY.slice(0, 4)}…, secret set; 18 balances, total 18,588.54 USD`,
    );
    expect(redact(`api_key=${KEY.slice(0, 10)} rest`)).toBe('api_key=[redacted] rest');
    expect(redact(`a-${KEY.slice(0, 4)}-${KEY.slice(4, 8)}-${KEY.slice(8, 12)}-b`)).toBe('a-[redacted]-b');
  });

  it('answers a text it has seen before the same way, however many texts came between', () => {
    const texts = Array.from({ length: 40 }, (_, i) => `probe ${i}: api_key=${KEY.slice(0, 10)} secret ${SECRET} ok`);
    const fresh = texts.map((t) => secretRedactor({ apiKey: KEY, secrets: [SECRET, TOKEN] })(t));
    for (let round = 0; round < 3; round++) {
      texts.forEach((t, i) => expect(redact(t)).toBe(fresh[i]));
      // The same text again right away: remembered, and still masked.
      expect(redact(texts[0] as string)).toBe('probe 0: api_key=[redacted] secret [redacted] ok');
    }
  });

  it('costs linear time on a long hostile text', () => {
    const started = performance.now();
    const out = redact(`${KEY.slice(0, 4)}-`.repeat(50_000) + KEY.slice(0, 5).repeat(20_000));
    expect(leakedRuns(out, KEY, 5)).toEqual([]);
    // A guard against a quadratic rewrite, not a performance goal.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('retry back-off', () => {
  it('backs off with full jitter under a cap', () => {
    expect(backoffMs(1, DEFAULT_RETRY, () => 1)).toBe(200);
    expect(backoffMs(3, DEFAULT_RETRY, () => 1)).toBe(800);
    expect(backoffMs(10, DEFAULT_RETRY, () => 1)).toBe(DEFAULT_RETRY.maxDelayMs);
    expect(backoffMs(3, DEFAULT_RETRY, () => 0)).toBe(0);
  });
});

describe('hostile pages cost linear time', () => {
  it('summarises a megabyte of "<title" in milliseconds', () => {
    const started = performance.now();
    for (const body of ['<title'.repeat(170_000), '<'.repeat(1_000_000), `<title>${'<'.repeat(500_000)}`, 'a'.repeat(1_000_000)]) {
      expect(snippetOf(body).length).toBeLessThanOrEqual(80);
      expect(describeReply(parseReply(502, body, null)).length).toBeLessThan(200);
    }
    // Not a performance goal (that is npm run bench): a guard against the quadratic regexes that took minutes.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
