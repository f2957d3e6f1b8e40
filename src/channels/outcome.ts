/**
 * The shared half of every HTTP channel's `classify`: retry hints, the status rules the services
 * agree on, and reasons that are short, printable and redacted. A channel supplies only what is its
 * own (what success looks like, where its retry hint lives, how it explains an error body).
 */
import type { ChannelName, DeliveryOutcome, HttpReply } from './channel.js';
import { redactChannelSecrets } from './redact.js';
import { refusalFix } from './refusals.js';
import { cleanLine, fit } from './text.js';

/** The longest an SQS message can be delayed; a longer hint is honoured up to here. */
const MAX_RETRY_WAIT_MS = 15 * 60_000;
/** When the service gives no hint. The queue's own back-off grows it across attempts. */
export const DEFAULT_RETRY_WAIT_MS = 30_000;

interface Named {
  readonly name: ChannelName;
  readonly secrets: readonly string[];
}

type HttpAnswer = Extract<HttpReply, { kind: 'http' }>;

export const SENT: DeliveryOutcome = { status: 'sent' };

export function retry(channel: Named, reason: string, hintMs: number | null): DeliveryOutcome {
  let afterMs = DEFAULT_RETRY_WAIT_MS;
  let note = '';
  if (hintMs !== null) {
    afterMs = Math.min(MAX_RETRY_WAIT_MS, Math.max(0, Math.ceil(hintMs)));
    note = hintMs > MAX_RETRY_WAIT_MS ? ` (asked to wait ${Math.ceil(hintMs / 1000)} s; retrying after ${MAX_RETRY_WAIT_MS / 1000} s)` : '';
  }
  return { status: 'retry', afterMs, reason: redactChannelSecrets(`${channel.name}: ${reason}${note}`, channel) };
}

/** `fix` comes from the refusal table (refusals.ts): fixed text, never the service's words. */
export function permanent(channel: Named, reason: string, fix: string): DeliveryOutcome {
  return { status: 'permanent', reason: redactChannelSecrets(`${channel.name}: ${reason}`, channel), fix };
}

/** A number of seconds (int or float, as JSON number or header text) as milliseconds, or null. */
export function secondsToMs(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n * 1000 : null;
}

/**
 * `Retry-After` as delta-seconds, or as an HTTP date measured against the reply's own `Date`
 * header (so this stays pure: no local clock, and no skew between ours and theirs).
 */
export function retryAfterHeaderMs(headers: Readonly<Record<string, string>>): number | null {
  const value = headers['retry-after'];
  if (value === undefined) return null;
  const seconds = secondsToMs(value);
  if (seconds !== null) return seconds;
  const at = Date.parse(value);
  const now = Date.parse(headers['date'] ?? '');
  return Number.isFinite(at) && Number.isFinite(now) ? Math.max(0, at - now) : null;
}

/**
 * A short printable excerpt of a reply text for a reason string, redacted *before* it is cut: a
 * cut first could leave half a token that no longer matches the secret it came from.
 */
export function excerpt(channel: Named, raw: string, max = 160): string {
  // Bounded before any regex: a receiver's 64 KB of '<<<<' must not cost seconds.
  const text = cleanLine(redactChannelSecrets(raw.slice(0, 4_096), channel).replace(/<[^<>]*>/g, ' '));
  return text ? fit(text, max) : 'empty body';
}

/** JSON body as an object, or null. */
export function jsonObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function networkOutcome(channel: Named, reply: Extract<HttpReply, { kind: 'network' }>): DeliveryOutcome {
  const what =
    reply.error === 'timeout'
      ? `no reply within ${excerpt(channel, reply.detail, 40)}; it may have been delivered, so a retry can duplicate it`
      : `connection failed (${excerpt(channel, reply.detail, 60)})`;
  return retry(channel, what, null);
}

export interface FailureRules {
  /** The service's retry hint for this reply, in ms (default: the Retry-After header). */
  readonly hintMs?: (reply: HttpAnswer) => number | null;
  /** The part of the error body that explains it (default: the whole body). Raw: failure() redacts and cuts it. */
  readonly explain?: (reply: HttpAnswer) => string;
  /** What a status means for this service, when it says more than the common rule (e.g. Discord 404). */
  readonly meaning?: Readonly<Record<number, string>>;
  /** The service's error code or description, matched against the refusal table (default: the body). Never shown. */
  readonly code?: (reply: HttpAnswer) => string;
}

/**
 * The rules the services share for a reply that is not a success: 429, 408 and 5xx are transient
 * (with the hint when there is one); a redirect is not followed (a webhook that moved is a config
 * change, and following it would post the message to a host nobody configured); any other status
 * is permanent: retrying an unchanged 400/401/403/404/410 only repeats it, and Discord bans IPs
 * that send many invalid requests.
 */
export function failure(channel: Named, reply: HttpAnswer, rules: FailureRules = {}): DeliveryOutcome {
  const hint = (rules.hintMs ?? ((r) => retryAfterHeaderMs(r.headers)))(reply);
  const explanation = excerpt(channel, (rules.explain ?? ((r) => r.body))(reply));
  const meaning = rules.meaning?.[reply.status];
  const what = `HTTP ${reply.status}${meaning ? ` ${meaning}` : ''}: ${explanation}`;
  const status = reply.status;
  if (status === 429) return retry(channel, `rate limited, ${what}`, hint);
  if (status === 408 || status >= 500) return retry(channel, what, hint);
  const fix = refusalFix(channel.name, { status, code: (rules.code ?? ((r) => r.body))(reply) });
  if (status >= 300 && status < 400) return permanent(channel, `${what} (redirects are not followed; check the configured URL)`, fix);
  return permanent(channel, what, fix);
}
