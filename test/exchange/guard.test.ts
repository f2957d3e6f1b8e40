import { describe, expect, it } from 'vitest';
import { checkBaseUrl } from '../../lambdas/exchange/base-url.js';
import { ExchangeClient, InvalidBaseUrlError } from '../../lambdas/exchange/client.js';
import { assertHarmless, UnsafeRequestError } from '../../lambdas/exchange/probe-guard.js';

const BASE = 'https://api.crypto.com/exchange/v1';
const PATH = '/exchange/v1';

describe('probe guard', () => {
  it('allows reads and the probe cancel, at exactly <base>/<method>', () => {
    expect(() => assertHarmless(`${BASE}/private/user-balance`, PATH, 'private/user-balance', {})).not.toThrow();
    expect(() => assertHarmless(`${BASE}/private/cancel-order`, PATH, 'private/cancel-order', { client_oid: 'hc-0123' })).not.toThrow();
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
    expect(() => assertHarmless(`${BASE}/${method}`, PATH, method, params)).toThrow(UnsafeRequestError);
  });

  it('judges the full URL: a read whose URL points at an order or withdrawal path is refused', () => {
    const hostile = [
      'https://x.test/exchange/v1/private/cancel-all-orders?_=/private/user-balance',
      'https://x.test/exchange/v1/private/cancel-all-orders/private/user-balance',
      'https://x.test/exchange/v1/private/user-balance?x=1',
      'https://x.test/exchange/v1/private/user-balance#frag',
      'https://x.test/exchange/v1/private/create-withdrawal/../user-balance',
    ];
    for (const url of hostile) expect(() => assertHarmless(url, PATH, 'private/user-balance', {}), url).toThrow(UnsafeRequestError);
  });
});

describe('exchange base URLs', () => {
  it.each([
    ['https://api.crypto.com/exchange/v1/', true],
    ['https://uat-api.3ona.co/exchange/v1', true],
    ['http://127.0.0.1:8080/exchange/v1', true],
    ['http://localhost:9/exchange/v1', true],
    ['http://api.crypto.com/exchange/v1', false],
    ['https://x.test/exchange/v1/private/cancel-all-orders?_=', false],
    ['https://x.test/exchange/v1?_=', false],
    ['https://x.test/exchange/v1#x', false],
    ['https://user:pw@x.test/exchange/v1', false],
    ['https://x.test/exchange/v1/private', false],
    ['https://x.test/exchange/v1/public', false],
    ['ftp://x.test/exchange/v1', false],
    ['not a url', false],
  ])('%s → %s', (url, ok) => {
    expect(checkBaseUrl(url).ok).toBe(ok);
  });

  it('the client refuses a bad base URL before it can send anything', () => {
    expect(() => new ExchangeClient({ baseUrl: 'https://x.test/exchange/v1/private/cancel-all-orders?_=', timeoutMs: 100, budgetMs: 100, retryable: () => false })).toThrow(InvalidBaseUrlError);
    expect(() => new ExchangeClient({ baseUrl: 'http://api.crypto.com/exchange/v1', timeoutMs: 100, budgetMs: 100, retryable: () => false })).toThrow(/https/);
  });
});
