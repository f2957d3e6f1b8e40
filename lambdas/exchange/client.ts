import type { Dispatcher } from 'undici';
// undici's index loads fetch, WebSocket, caching and mocks (520 KB bundled); a check needs only the
// HTTP/1 Agent and the request API, which cuts the Lambda bundle by half and its cold start with it.
import Agent from 'undici/lib/dispatcher/agent.js';
import request from 'undici/lib/api/api-request.js';
import { assertHarmless } from './probe-guard.js';
import { backoffMs, DEFAULT_RETRY, isRetryable, type RetryOptions } from './retry-policy.js';
import { signedBody, type SignableObject } from './signing.js';
import { parseReply, type ExchangeReply } from './reply.js';
import type { Credentials } from '../monitor/types.js';


export interface ExchangeClientOptions {
  readonly baseUrl: string;
  /** Per attempt: connect, response headers and body each. undici's 300 s default is far too long. */
  readonly timeoutMs: number;
  /** All attempts of one call together, back-off included. */
  readonly budgetMs: number;
  readonly retry?: RetryOptions;
  readonly userAgent?: string;
}

export interface TimedReply {
  readonly reply: ExchangeReply;
  readonly attempts: number;
  /** Wall time of the last attempt (what the exchange took), not of the back-off. */
  readonly latencyMs: number;
  /** Local clock at the middle of the last attempt, for clock-skew estimates. */
  readonly midpointMs: number;
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

const MAX_BODY_BYTES = 1_000_000;


export class ExchangeClient {
  private readonly dispatcher: Dispatcher;
  private readonly nonces = new NonceSource();
  // Fresh id per request; random start so two monitors on one key do not collide.
  private nextId = Math.floor(Math.random() * 1_000_000_000);
  private readonly retry: RetryOptions;

  constructor(private readonly opts: ExchangeClientOptions) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.dispatcher = new Agent({
      connect: { timeout: opts.timeoutMs },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  publicGet(method: string, query: Record<string, string>): Promise<TimedReply> {
    const url = `${this.opts.baseUrl}/${method}?${new URLSearchParams(query).toString()}`;
    return this.withRetries(() => ({ url, method: 'GET' }));
  }

  /** Signed POST. Each attempt gets its own id, nonce and signature. */
  privatePost(method: string, params: SignableObject, credentials: Credentials): Promise<TimedReply> {
    assertHarmless(method, params);
    const url = `${this.opts.baseUrl}/${method}`;
    return this.withRetries(() => {
      const body = signedBody(
        { method, id: this.nextId++, apiKey: credentials.apiKey, params, nonce: this.nonces.next() },
        credentials.apiSecret,
      );
      return { url, method: 'POST', body: JSON.stringify(body) };
    });
  }

  /** Plain-text GET (the IP echo), same timeouts and retry rules. */
  getText(url: string): Promise<{ text: string | null; timed: TimedReply }> {
    let text: string | null = null;
    const transient = (r: ExchangeReply) => r.kind === 'network' || r.httpStatus >= 500 || r.httpStatus === 429;
    return this.withRetries(() => ({ url, method: 'GET' }), transient, (body) => (text = body)).then((timed) => ({
      text: timed.reply.kind !== 'network' && timed.reply.httpStatus === 200 ? text : null,
      timed,
    }));
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async withRetries(
    build: () => { url: string; method: 'GET' | 'POST'; body?: string },
    retryable: (reply: ExchangeReply) => boolean = isRetryable,
    onBody?: (body: string) => void,
  ): Promise<TimedReply> {
    const deadline = Date.now() + this.opts.budgetMs;
    for (let attempt = 1; ; attempt++) {
      const req = build();
      const started = Date.now();
      const remaining = Math.max(1, deadline - started);
      const reply = await this.once(req, Math.min(this.opts.timeoutMs, remaining), onBody);
      const finished = Date.now();
      const timed = { reply, attempts: attempt, latencyMs: finished - started, midpointMs: (started + finished) / 2 };
      if (!retryable(reply) || attempt >= this.retry.maxAttempts) return timed;
      const delay = backoffMs(attempt, this.retry);
      // Never sleep past the budget: an answer late is worse than a clear "unavailable" now.
      if (Date.now() + delay + 50 >= deadline) return timed;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private async once(
    req: { url: string; method: 'GET' | 'POST'; body?: string },
    timeoutMs: number,
    onBody?: (body: string) => void,
  ): Promise<ExchangeReply> {
    try {
      const url = new URL(req.url);
      const res = await request.call(this.dispatcher, {
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/plain',
          'user-agent': this.opts.userAgent ?? 'exchange-key-monitor',
        },
        body: req.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await readLimited(res.body);
      onBody?.(body);
      const date = res.headers['date'];
      return parseReply(res.statusCode, body, typeof date === 'string' ? date : null);
    } catch (err) {
      return networkReply(err, timeoutMs);
    }
  }
}

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Map undici/abort errors to a typed reply. Only the error's class name and code are kept. */
export function networkReply(err: unknown, timeoutMs: number): ExchangeReply {
  const e = err as { name?: string; code?: string };
  const timeout =
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT';
  if (timeout) return { kind: 'network', error: 'timeout', detail: `${timeoutMs} ms` };
  return { kind: 'network', error: 'connection', detail: e.code ?? e.name ?? 'unknown error' };
}
