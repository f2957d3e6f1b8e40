import { describe, expect, it } from 'vitest';
import { ConfigError, loadRuntimeConfig } from '../../src/monitor/runtime-config.js';

// The check and rotation Lambdas read the proxy from their environment: whatever wrote it, a token
// never leaves in clear text and a path is never silently dropped.
const env = (extra: Record<string, string>) => ({
  EXCHANGE_BASE_URL: 'https://api.crypto.com/exchange/v1',
  MONITORED_KEYS: JSON.stringify([{ name: 'k', secretId: 's', expectTrade: true }]),
  ...extra,
});

describe('the Lambdas’ proxy setting', () => {
  it.each([
    [
      { EXCHANGE_PROXY_URL: 'http://proxy.example.com:3128', EXCHANGE_PROXY_TOKEN_SECRET_ID: 'prod/proxy-token' },
      /token from EXCHANGE_PROXY_TOKEN_SECRET_ID would travel in clear text/,
    ],
    [{ EXCHANGE_PROXY_URL: 'https://proxy.example.com:3128/path' }, /without credentials, path or query/],
    [{ EXCHANGE_PROXY_URL: 'https://proxy.example.com:3128?x=1', EXCHANGE_PROXY_TOKEN_SECRET_ID: 'prod/proxy-token' }, /without credentials, path or query/],
  ])('%o is refused, named', (extra, message) => {
    let error: unknown;
    try {
      loadRuntimeConfig(env(extra));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('EXCHANGE_PROXY_URL');
    expect((error as ConfigError).problem).toMatch(message);
  });

  it('takes https:// with a token, and plain http:// without one', () => {
    expect(loadRuntimeConfig(env({ EXCHANGE_PROXY_URL: 'https://proxy.example.com:3128/', EXCHANGE_PROXY_TOKEN_SECRET_ID: 'prod/proxy-token' })).proxy).toEqual(
      { url: 'https://proxy.example.com:3128', tokenSecretId: 'prod/proxy-token' },
    );
    expect(loadRuntimeConfig(env({ EXCHANGE_PROXY_URL: 'http://proxy.example.com:3128' })).proxy).toEqual({
      url: 'http://proxy.example.com:3128',
      tokenSecretId: null,
    });
  });
});
