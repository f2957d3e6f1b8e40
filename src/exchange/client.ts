import type { Dispatcher } from 'undici';
// undici's index loads fetch, WebSocket, caching and mocks (520 KB bundled); a check needs only the
// HTTP/1 Agent and the request API, which cuts the Lambda bundle by half and its cold start with it.
import Agent from 'undici/lib/dispatcher/agent.js';
import request from 'undici/lib/api/api-request.js';
import { CONNECTIONS_PER_ORIGIN } from '../contract/defaults.js';
import { checkBaseUrl } from './base-url.js';
import type { ProxySettings } from './proxy.js';
import { proxyStatusOf } from './proxy-status.js';
import { assertHarmless, UnsafeRequestError } from './probe-guard.js';
import { backoffMs, DEFAULT_RETRY, type RetryOptions } from './retry-policy.js';
import { signedBody, type SignableObject } from './signing.js';
import { displaySafe } from './text-safety.js';
import { MAX_REPLY_BYTES, parseReply, type ExchangeReply } from './reply.js';
import { isTimeoutError, readCappedText } from './http-read.js';

export interface ExchangeCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

export interface ExchangeClientOptions {
  readonly baseUrl: string;
  /** Per attempt: connect, response headers and body each. undici's 300 s default is far too long. */
  readonly timeoutMs: number;
  /** All attempts of one call together, back-off included. */
  readonly budgetMs: number;
  /**
   * Which replies deserve another attempt. The caller decides (from its diagnosis table); the
   * transport only knows how to wait and try again.
   */
  readonly retryable: (reply: ExchangeReply) => boolean;
  readonly retry?: RetryOptions;
  readonly userAgent?: string;
  /** Sockets per origin; a run with many keys queues behind these instead of opening hundreds. */
  readonly connections?: number;
  /** Leave through an HTTP CONNECT forward proxy (the whitelisted host) instead of directly. */
  readonly proxy?: ProxySettings;
  /** Extra CA certificates to trust (tests' loopback TLS); on a machine, NODE_EXTRA_CA_CERTS does this. */
  readonly ca?: string;
}

export interface TimedReply {
  readonly reply: ExchangeReply;
  readonly attempts: number;
  /** Wall time of the last attempt (what the exchange took), for latency metrics. */
  readonly latencyMs: number;
  /** Wall time of the whole call: every attempt and the back-off between them. */
  readonly totalMs: number;
  /** Local clock at the middle of the last attempt, for clock-skew estimates. */
  readonly midpointMs: number;
}

export class InvalidBaseUrlError extends Error {
  override readonly name = 'InvalidBaseUrlError';
  constructor(readonly problem: string) {
    super(`exchange base URL ${problem}`);
  }
}

/** Strictly increasing millisecond nonces, even for calls made in the same millisecond. */
export class NonceSource {
  private last = 0;
  constructor(private readonly now: () => number = Date.now) {}
  next(): number {
    this.last = Math.max(this.now(), this.last + 1);
    return this.last;
  }
}

interface OutgoingRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly body?: string;
}

export class ExchangeClient {
  /** The proxy agent is loaded on first use: a direct egress never loads it (a smaller cold start). */
  private readonly dispatcher: Dispatcher | Promise<Dispatcher>;
  private readonly viaProxy: boolean;
  private readonly nonces = new NonceSource();
  // Fresh id per request; random start so two monitors on one key do not collide.
  private nextId = Math.floor(Math.random() * 1_000_000_000);
  private readonly retry: RetryOptions;
  readonly baseUrl: string;
  private readonly basePath: string;

  constructor(private readonly opts: ExchangeClientOptions) {
    const verdict = checkBaseUrl(opts.baseUrl);
    if (!verdict.ok) throw new InvalidBaseUrlError(verdict.problem);
    this.baseUrl = verdict.url;
    this.basePath = new URL(verdict.url).pathname.replace(/\/+$/, '');
    this.retry = opts.retry ?? DEFAULT_RETRY;
    const agentOptions = {
      connect: { timeout: opts.timeoutMs, ...(opts.ca ? { ca: opts.ca } : {}) },
      ...(opts.ca ? { requestTls: { ca: opts.ca } } : {}),
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 30_000,
      connections: opts.connections ?? CONNECTIONS_PER_ORIGIN,
    };
    this.viaProxy = opts.proxy !== undefined;
    const proxy = opts.proxy;
    this.dispatcher = proxy ? import('./proxy.js').then((m) => m.proxyDispatcher(proxy, agentOptions)) : new Agent(agentOptions);
  }

  publicGet(method: string, query: Record<string, string>): Promise<TimedReply> {
    if (!method.startsWith('public/')) throw new UnsafeRequestError(method);
    const url = `${this.baseUrl}/${method}?${new URLSearchParams(query).toString()}`;
    return this.withRetries(() => ({ url, method: 'GET' }), this.opts.retryable);
  }

  /** Signed POST. Each attempt gets its own id, nonce and signature. */
  privatePost(method: string, params: SignableObject, credentials: ExchangeCredentials): Promise<TimedReply> {
    const url = `${this.baseUrl}/${method}`;
    assertHarmless(url, this.basePath, method, params);
    return this.withRetries(() => {
      const body = signedBody({ method, id: this.nextId++, apiKey: credentials.apiKey, params, nonce: this.nonces.next() }, credentials.apiSecret);
      return { url, method: 'POST', body: JSON.stringify(body) };
    }, this.opts.retryable);
  }

  /** Plain-text GET (the IP echo), same timeouts; retried on network faults, 5xx and 429 only. */
  async getText(url: string): Promise<{ text: string | null; timed: TimedReply }> {
    let text: string | null = null;
    const transient = (r: ExchangeReply) => r.kind === 'network' || r.httpStatus >= 500 || r.httpStatus === 429;
    const timed = await this.withRetries(
      () => ({ url, method: 'GET' }),
      transient,
      (body) => (text = body),
    );
    return { text: timed.reply.kind !== 'network' && timed.reply.httpStatus === 200 ? text : null, timed };
  }

  async close(): Promise<void> {
    await (await this.dispatcher).close();
  }

  private async withRetries(build: () => OutgoingRequest, retryable: (reply: ExchangeReply) => boolean, onBody?: (body: string) => void): Promise<TimedReply> {
    const first = Date.now();
    const deadline = first + this.opts.budgetMs;
    for (let attempt = 1; ; attempt++) {
      const req = build();
      const started = Date.now();
      const remaining = Math.max(1, deadline - started);
      const reply = await this.once(req, remaining, onBody);
      const finished = Date.now();
      const timed = { reply, attempts: attempt, latencyMs: finished - started, totalMs: finished - first, midpointMs: (started + finished) / 2 };
      if (!retryable(reply) || attempt >= this.retry.maxAttempts) return timed;
      const delay = backoffMs(attempt, this.retry);
      // Never sleep past the budget: an answer late is worse than a clear "unavailable" now.
      if (Date.now() + delay + 50 >= deadline) return timed;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /**
   * One attempt. undici's connect/headers/body timeouts bound what the exchange takes once the request
   * has a socket; the signal bounds the whole attempt by what is left of the call's budget, so time
   * spent queued for a socket in a run with many keys is not blamed on the exchange.
   */
  private async once(req: OutgoingRequest, budgetLeftMs: number, onBody?: (body: string) => void): Promise<ExchangeReply> {
    try {
      const url = new URL(req.url);
      const res = await request.call(await this.dispatcher, {
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/plain',
          'user-agent': this.opts.userAgent ?? 'exchange-key-monitor',
        },
        body: req.body,
        signal: AbortSignal.timeout(budgetLeftMs),
      });
      const { text: body, overCap } = await readCappedText(res.body, MAX_REPLY_BYTES);
      onBody?.(body);
      const date = res.headers['date'];
      return parseReply(res.statusCode, body, typeof date === 'string' ? date : null, overCap);
    } catch (err) {
      return networkReply(err, this.opts.timeoutMs, this.viaProxy);
    }
  }
}

/** Connecting to these fails before any byte reaches the exchange: with a proxy, it is the proxy that is away. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Map undici/abort errors to a typed reply. Only the error's class name, code, proxy status and (for a
 * name that does not resolve) the host name are kept.
 */
export function networkReply(err: unknown, timeoutMs: number, viaProxy = false): ExchangeReply {
  const e = err as { name?: string; code?: string; hostname?: unknown };
  const proxyStatus = proxyStatusOf(err);
  if (proxyStatus !== null) return { kind: 'network', error: 'proxy-refused', detail: `CONNECT answered ${proxyStatus}`, proxyStatus };
  if (viaProxy && e.code && UNREACHABLE.has(e.code)) return { kind: 'network', error: 'proxy-unreachable', detail: e.code };
  // NXDOMAIN: the name does not exist, a setting to fix. EAI_AGAIN (the resolver did not answer) stays a
  // connection fault that may clear.
  if (e.code === 'ENOTFOUND')
    return { kind: 'network', error: 'host-unknown', detail: typeof e.hostname === 'string' ? `ENOTFOUND ${displaySafe(e.hostname, 120)}` : 'ENOTFOUND' };
  if (isTimeoutError(err)) return { kind: 'network', error: 'timeout', detail: `${timeoutMs} ms` };
  return { kind: 'network', error: 'connection', detail: e.code ?? e.name ?? 'unknown error' };
}
