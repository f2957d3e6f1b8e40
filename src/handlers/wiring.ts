import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSecretText, secretsManagerClient } from '../aws/secrets.js';
import { CONNECTIONS_PER_ORIGIN } from '../contract/defaults.js';
import type { CheckTarget } from '../monitor/checks.js';
import { checkClient } from '../monitor/check-client.js';
import { proxyTokenTargets } from '../monitor/proxy-token-targets.js';
import type { RuntimeConfig } from '../monitor/runtime-config.js';
import type { ProxySettings } from '../exchange/proxy.js';

type TargetConfig = Pick<RuntimeConfig, 'baseUrl' | 'timeoutMs' | 'expectedIps' | 'ipEchoUrl'>;

/**
 * The Lambdas' check target: the deployed egress expectations and one pooled client per process,
 * so warm invocations reuse connections. Shared by the check and rotation handlers.
 */
export function lambdaCheckTarget(config: TargetConfig, proxy: ProxySettings | null = null): CheckTarget {
  const exchange = checkClient({ baseUrl: config.baseUrl, timeoutMs: config.timeoutMs, connections: CONNECTIONS_PER_ORIGIN, proxy });
  return { expectedIps: config.expectedIps, ipEchoUrl: config.ipEchoUrl, exchange, site: 'aws', sensitive: proxy?.token ? [proxy.token] : [] };
}

/**
 * The check target for each invocation. Kept while warm; in proxy egress mode with a token secret,
 * monitor/proxy-token-targets.ts decides when the token is read again and the client made anew.
 */
export function lambdaTargets(
  config: TargetConfig & Pick<RuntimeConfig, 'proxy'>,
  warn: (message: string, fields: Record<string, unknown>) => void,
  /** The handler's own client (one per process); made here only when a token is to be read. */
  secrets?: SecretsManagerClient,
): () => Promise<CheckTarget> {
  const proxy = config.proxy;
  if (!proxy?.tokenSecretId) {
    const fixed = lambdaCheckTarget(config, proxy ? { url: proxy.url, token: null, noProxy: null } : null);
    return async () => fixed;
  }
  const secretId = proxy.tokenSecretId;
  return proxyTokenTargets({
    expectedIps: config.expectedIps,
    ipEchoUrl: config.ipEchoUrl,
    readToken: () => readSecretText(secretId, secrets ?? secretsManagerClient()),
    open: (token) =>
      checkClient({
        baseUrl: config.baseUrl,
        timeoutMs: config.timeoutMs,
        connections: CONNECTIONS_PER_ORIGIN,
        proxy: { url: proxy.url, token, noProxy: null },
      }),
    warn,
  });
}
