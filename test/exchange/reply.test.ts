import { describe, expect, it } from 'vitest';
import { describeReply, parseReply, snippetOf } from '../../lambdas/exchange/reply.js';
import { networkReply } from '../../lambdas/exchange/client.js';
import { backoffMs, DEFAULT_RETRY, isRetryable } from '../../lambdas/exchange/retry-policy.js';
import { assertHarmless, UnsafeRequestError } from '../../lambdas/exchange/probe-guard.js';

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
    expect(parseReply(403, html, null)).toEqual({ kind: 'not-json', httpStatus: 403, snippet: 'Attention Required! | Cloudflare' });
    expect(snippetOf('')).toBe('empty body');
    expect(parseReply(200, '"just a string"', null).kind).toBe('not-json');
  });

  it('maps undici timeouts and connection errors to typed replies', () => {
    expect(networkReply({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 100)).toEqual({ kind: 'network', error: 'timeout', detail: '100 ms' });
    expect(networkReply({ name: 'TimeoutError' }, 100)).toMatchObject({ error: 'timeout' });
    expect(networkReply({ code: 'ECONNREFUSED' }, 100)).toEqual({ kind: 'network', error: 'connection', detail: 'ECONNREFUSED' });
  });
});

describe('retry policy', () => {
  it('retries transient faults only, never an authentication verdict', () => {
    expect(isRetryable({ kind: 'network', error: 'connection', detail: 'ECONNRESET' })).toBe(true);
    expect(isRetryable(parseReply(502, '<html>', null))).toBe(true);
    expect(isRetryable(parseReply(429, '{"code":42901}', null))).toBe(true);
    expect(isRetryable(parseReply(401, '{"code":40101}', null))).toBe(false);
    expect(isRetryable(parseReply(401, '{"code":40103}', null))).toBe(false);
    expect(isRetryable(parseReply(500, '{"code":316}', null))).toBe(false);
    expect(isRetryable(parseReply(200, '{"code":0}', null))).toBe(false);
  });

  it('backs off with full jitter under a cap', () => {
    expect(backoffMs(1, DEFAULT_RETRY, () => 1)).toBe(200);
    expect(backoffMs(3, DEFAULT_RETRY, () => 1)).toBe(800);
    expect(backoffMs(10, DEFAULT_RETRY, () => 1)).toBe(DEFAULT_RETRY.maxDelayMs);
    expect(backoffMs(3, DEFAULT_RETRY, () => 0)).toBe(0);
  });
});

describe('probe guard', () => {
  it('allows reads and the probe cancel', () => {
    expect(() => assertHarmless('private/user-balance', {})).not.toThrow();
    expect(() => assertHarmless('private/cancel-order', { client_oid: 'hc-0123' })).not.toThrow();
  });

  it.each([
    ['private/create-order', { instrument_name: 'BTC_USD' }],
    ['private/amend-order', {}],
    ['private/cancel-all-orders', {}],
    ['private/create-withdrawal', {}],
    ['private/cancel-order', { order_id: '18342311' }],
    ['private/cancel-order', { client_oid: 'my-real-order' }],
    ['private/cancel-order', { client_oid: 'hc-1', order_id: '1' }],
  ])('refuses %s %o', (method, params) => {
    expect(() => assertHarmless(method, params)).toThrow(UnsafeRequestError);
  });
});
