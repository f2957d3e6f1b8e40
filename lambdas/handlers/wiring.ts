import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSecretText, secretsManagerClient } from '../aws/secrets.js';
import { CONNECTIONS_PER_ORIGIN } from '../contract/defaults.js';
import type { CheckTarget } from '../monitor/checks.js';
import { checkClient } from '../monitor/check-client.js';
import type { RuntimeConfig } from '../monitor/runtime-config.js';
import type { ProxySettings } from '../exchange/proxy.js';

/**
 * The Lambdas' check target: the deployed egress expectations and one pooled client per process,
 * so warm invocations reuse connections. Shared by the check and rotation handlers.
 */
export function lambdaCheckTarget(config: Pick<RuntimeConfig, 'baseUrl' | 'timeoutMs' | 'expectedIps' | 'ipEchoUrl'>, proxy: ProxySettings | null = null): CheckTarget {
  const exchange = checkClient({ baseUrl: config.baseUrl, timeoutMs: config.timeoutMs, connections: CONNECTIONS_PER_ORIGIN, proxy });
  return { expectedIps: config.expectedIps, ipEchoUrl: config.ipEchoUrl, exchange, site: 'aws', sensitive: proxy?.token ? [proxy.token] : [] };
}

/**
 * The forward proxy for proxy egress, with its token read from Secrets Manager (a plain string, or
 * {"token":"…"}). An unreadable token is logged and the checks go on without it: the proxy's 407
 * then names the fault (PROXY_AUTH_FAILED) where the operator will see it.
 */
export async function lambdaProxy(
  config: Pick<RuntimeConfig, 'proxy'>,
  warn: (message: string, fields: Record<string, unknown>) => void,
  /** The handler's own client (one per process); made here only when a token is to be read. */
  secrets?: SecretsManagerClient,
): Promise<ProxySettings | null> {
  if (!config.proxy) return null;
  let token: string | null = null;
  if (config.proxy.tokenSecretId) {
    const read = await readSecretText(config.proxy.tokenSecretId, secrets ?? secretsManagerClient());
    if (read.ok) token = read.text;
    else warn('could not read the proxy token secret; checking without a token', { fault: read.fault });
  }
  return { url: config.proxy.url, token, noProxy: null };
}

/** Leave this much of the Lambda's time to record metrics and logs after the checks. */
export const RUN_MARGIN_MS = 3_000;
