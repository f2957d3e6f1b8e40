/**
 * Amazon Q Developer in chat applications (formerly AWS Chatbot) custom notification, published to
 * the SNS topic a Slack or Teams channel configuration subscribes to. Free-form text on that topic
 * is dropped silently, so every message is the custom schema. `metadata.threadId` is the incident,
 * so an incident's opened, reminders and resolved share one thread where the channel allows it.
 */
import type { Notification } from '../contract/notification.js';
import { threadKey, type SnsChannel } from './channel.js';
import { cleanLine, fit, neutraliseMentions, omittedNote, prepare, type Caps } from './text.js';

export interface ChatbotConfig {
  readonly topicArn: string;
}

/**
 * The service's per-field limits are not confirmed. These keep the description within one Slack
 * section (3000) and everything else short, so nothing depends on them.
 */
const LIMITS = { title: 250, description: 3000, nextStep: 500, nextSteps: 6, keyword: 50, keywords: 5, summary: 150 } as const;
const CAPS: Caps = { subject: 150, summary: 1500, fix: 1000, facts: 20, label: 60, value: 200, links: 5, linkLabel: 60, url: 1500 };

/**
 * The text reaches Slack or Teams through the service's own renderer, whose escaping is not documented.
 * Characters that form markup or pings there (`<!here>`, `<url|x>`, `*bold*`, `` `code` ``,
 * `~strike~`, `[t](url)`) are swapped for look-alikes that render the same everywhere. URLs are
 * left as they are (console URLs need their `*`, `~` and `'`). `_` stays: it is in
 * diagnosis codes operators copy (IP_NOT_WHITELISTED), and at worst italicises.
 */
function inertMarkdown(text: string): string {
  return (
    neutraliseMentions(text)
      .replace(/</g, '\u2039')
      .replace(/>/g, '\u203a')
      .replace(/\*/g, '\u2217')
      .replace(/`/g, '\u02cb')
      .replace(/~/g, '\u223c')
      // `[t](url)` is a link in Teams Markdown; a zero-width space between `]` and `(` unmakes it.
      .replace(/\]\(/g, ']\u200b(')
  );
}

/** Fitted on the rendered form, so the look-alikes and zero-width spaces count against the limit. */
const inert = (text: string, max: number) => inertMarkdown(fit(text, max, (s) => inertMarkdown(s).length));

export interface ChatbotMessage {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: { readonly threadId: string; readonly summary: string };
}

export function chatbotMessage(n: Notification): ChatbotMessage {
  const p = prepare(n, CAPS);
  const facts = p.facts.map((f) => (f.label ? `${f.label}: ${f.value}` : f.value));
  const omitted = omittedNote(p.omittedFacts, p.omittedLinks);
  const description = [p.summary, facts.join('\n'), omitted ?? '', `${p.source} · ${p.occurredAt}`].filter(Boolean).join('\n\n');
  // Bare URLs: both Slack and Teams link them, while `<url|label>` is Slack-only syntax.
  const steps = [...(p.fix ? [inert(`Fix: ${p.fix}`, LIMITS.nextStep)] : []), ...p.links.map((l) => `${inert(l.label, 100)}: ${l.url}`)];
  const keywords = [p.severity, p.kind, p.source, ...(n.scope.type === 'key' ? [cleanLine(n.scope.key)] : [])];
  return {
    version: '1.0',
    source: 'custom',
    id: p.id,
    content: {
      textType: 'client-markdown',
      title: inert(p.subject, LIMITS.title),
      description: inert(description, LIMITS.description),
      nextSteps: steps.slice(0, LIMITS.nextSteps),
      keywords: [...new Set(keywords.map((k) => inert(k, LIMITS.keyword)).filter(Boolean))].slice(0, LIMITS.keywords),
    },
    metadata: { threadId: threadKey(p.id), summary: inert(p.subject, LIMITS.summary) },
  };
}

export function chatbotChannel(config: ChatbotConfig): SnsChannel {
  return {
    name: 'chatbot',
    transport: 'sns',
    secrets: [],
    // No Subject: Amazon Q ignores it.
    build: (notification) => ({ topicArn: config.topicArn, message: JSON.stringify(chatbotMessage(notification)) }),
  };
}
