import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSecretText, secretsManagerClient, type SecretTextRead } from '../aws/secrets.js';
import { CONNECTIONS_PER_ORIGIN } from '../contract/defaults.js';
import type { TimedReply } from '../exchange/client.js';
import type { CheckTarget } from '../monitor/checks.js';
import { checkClient } from '../monitor/check-client.js';
import type { ExchangePort } from '../monitor/ports.js';
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

const refusedAuthentication = (t: TimedReply) => t.reply.kind === 'network' && t.reply.error === 'proxy-refused' && t.reply.proxyStatus === 407;

/**
 * An exchange port that watches for the proxy's 407. Without a token (its secret could not be read)
 * the 407 is named for what it is, the unreadable token, not a wrong one.
 */
function watched(exchange: ExchangePort, read: SecretTextRead, on407: () => void): ExchangePort {
  const seen = (t: TimedReply): TimedReply => {
    if (!refusedAuthentication(t)) return t;
    on407();
    return read.ok ? t : { ...t, reply: { kind: 'network', error: 'proxy-token-unreadable', detail: read.detail, proxyStatus: 407 } };
  };
  return {
    publicGet: async (method, query) => seen(await exchange.publicGet(method, query)),
    privatePost: async (method, params, credentials) => seen(await exchange.privatePost(method, params, credentials)),
    getText: async (url) => {
      const { text, timed } = await exchange.getText(url);
      return { text, timed: seen(timed) };
    },
  };
}

/**
 * The check target for each invocation. Kept while warm, except in proxy egress mode with a token
 * secret: after the token could not be read, or the proxy refused it (407), the next invocation reads
 * the secret again and makes a new client with what it finds, so storing the right token fixes a
 * warm function without a cold start.
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
  let current: { target: CheckTarget; close: () => Promise<void>; state: { stale: boolean } } | null = null;
  return async () => {
    if (current && !current.state.stale) return current.target;
    const read = await readSecretText(secretId, secrets ?? secretsManagerClient());
    if (!read.ok) warn('could not read the proxy token secret; checking without a token', { fault: read.fault, detail: read.detail });
    const token = read.ok ? read.text : null;
    const client = checkClient({
      baseUrl: config.baseUrl,
      timeoutMs: config.timeoutMs,
      connections: CONNECTIONS_PER_ORIGIN,
      proxy: { url: proxy.url, token, noProxy: null },
    });
    // Unread, it is read again next time whatever the proxy says: the read may have failed only for now.
    const state = { stale: !read.ok };
    const exchange = watched(client, read, () => (state.stale = true));
    const previous = current;
    current = {
      target: { expectedIps: config.expectedIps, ipEchoUrl: config.ipEchoUrl, exchange, site: 'aws', sensitive: token ? [token] : [] },
      close: () => client.close(),
      state,
    };
    // Not awaited: a request the last run gave up on may still hold a socket; it must not delay this run.
    if (previous) void previous.close().catch(() => {});
    return current.target;
  };
}
