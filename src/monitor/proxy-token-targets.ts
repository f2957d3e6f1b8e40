/**
 * Check targets for proxy egress with a token read from a secret. A target is kept while warm,
 * except after the token could not be read, or the proxy refused it (407): then the next run reads
 * the token again and opens a new client with what it finds, so storing the right token fixes a warm
 * function without a cold start. Over ports (the token read, a client factory, a log line).
 */
import type { TimedReply } from '../exchange/client.js';
import type { CheckTarget } from './checks.js';
import type { ExchangePort, SecretTextRead } from './ports.js';

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

export interface ProxyTokenTargetDeps {
  readonly expectedIps: CheckTarget['expectedIps'];
  readonly ipEchoUrl: CheckTarget['ipEchoUrl'];
  /** Read the proxy token (its secret), now. */
  readonly readToken: () => Promise<SecretTextRead>;
  /** A client through the proxy with this token (null: none could be read). */
  readonly open: (token: string | null) => ExchangePort & { close(): Promise<void> };
  readonly warn: (message: string, fields: Record<string, unknown>) => void;
}

/** The check target for each run: the kept one, or a new one when the token has to be read again. */
export function proxyTokenTargets(deps: ProxyTokenTargetDeps): () => Promise<CheckTarget> {
  let current: { target: CheckTarget; close: () => Promise<void>; state: { stale: boolean } } | null = null;
  return async () => {
    if (current && !current.state.stale) return current.target;
    const read = await deps.readToken();
    if (!read.ok) deps.warn('could not read the proxy token secret; checking without a token', { fault: read.fault, detail: read.detail });
    const token = read.ok ? read.text : null;
    const client = deps.open(token);
    // Unread, it is read again next time whatever the proxy says: the read may have failed only for now.
    const state = { stale: !read.ok };
    const exchange = watched(client, read, () => (state.stale = true));
    const previous = current;
    current = {
      target: { expectedIps: deps.expectedIps, ipEchoUrl: deps.ipEchoUrl, exchange, site: 'aws', sensitive: token ? [token] : [] },
      close: () => client.close(),
      state,
    };
    // Not awaited: a request the last run gave up on may still hold a socket; it must not delay this run.
    if (previous) void previous.close().catch(() => {});
    return current.target;
  };
}
