import { displaySafe } from './text-safety.js';

/**
 * What came back from one HTTP exchange with the API, as a typed value instead of an exception:
 * an answer (JSON envelope), a non-JSON page (Cloudflare/load-balancer HTML), or no answer at all.
 */
export type ExchangeReply =
  | {
      readonly kind: 'answer';
      readonly httpStatus: number;
      /** `code` from the envelope as a number (docs show strings, live replies numbers). */
      readonly code: number | null;
      /** `message ?? msg`; the envelope's `original` (it echoes the signed request) is dropped. */
      readonly message: string | null;
      readonly result: unknown;
      readonly dateHeader: string | null;
    }
  | {
      readonly kind: 'not-json';
      readonly httpStatus: number;
      readonly snippet: string;
      /**
       * What the body was: a page (HTML, text), empty, JSON that ends early (cut off on the way), or
       * more than the monitor reads (MAX_REPLY_BYTES). Only a page says "this is not the API". Absent: a page.
       */
      readonly form?: 'page' | 'empty' | 'cut-off' | 'over-cap';
    }
  | {
      readonly kind: 'network';
      /**
       * proxy-*: the forward proxy, not the exchange: it could not be reached, or it refused our CONNECT;
       * proxy-token-unreadable: it refused (407) a connection that carried no token, because the token
       * could not be read (the detail says why). host-unknown: the host name does not resolve (ENOTFOUND).
       */
      readonly error: 'timeout' | 'connection' | 'host-unknown' | 'proxy-unreachable' | 'proxy-refused' | 'proxy-token-unreadable';
      readonly detail: string;
      /** What the proxy answered to CONNECT (407: authentication; 5xx: it could not reach the exchange). */
      readonly proxyStatus?: number;
    };

/** The most of a reply body the monitor reads; an exchange answer is a few KB. */
export const MAX_REPLY_BYTES = 1_000_000;

const MAX_SNIPPET = 80;
const MAX_MESSAGE = 200;

/** Only this much of a page is looked at: a hostile body must not cost more than linear time in a cap. */
const SNIPPET_SCAN = 4_096;

/**
 * A short, printable hint of what a non-JSON body was: the HTML title, else its first words. Done
 * with indexOf and one pass, not backtracking regexes: a page of '<title<title…' must not stall the run.
 */
export function snippetOf(body: string): string {
  const head = body.slice(0, SNIPPET_SCAN);
  const lower = head.toLowerCase();
  const open = lower.indexOf('<title');
  const start = open >= 0 ? lower.indexOf('>', open) : -1;
  const end = start >= 0 ? lower.indexOf('</title>', start) : -1;
  const raw = start >= 0 && end > start ? head.slice(start + 1, end) : head;
  let text = '';
  let inTag = false;
  for (const ch of raw) {
    if (ch === '<') inTag = true;
    else if (ch === '>') inTag = false;
    else if (!inTag) text += ch;
  }
  return displaySafe(text, MAX_SNIPPET) || 'empty body';
}

function toCode(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value);
  return null;
}

const ONLY_WHITESPACE = /^\s*$/;

/** `overCap`: the body was longer than what was read (MAX_REPLY_BYTES), so `body` is only its start. */
export function parseReply(httpStatus: number, body: string, dateHeader: string | null, overCap = false): ExchangeReply {
  const looksLikeJson = /^\s*[[{]/.test(body);
  const notJson = (form: 'page' | 'empty' | 'cut-off' | 'over-cap'): ExchangeReply => ({ kind: 'not-json', httpStatus, snippet: snippetOf(body), form });
  if (overCap) return notJson(looksLikeJson ? 'over-cap' : 'page');
  // Whitespace only (the same characters trim() removes), without copying a long body to find out.
  if (ONLY_WHITESPACE.test(body)) return notJson('empty');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return notJson(looksLikeJson ? 'cut-off' : 'page');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return notJson('page');
  const envelope = json as Record<string, unknown>;
  const message = envelope['message'] ?? envelope['msg'];
  return {
    kind: 'answer',
    httpStatus,
    code: toCode(envelope['code']),
    message: typeof message === 'string' ? displaySafe(message, MAX_MESSAGE) || null : null,
    result: envelope['result'],
    dateHeader,
  };
}

/** One line saying what a reply was, for check details. Contains no request data. */
export function describeReply(reply: ExchangeReply): string {
  switch (reply.kind) {
    case 'network':
      switch (reply.error) {
        case 'timeout':
          return `no answer in time (${reply.detail})`;
        case 'connection':
          return `connection failed (${reply.detail})`;
        case 'host-unknown':
          return `the host name does not resolve (${reply.detail})`;
        case 'proxy-unreachable':
          return `the proxy could not be reached (${reply.detail})`;
        case 'proxy-token-unreadable':
          return `the proxy refused a connection without its token (407): ${reply.detail}`;
        case 'proxy-refused':
          return reply.proxyStatus === 407
            ? 'the proxy refused authentication (407 Proxy Authentication Required)'
            : `the proxy answered ${reply.proxyStatus ?? '?'} to CONNECT instead of opening a tunnel to the exchange`;
      }
    case 'not-json':
      switch (reply.form ?? 'page') {
        case 'empty':
          return `an empty reply with HTTP ${reply.httpStatus}`;
        case 'cut-off':
          return `the reply was cut off (HTTP ${reply.httpStatus}, JSON that ends before it is complete)`;
        case 'over-cap':
          return `the reply was larger than ${MAX_REPLY_BYTES / 1_000_000} MB (HTTP ${reply.httpStatus}); the monitor reads no more than that`;
        case 'page':
          return `HTTP ${reply.httpStatus} with a non-JSON body ("${reply.snippet}")`;
      }
    case 'answer': {
      const code = reply.code === null ? 'no code' : `code ${reply.code}`;
      return `HTTP ${reply.httpStatus}, ${code}${reply.message ? ` ${reply.message}` : ''}`;
    }
  }
}
