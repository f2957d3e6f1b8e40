/**
 * The one interface every notification channel implements (after gatus's AlertProvider): a channel
 * renders a Notification into a request and judges the reply; it never does I/O itself. HTTP
 * channels are sent by deliver.ts, SNS channels by an injected publish port (the AWS adapter).
 * "Resolved" is part of the contract: `effectiveSeverity` is what every channel colours by.
 */
import { SEVERITY_EMOJI, type Notification, type Severity } from '../contract/notification.js';

export type ChannelName = 'email' | 'chatbot' | 'slack' | 'teams' | 'telegram' | 'discord' | 'webhook';

/** Everything needed to send one HTTP notification. The url may hold a credential: never log it. */
export interface HttpRequestSpec {
  readonly url: string;
  readonly method: 'POST';
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A JSON POST as every HTTP channel sends it; `headers` adds or overrides (a signature, Discord's own agent). */
export function jsonPost(url: string, userAgent: string, body: string, headers: Readonly<Record<string, string>> = {}): HttpRequestSpec {
  return { url, method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': userAgent, ...headers }, body };
}

/** What came back from one attempt, as a value: an HTTP answer, or none at all. */
export type HttpReply =
  | {
      readonly kind: 'http';
      readonly status: number;
      /** Lower-case names; repeated headers joined with ", ". */
      readonly headers: Readonly<Record<string, string>>;
      /** At most the first 64 KB, decoded as UTF-8. */
      readonly body: string;
    }
  | { readonly kind: 'network'; readonly error: 'timeout' | 'connection'; readonly detail: string };

/**
 * The verdict on one attempt. `afterMs` is the service's own hint when it sent one (capped at
 * 15 minutes, the longest an SQS message can be delayed), else a default back-off. Every `reason`
 * has been through redactChannelSecrets.
 */
export type DeliveryOutcome =
  | { readonly status: 'sent' }
  | { readonly status: 'retry'; readonly afterMs: number; readonly reason: string }
  /** Refused for good; `fix` is what the operator must change, from the refusal table (refusals.ts). */
  | { readonly status: 'permanent'; readonly reason: string; readonly fix: string };

interface ChannelBase {
  readonly name: ChannelName;
  /**
   * Strings that must never appear in a log line or an error: tokens, webhook URLs and their
   * secret parts, signing secrets. redactChannelSecrets also covers their URL- and JSON-encoded forms.
   */
  readonly secrets: readonly string[];
}

export interface HttpChannel extends ChannelBase {
  readonly transport: 'http';
  /**
   * Pure. `nowMs` is the send time of this attempt: only the generic webhook uses it (its signed
   * timestamp), and taking it as a parameter keeps build deterministic under test.
   */
  build(notification: Notification, nowMs: number): HttpRequestSpec;
  /** Pure: the reply to this channel's request, judged by this service's rules. */
  classify(reply: HttpReply): DeliveryOutcome;
}

/** One sns:Publish call. Subject is omitted where the subscriber ignores it (Amazon Q). */
export interface SnsMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
}

export interface SnsChannel extends ChannelBase {
  readonly transport: 'sns';
  /** Pure. */
  build(notification: Notification): SnsMessage;
}

export type Channel = HttpChannel | SnsChannel;

/**
 * Publishes to SNS. Implemented by the AWS adapter, which alone knows which SDK errors are worth a
 * retry (throttling) and which are not (authorization, missing topic).
 */
export interface PublishPort {
  publish(message: SnsMessage): Promise<DeliveryOutcome>;
}

/**
 * What every HTTP channel identifies itself as. Discord requires `DiscordBot ($url, $version)`;
 * the others get the same product. The project has no public URL yet: replace `url` when it does
 * (and move this to contract/service.ts, next to SERVICE_NAME).
 */
export const CLIENT_IDENTITY = {
  product: 'exchange-key-monitor',
  url: 'https://github.com/exchange-key-monitor/exchange-key-monitor',
  version: '0.1.0',
} as const;

/** Options every HTTP channel factory takes besides its own config. */
export interface AgentOptions {
  /** Deployment (stack) name, so a receiver's logs can tell several monitors apart. */
  readonly deployment?: string;
}

export function userAgent(options: AgentOptions = {}): string {
  const base = `${CLIENT_IDENTITY.product}/${CLIENT_IDENTITY.version} (+${CLIENT_IDENTITY.url})`;
  // Header values must be visible ASCII; stack names are, but this must not throw if one is not.
  const deployment = (options.deployment ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, 64);
  return deployment ? `${base} deployment/${deployment}` : base;
}

/**
 * A resolved notification renders as resolved on every channel, whichever field says so: the kind
 * (`resolved`, `monitor-alarm-resolved`) or the severity. A resolve that rendered red would page
 * someone for good news.
 */
export function isResolved(n: Pick<Notification, 'kind' | 'severity'>): boolean {
  return n.kind === 'resolved' || n.kind === 'monitor-alarm-resolved' || n.severity === 'resolved';
}

export function effectiveSeverity(n: Pick<Notification, 'kind' | 'severity'>): Severity {
  return isResolved(n) ? 'resolved' : n.severity;
}

/**
 * The incident part of an id shaped `<incidentId>#<transitionNumber>`, so that one incident's
 * opened, reminder and resolved notifications can share a thread. Ids without `#` are their own thread.
 */
export function threadKey(id: string): string {
  const hash = id.lastIndexOf('#');
  return hash > 0 ? id.slice(0, hash) : id;
}

/** The leading severity emoji, if the subject starts with one (with or without U+FE0F). */
export function stripSeverityEmoji(subject: string): string {
  for (const emoji of Object.values(SEVERITY_EMOJI)) {
    const bare = emoji.replace(/\uFE0F/g, '');
    for (const form of [emoji, bare]) {
      if (subject.startsWith(form))
        return subject
          .slice(form.length)
          .replace(/^\uFE0F/, '')
          .trimStart();
    }
  }
  return subject;
}
