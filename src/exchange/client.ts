import type { Dispatcher } from 'undici';
// undici's index loads fetch, WebSocket, caching and mocks (520 KB bundled); a check needs only the
// HTTP/1 Agent and the request API, which cuts the Lambda bundle by half and its cold start with it.
import Agent from 'undici/lib/dispatcher/agent.js';
import { CONNECTIONS_PER_ORIGIN } from '../contract/defaults.js';
import { checkBaseUrl } from './base-url.js';
import type { ProxySettings } from './proxy.js';
import { proxyStatusOf } from './proxy-status.js';
import { assertHarmless, UnsafeRequestError } from './probe-guard.js';
import { backoffMs, DEFAULT_RETRY, type RetryOptions } from './retry-policy.js';
import { signedBody, type SignableObject } from './signing.js';
import { displaySafe } from './text-safety.js';
import { MAX_REPLY_BYTES, parseReply, type ExchangeReply } from './reply.js';
import { isTimeoutError } from './http-read.js';
import { timerMs } from './timer-ms.js';

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
  /** The same for every request: built once. */
  private readonly headers: Readonly<Record<string, string>>;

  constructor(private readonly opts: ExchangeClientOptions) {
    const verdict = checkBaseUrl(opts.baseUrl);
    if (!verdict.ok) throw new InvalidBaseUrlError(verdict.problem);
    this.baseUrl = verdict.url;
    this.basePath = new URL(verdict.url).pathname.replace(/\/+$/, '');
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/plain',
      'user-agent': opts.userAgent ?? 'exchange-key-monitor',
    };
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

  /** Origin and path of each URL this client asks, parsed once (a run asks the same few URLs thousands of times). */
  private readonly targets = new Map<string, { readonly origin: string; readonly path: string }>();

  private targetOf(url: string): { readonly origin: string; readonly path: string } {
    let target = this.targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      if (this.targets.size >= MAX_TARGETS) this.targets.clear();
      this.targets.set(url, target);
    }
    return target;
  }

  /**
   * One attempt. undici's connect/headers/body timeouts bound what the exchange takes once the request
   * has a socket; a timer bounds the whole attempt by what is left of the call's budget, so time spent
   * queued for a socket in a run with many keys is not blamed on the exchange. The reply is read by a
   * dispatch handler straight into a capped buffer list: no response stream, async iterator or abort
   * signal per request (a run sends over a thousand).
   */
  private async once(req: OutgoingRequest, budgetLeftMs: number, onBody?: (body: string) => void): Promise<ExchangeReply> {
    try {
      const { origin, path } = this.targetOf(req.url);
      const dispatcher = await this.dispatcher;
      const {
        statusCode,
        date,
        text: body,
        overCap,
      } = await new Promise<ReadReply>((resolve, reject) => {
        dispatcher.dispatch(
          { origin, path, method: req.method, headers: this.headers, ...(req.body === undefined ? {} : { body: req.body }) },
          new CappedReplyHandler(MAX_REPLY_BYTES, budgetLeftMs, resolve, reject),
        );
      });
      onBody?.(body);
      return parseReply(statusCode, body, date, overCap);
    } catch (err) {
      return networkReply(err, this.opts.timeoutMs, this.viaProxy);
    }
  }
}

/** URLs whose origin and path a client keeps parsed (it asks a handful). */
const MAX_TARGETS = 64;

interface ReadReply {
  readonly statusCode: number;
  readonly date: string | null;
  readonly text: string;
  readonly overCap: boolean;
}

/**
 * An undici dispatch handler that reads a reply the way readCappedText does: the body up to a cap
 * (past it the request is aborted and what was read is the answer, marked over the cap), the status
 * and the Date header (absent or given twice: null). The whole attempt is bounded by `budgetMs`: when
 * it runs out the request is aborted with a TimeoutError, also while it still waits for a socket.
 */
class CappedReplyHandler implements Dispatcher.DispatchHandler {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private statusCode = 0;
  private date: string | null = null;
  private abortRequest: ((reason: Error) => void) | null = null;
  private reason: Error | null = null;
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly maxBytes: number,
    budgetMs: number,
    private readonly resolve: (reply: ReadReply) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.timer = setTimeout(() => this.timeUp(), timerMs(budgetMs));
    // Like AbortSignal.timeout: the deadline alone does not keep a process alive.
    this.timer.unref();
  }

  private timeUp(): void {
    const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    this.reason = reason;
    this.abortRequest?.(reason);
    this.fail(reason);
  }

  private finish(overCap: boolean): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const { chunks } = this;
    const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve({ statusCode: this.statusCode, date: this.date, text, overCap });
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.reject(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.reason) abort(this.reason);
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null): boolean {
    // 1xx: informational, the real answer follows.
    if (statusCode < 200) return true;
    this.statusCode = statusCode;
    let date: string | null = null;
    let dates = 0;
    const headers = rawHeaders ?? [];
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i] as Buffer | string;
      if (name.length !== 4 || name.toString().toLowerCase() !== 'date') continue;
      dates++;
      date = (headers[i + 1] as Buffer | string).toString();
    }
    this.date = dates === 1 ? date : null;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    const room = this.maxBytes - this.size;
    if (chunk.length > room) {
      this.chunks.push(chunk.subarray(0, room));
      this.size = this.maxBytes;
      this.finish(true);
      this.abortRequest?.(new Error('reply over the cap: the rest is not read'));
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    this.finish(false);
  }

  onError(err: Error): void {
    this.fail(err);
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
