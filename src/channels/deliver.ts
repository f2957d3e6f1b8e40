/**
 * The one I/O piece for HTTP channels: send an HttpRequestSpec once and hand back what came back as
 * an HttpReply for the channel's classify. No retries here (the queue owns them, with the
 * channel's wait) and no redirects (a webhook that moved is a config change, not a hop to follow).
 */
import type { Dispatcher } from 'undici';
// As in exchange/client.ts: undici's index pulls in fetch, WebSocket and mocks; a POST needs only these.
import Agent from 'undici/lib/dispatcher/agent.js';
import request from 'undici/lib/api/api-request.js';
import type { HttpReply, HttpRequestSpec } from './channel.js';
import { isTimeoutError, readCapped } from '../exchange/http-read.js';

const DELIVERY_TIMEOUT_MS = 10_000;
/** Enough for any service's error body; a receiver cannot make us buffer more. */
export const MAX_REPLY_BYTES = 64 * 1024;

export interface HttpSender {
  send(spec: HttpRequestSpec): Promise<HttpReply>;
  close(): Promise<void>;
}

export function createHttpSender(options: { timeoutMs?: number } = {}): HttpSender {
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  // undici's defaults are 300 s per phase; a Lambda would time out first and lose the verdict.
  const dispatcher: Dispatcher = new Agent({
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
  });
  return {
    async send(spec) {
      try {
        const url = new URL(spec.url);
        const res = await request.call(dispatcher, {
          origin: url.origin,
          path: url.pathname + url.search,
          method: spec.method,
          headers: spec.headers,
          body: spec.body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await readCapped(res.body, MAX_REPLY_BYTES);
        return { kind: 'http', status: res.statusCode, headers: flatHeaders(res.headers), body };
      } catch (err) {
        return networkReply(err, timeoutMs);
      }
    },
    close: () => dispatcher.close(),
  };
}

function flatHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Only the error's name or code is kept: undici's messages can quote the request URL, which for
 * these services holds the credential.
 */
export function networkReply(err: unknown, timeoutMs: number): HttpReply {
  const e = err as { name?: unknown; code?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  if (isTimeoutError(err)) return { kind: 'network', error: 'timeout', detail: `${timeoutMs} ms` };
  return { kind: 'network', error: 'connection', detail: code || name || 'unknown error' };
}
