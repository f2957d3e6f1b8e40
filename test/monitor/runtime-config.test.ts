import { describe, expect, it } from 'vitest';
import { ConfigError, loadRuntimeConfig } from '../../src/monitor/runtime-config.js';

// The Lambda's own reading of its environment: a base URL the guard could not trust never gets as
// far as a signed request, whatever the stack was given.
const env = (baseUrl: string) => ({ EXCHANGE_BASE_URL: baseUrl, MONITORED_KEYS: JSON.stringify([{ name: 'k', secretId: 's', expectTrade: true }]) });

describe('loadRuntimeConfig refuses an exchange base URL that is not the API root', () => {
  it.each([
    ['plain http to a real host', 'http://api.crypto.com/exchange/v1'],
    ['a path to an order endpoint', 'https://api.crypto.com/exchange/v1/private/cancel-all-orders'],
    ['a query that swallows the method', 'https://api.crypto.com/exchange/v1?_='],
    ['credentials in the URL', 'https://user:pw@api.crypto.com/exchange/v1'],
  ])('%s', (_label, url) => {
    expect(() => loadRuntimeConfig(env(url))).toThrow(ConfigError);
  });

  it('accepts the production root and loopback http (the sandbox)', () => {
    expect(loadRuntimeConfig(env('https://api.crypto.com/exchange/v1')).baseUrl).toBe('https://api.crypto.com/exchange/v1');
    expect(loadRuntimeConfig(env('http://127.0.0.1:8080/exchange/v1')).baseUrl).toBe('http://127.0.0.1:8080/exchange/v1');
  });
});
