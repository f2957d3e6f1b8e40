/**
 * Generic JSON webhook, signed per Standard Webhooks v1 so receivers can use that spec's libraries:
 * `webhook-id` (the notification id: stable across retries, the receiver's idempotency key),
 * `webhook-timestamp` (this attempt, unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>`
 * over `{id}.{timestamp}.{body}`, computed on the exact bytes sent.
 */
import { createHmac } from 'node:crypto';
import { NOTIFICATION_SCHEMA_VERSION, type Notification } from '../contract/notification.js';
import { jsonPost, userAgent, type AgentOptions, type HttpChannel, type HttpReply } from './channel.js';
import { failure, networkOutcome, SENT } from './outcome.js';
import { urlSecrets } from './redact.js';
import { cleanLine, firstThatFits, fit, prepare, type Caps } from './text.js';

export interface WebhookConfig {
  readonly url: string;
  /** `whsec_<base64 key>` as the spec prints it, or a raw string used as the key's UTF-8 bytes. */
  readonly signingSecret?: string;
}

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** The spec's guidance for payload size. */
const WEBHOOK_MAX_BODY_BYTES = 20_000;

const LEVELS: readonly Caps[] = [
  { subject: 150, summary: 4000, fix: 2000, facts: 50, label: 100, value: 500, links: 10, linkLabel: 100, url: 2000 },
  { subject: 150, summary: 1500, fix: 1000, facts: 20, label: 60, value: 200, links: 5, linkLabel: 60, url: 1000 },
  { subject: 150, summary: 500, fix: 500, facts: 10, label: 40, value: 100, links: 3, linkLabel: 40, url: 500 },
];

function signingKey(secret: string): Buffer {
  return secret.startsWith(WEBHOOK_SECRET_PREFIX) ? Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
}

function signature(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64')}`;
}

/**
 * Header values must be visible ASCII (Node refuses others, and a refused header would look like
 * a connection error, retried forever). Ids are ASCII in practice; anything else is percent-encoded.
 */
function headerSafe(id: string): string {
  return id.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
}

/** The notification as sent in `data`: same shape, cleaned and bounded like every other channel's. */
function payload(n: Notification, caps: Caps): { body: string; id: string } {
  const p = prepare(n, caps);
  const data: Notification = {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    id: p.id,
    kind: p.kind,
    severity: p.severity,
    subject: p.subject,
    summary: p.summary,
    fix: p.fix,
    facts: p.facts,
    links: p.links,
    scope: n.scope.type === 'key' ? { type: 'key', key: fit(cleanLine(n.scope.key), 200) } : { type: 'monitor' },
    occurredAt: p.occurredAt,
    source: p.source,
  };
  return { body: JSON.stringify({ type: `exchange-key-monitor.${n.kind}`, timestamp: p.occurredAt, data }), id: p.id };
}

export function webhookChannel(config: WebhookConfig, options: AgentOptions = {}): HttpChannel {
  const agent = userAgent(options);
  const key = config.signingSecret === undefined ? null : signingKey(config.signingSecret);
  const secretForms = config.signingSecret === undefined ? [] : [config.signingSecret, config.signingSecret.replace(WEBHOOK_SECRET_PREFIX, '')];
  const channel: HttpChannel = {
    name: 'webhook',
    transport: 'http',
    secrets: [...urlSecrets(config.url), ...secretForms],
    build(notification, nowMs) {
      const { body, id: dataId } = firstThatFits(
        LEVELS,
        (caps) => payload(notification, caps),
        (p) => Buffer.byteLength(p.body, 'utf8') <= WEBHOOK_MAX_BODY_BYTES,
      );
      const id = headerSafe(dataId);
      const timestamp = Math.floor(nowMs / 1000);
      const signed: Record<string, string> = key ? { 'webhook-signature': signature(key, id, timestamp, body) } : {};
      return jsonPost(config.url, agent, body, { 'webhook-id': id, 'webhook-timestamp': String(timestamp), ...signed });
    },
    classify(reply: HttpReply) {
      if (reply.kind === 'network') return networkOutcome(channel, reply);
      if (reply.status >= 200 && reply.status < 300) return SENT;
      // 429/502/503/504 honour Retry-After (the common rule); 410 is the spec's "disable me".
      return failure(channel, reply, { meaning: { 410: '(endpoint disabled by its owner: remove or replace webhook.url)' } });
    },
  };
  return channel;
}
