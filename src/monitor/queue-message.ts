/**
 * The notification queue's message format, both ways. Producers (check and rotation Lambdas, the
 * CLI) enqueue a Notification as its JSON (serializeNotification); CloudWatch alarms arrive as the
 * SNS envelope of their topic's SQS subscription. The notifier parses each body into one of four
 * typed cases and never throws: one bad message must not cost the rest of its batch.
 */
import { NOTIFICATION_SCHEMA_VERSION, type Notification, type NotificationFact, type NotificationKind, type Severity } from '../contract/notification.js';
import { clip, displaySafe } from '../exchange/text-safety.js';
import { alarmToNotification, looksLikeAlarm, type AlarmContext } from './alarm-notification.js';
import { isJsonObject, type JsonObject } from '../contract/json.js';

/** SQS's classic message size limit; our producers stay under it, so anything larger is not ours. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Ids become DynamoDB keys (`DELIVERY#<id>`, 2 KB at most) and webhook headers. */
const MAX_ID_BYTES = 1_000;

export type QueueMessage =
  | { readonly kind: 'notification'; readonly notification: Notification }
  | { readonly kind: 'alarm'; readonly notification: Notification }
  | { readonly kind: 'ignored'; readonly why: string }
  /** `problem` names the rule broken; it never quotes the message. */
  | { readonly kind: 'invalid'; readonly problem: string };

export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  'opened',
  'changed',
  'reminder',
  'resolved',
  'acknowledged',
  'monitor-alarm',
  'monitor-alarm-resolved',
  'maintenance',
  'mute',
  'rotation-promoted',
  'rotation-refused',
  'channel-failed',
  'test',
];
const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'resolved', 'info'];

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

export class InvalidNotification extends Error {
  override readonly name = 'InvalidNotification';
  constructor(readonly problem: string) {
    super(`not a valid notification: ${problem}`);
  }
}

function stringField(doc: JsonObject, field: string): string {
  const value = doc[field];
  if (typeof value !== 'string') throw new InvalidNotification(`${field} must be a string`);
  return value;
}

function pairs(doc: JsonObject, field: string, keys: readonly [string, string]): { [k: string]: string }[] {
  const value = doc[field];
  if (!Array.isArray(value)) throw new InvalidNotification(`${field} must be an array`);
  return value.map((item, i) => {
    if (!isJsonObject(item) || typeof item[keys[0]] !== 'string' || typeof item[keys[1]] !== 'string') {
      throw new InvalidNotification(`${field}[${i}] must be an object with string ${keys[0]} and ${keys[1]}`);
    }
    return { [keys[0]]: item[keys[0]] as string, [keys[1]]: item[keys[1]] as string };
  });
}

/**
 * A Notification from untrusted JSON, or InvalidNotification naming the first broken rule. Only the
 * known fields are kept (a newer producer's extra fields are dropped, not passed to channels).
 */
export function validateNotification(doc: unknown): Notification {
  if (!isJsonObject(doc)) throw new InvalidNotification('must be a JSON object');
  if (doc['schemaVersion'] !== NOTIFICATION_SCHEMA_VERSION) throw new InvalidNotification(`schemaVersion must be ${NOTIFICATION_SCHEMA_VERSION}`);
  const id = stringField(doc, 'id');
  if (id.trim() === '' || CONTROL.test(id) || Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
    throw new InvalidNotification(`id must be a non-empty string of at most ${MAX_ID_BYTES} bytes without control characters`);
  }
  const kind = doc['kind'];
  if (typeof kind !== 'string' || !(NOTIFICATION_KINDS as readonly string[]).includes(kind))
    throw new InvalidNotification('kind is not a known notification kind');
  const severity = doc['severity'];
  if (typeof severity !== 'string' || !(SEVERITIES as readonly string[]).includes(severity))
    throw new InvalidNotification('severity must be critical, warning, resolved or info');
  const fix = doc['fix'];
  if (fix !== null && typeof fix !== 'string') throw new InvalidNotification('fix must be a string or null');
  const scope = doc['scope'];
  let parsedScope: Notification['scope'];
  if (isJsonObject(scope) && scope['type'] === 'monitor') parsedScope = { type: 'monitor' };
  else if (isJsonObject(scope) && scope['type'] === 'key' && typeof scope['key'] === 'string') parsedScope = { type: 'key', key: scope['key'] };
  else throw new InvalidNotification('scope must be {"type":"monitor"} or {"type":"key","key":"<name>"}');
  return {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    id,
    kind: kind as NotificationKind,
    severity: severity as Severity,
    subject: stringField(doc, 'subject'),
    summary: stringField(doc, 'summary'),
    fix,
    facts: pairs(doc, 'facts', ['label', 'value']) as unknown as NotificationFact[],
    links: pairs(doc, 'links', ['label', 'url']) as unknown as Notification['links'],
    scope: parsedScope,
    occurredAt: stringField(doc, 'occurredAt'),
    source: stringField(doc, 'source'),
  };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // Not the parser's message: V8 quotes the text around the error.
    return { ok: false };
  }
}

/** The SNS envelope an SQS subscription receives when raw message delivery is off. */
function isSnsEnvelope(doc: JsonObject): boolean {
  return typeof doc['Type'] === 'string' && typeof doc['TopicArn'] === 'string' && 'Message' in doc;
}

function fromSns(envelope: JsonObject, context: AlarmContext): QueueMessage {
  const type = envelope['Type'];
  if (type === 'SubscriptionConfirmation' || type === 'UnsubscribeConfirmation')
    return { kind: 'ignored', why: `SNS ${type} (the stack subscribes the queue itself)` };
  if (type !== 'Notification') return { kind: 'invalid', problem: 'SNS envelope of an unknown Type' };
  if (typeof envelope['Message'] !== 'string') return { kind: 'invalid', problem: 'SNS envelope Message is not a string' };
  const inner = parseJson(envelope['Message']);
  if (!inner.ok) return { kind: 'invalid', problem: 'SNS Message is not JSON (only CloudWatch alarms are expected on this topic)' };
  return fromAlarm(inner.value, context);
}

function fromAlarm(alarm: unknown, context: AlarmContext): QueueMessage {
  if (!looksLikeAlarm(alarm)) return { kind: 'invalid', problem: 'SNS Message is not a CloudWatch alarm state change' };
  const parsed = alarmToNotification(alarm, context);
  if (parsed.kind === 'notification') return { kind: 'alarm', notification: parsed.notification };
  if (parsed.kind === 'ignored') return parsed;
  return { kind: 'invalid', problem: `alarm: ${parsed.problem.problem}` };
}

/** One SQS message body as a typed case. Never throws. */
export function parseQueueMessage(body: string, context: AlarmContext): QueueMessage {
  if (typeof body !== 'string') return { kind: 'invalid', problem: 'body is not text' };
  if (body.length > MAX_MESSAGE_BYTES || Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES) {
    return { kind: 'invalid', problem: `body is larger than ${MAX_MESSAGE_BYTES} bytes` };
  }
  const parsed = parseJson(body.replace(/^\uFEFF/, ''));
  if (!parsed.ok) return { kind: 'invalid', problem: 'body is not JSON' };
  const doc = parsed.value;
  if (!isJsonObject(doc)) return { kind: 'invalid', problem: 'body is not a JSON object' };
  if (isSnsEnvelope(doc)) return fromSns(doc, context);
  // An alarm topic subscribed with raw message delivery on: the alarm JSON itself.
  if (looksLikeAlarm(doc)) return fromAlarm(doc, context);
  try {
    return { kind: 'notification', notification: validateNotification(doc) };
  } catch (err) {
    if (err instanceof InvalidNotification) return { kind: 'invalid', problem: err.problem };
    return { kind: 'invalid', problem: 'could not be read' };
  }
}

/** At most this much of a body reaches a log line, display-safe. */
export function bodyExcerpt(body: string): string {
  return displaySafe(String(body).slice(0, 1_000), 200);
}

/** Room left for SQS message attributes and the batch envelope. */
const SERIALIZED_MAX_BYTES = MAX_MESSAGE_BYTES - 6 * 1024;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The queue body for a notification: its JSON, kept under SQS's 256 KB. A notification that does
 * not fit has its long texts cut, then facts and links dropped from the end (with a fact saying
 * how many), so the message is still delivered. Throws InvalidNotification on a notification the
 * notifier would reject: better to fail in the producer than to drop it in the queue.
 */
export function serializeNotification(n: Notification): string {
  const valid = validateNotification(JSON.parse(JSON.stringify(n)) as unknown);
  let body = JSON.stringify(valid);
  if (bytes(body) <= SERIALIZED_MAX_BYTES) return body;
  // Far more than any channel shows (see channels/text.ts caps); only the size limit is at stake.
  const facts = valid.facts.slice(0, 100).map((f) => ({ label: clip(f.label, 100), value: clip(f.value, 2_000) }));
  const links = valid.links
    .slice(0, 20)
    .map((l) => ({ label: clip(l.label, 100), url: l.url.length > 4_000 ? '' : l.url }))
    .filter((l) => l.url);
  const omitted = valid.facts.length - facts.length;
  for (;;) {
    const dropped = omitted + (Math.min(valid.facts.length, 100) - facts.length);
    const candidate: Notification = {
      ...valid,
      subject: clip(valid.subject, 1_000),
      summary: clip(valid.summary, 10_000),
      fix: valid.fix === null ? null : clip(valid.fix, 5_000),
      facts: dropped > 0 ? [...facts, { label: '', value: `(${dropped} more facts not sent: too large for the queue)` }] : facts,
      links,
      scope: valid.scope.type === 'key' ? { type: 'key', key: clip(valid.scope.key, 500) } : valid.scope,
      occurredAt: clip(valid.occurredAt, 100),
      source: clip(valid.source, 500),
    };
    body = JSON.stringify(candidate);
    if (bytes(body) <= SERIALIZED_MAX_BYTES) return body;
    if (facts.length > 0) facts.splice(-Math.max(1, Math.ceil(facts.length / 4)));
    else if (links.length > 0) links.splice(-1);
    else throw new InvalidNotification(`does not fit in ${MAX_MESSAGE_BYTES} bytes even without facts and links`);
  }
}
