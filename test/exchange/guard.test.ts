import { describe, expect, it } from 'vitest';
import { checkBaseUrl } from '../../src/exchange/base-url.js';
import { ExchangeClient, InvalidBaseUrlError } from '../../src/exchange/client.js';
import { assertHarmless, UnsafeRequestError } from '../../src/exchange/probe-guard.js';
import { GOOD_BASE_URLS, HOSTILE_BASE_URLS } from '../support/hostile-base-urls.js';

const BASE = 'https://api.crypto.com/exchange/v1';
const PATH = '/exchange/v1';

describe('probe guard', () => {
  it('allows reads and the probe cancel, at exactly <base>/<method>', () => {
    expect(() => assertHarmless(`${BASE}/private/user-balance`, PATH, 'private/user-balance', {})).not.toThrow();
    expect(() => assertHarmless(`${BASE}/private/cancel-order`, PATH, 'private/cancel-order', { client_oid: 'hc-0123' })).not.toThrow();
    for (const method of ['private/get-open-orders', 'private/get-positions']) {
      expect(() => assertHarmless(`${BASE}/${method}`, PATH, method, {})).not.toThrow();
      expect(() => assertHarmless(`${BASE}/${method}`, PATH, method, { instrument_name: 'BTCUSD-PERP' })).not.toThrow();
    }
    const history = 'private/get-withdrawal-history';
    expect(() =>
      assertHarmless(`${BASE}/${history}`, PATH, history, {
        start_ts: '1764583200000',
        end_ts: '1764586800000',
        page_size: '200',
        page: '0',
        currency: 'BTC',
        status: '5',
      }),
    ).not.toThrow();
  });

  it.each([
    ['private/create-order', { instrument_name: 'BTC_USD' }],
    ['private/amend-order', {}],
    ['private/cancel-all-orders', {}],
    ['private/create-withdrawal', {}],
    ['private/cancel-order', { order_id: '18342311' }],
    ['private/cancel-order', { client_oid: 'my-real-order' }],
    ['private/cancel-order', { client_oid: 'hc-1', order_id: '1' }],
    // Reads carry only their own parameters: nothing that could steer a request elsewhere.
    ['private/user-balance', { instrument_name: 'BTC_USD' }],
    ['private/get-open-orders', { order_id: '18342311' }],
    ['private/get-positions', { instrument_name: null }],
    ['private/get-open-orders', { instrument_name: 'BTC_USD/../../private/cancel-all-orders' }],
    // The withdrawal history is a read with its documented parameters only; nothing else about withdrawals passes.
    ['private/get-withdrawal-history', { address: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh' }],
    ['private/get-withdrawal-history', { start_ts: '1764583200000&page_size=1' }],
    ['private/get-withdrawal-history', { client_wid: 'x' }],
    ['private/get-withdrawal-history/../create-withdrawal', {}],
    ['private/get-deposit-history', {}],
    // Names every object has are not reads.
    ['constructor', {}],
    ['__proto__', {}],
    ['toString', {}],
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

  it.each(HOSTILE_BASE_URLS)('judges the base path in every spelling, whoever built the client: %s', (base) => {
    const parsed = new URL(base.trim());
    const basePath = parsed.pathname.replace(/\/+$/, '');
    for (const method of ['private/user-balance', 'private/get-accounts']) {
      expect(() => assertHarmless(`${parsed.origin}${basePath}/${method}`, basePath, method, {})).toThrow(UnsafeRequestError);
    }
  });

  it('still lets reads through under an ordinary root', () => {
    for (const base of GOOD_BASE_URLS) {
      const parsed = new URL(base);
      const basePath = parsed.pathname.replace(/\/+$/, '');
      expect(() => assertHarmless(`${parsed.origin}${basePath}/private/user-balance`, basePath, 'private/user-balance', {}), base).not.toThrow();
    }
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

  it.each(HOSTILE_BASE_URLS)('refuses a method path in any spelling: %s', (url) => {
    const verdict = checkBaseUrl(url);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.problem).toMatch(/^must be the API root/);
    expect(() => new ExchangeClient({ baseUrl: url, timeoutMs: 100, budgetMs: 100, retryable: () => false })).toThrow(InvalidBaseUrlError);
  });

  it.each(GOOD_BASE_URLS)('accepts the API root %s', (url) => {
    expect(checkBaseUrl(url).ok).toBe(true);
  });

  it('the client refuses a bad base URL before it can send anything', () => {
    expect(
      () => new ExchangeClient({ baseUrl: 'https://x.test/exchange/v1/private/cancel-all-orders?_=', timeoutMs: 100, budgetMs: 100, retryable: () => false }),
    ).toThrow(InvalidBaseUrlError);
    expect(() => new ExchangeClient({ baseUrl: 'http://api.crypto.com/exchange/v1', timeoutMs: 100, budgetMs: 100, retryable: () => false })).toThrow(/https/);
  });
});
