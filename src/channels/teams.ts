/**
 * Microsoft Teams via a Workflows ("When a Teams webhook request is received") webhook: one
 * Adaptive Card 1.4 (third-party reports say Teams does not render 1.5+ from Workflows). The first TextBlock
 * is the subject, because Teams previews a card only by its first text. Connector MessageCards
 * are retired; this channel does not send them.
 */
import type { Notification, Severity } from '../contract/notification.js';
import { jsonPost, userAgent, type AgentOptions, type HttpChannel, type HttpReply } from './channel.js';
import { failure, networkOutcome, retry, SENT } from './outcome.js';
import { urlSecrets } from './redact.js';
import { firstThatFits, neutraliseMentions, omittedNote, prepare, type Caps } from './text.js';

export interface TeamsConfig {
  readonly webhookUrl: string;
}

/**
 * Teams refuses messages over 28 KB, but third parties report failures near 21 KB, and a
 * Workflows caller never sees the error (it is only in the flow's run history). Stay well under.
 */
const TEAMS_MAX_BODY_BYTES = 20_000;

const LEVELS: readonly Caps[] = [
  { subject: 150, summary: 3000, fix: 2000, facts: 30, label: 100, value: 500, links: 6, linkLabel: 60, url: 2000 },
  { subject: 150, summary: 1500, fix: 1000, facts: 15, label: 60, value: 250, links: 4, linkLabel: 40, url: 1500 },
  { subject: 150, summary: 500, fix: 400, facts: 8, label: 40, value: 120, links: 2, linkLabel: 30, url: 1000 },
];

/**
 * TextBlock and FactSet text is Markdown (bold, italic, lists, links). A backslash before the
 * characters that make emphasis or a link keeps them literal on desktop and web; Teams mobile has
 * shown the backslashes themselves (AdaptiveCards #5590), and may still on some clients.
 * A stray backslash is the safer failure than a fix turned into italics or a disguised link.
 */
function escapeCardMarkdown(text: string): string {
  return neutraliseMentions(text).replace(/[\\*_[\]`~]/g, '\\$&');
}

/** Markdown needs a blank line for a line break in a TextBlock. */
const paragraphs = (text: string) => text.replace(/\n+/g, '\n\n');

const COLOR: Readonly<Record<Severity, string>> = {
  critical: 'Attention',
  warning: 'Warning',
  resolved: 'Good',
  info: 'Default',
};

function card(n: Notification, caps: Caps): object {
  const p = prepare(n, caps);
  const body: object[] = [{ type: 'TextBlock', text: escapeCardMarkdown(p.subject), size: 'Medium', weight: 'Bolder', color: COLOR[p.severity], wrap: true }];
  if (p.summary) body.push({ type: 'TextBlock', text: paragraphs(escapeCardMarkdown(p.summary)), wrap: true });
  if (p.fix) body.push({ type: 'TextBlock', text: `**Fix:** ${paragraphs(escapeCardMarkdown(p.fix))}`, wrap: true });
  if (p.facts.length) {
    body.push({ type: 'FactSet', facts: p.facts.map((f) => ({ title: escapeCardMarkdown(f.label), value: escapeCardMarkdown(f.value) })) });
  }
  const omitted = omittedNote(p.omittedFacts, p.omittedLinks);
  const footer = [omitted, `${p.source} · ${p.occurredAt} · ${p.id}`].filter((t) => t !== null).join('\n\n');
  body.push({ type: 'TextBlock', text: escapeCardMarkdown(footer), size: 'Small', isSubtle: true, wrap: true });
  const content: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
  };
  // Titles are plain button text, not Markdown.
  if (p.links.length) content['actions'] = p.links.map((l) => ({ type: 'Action.OpenUrl', title: l.label, url: l.url }));
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
  };
}

export function teamsChannel(config: TeamsConfig, options: AgentOptions = {}): HttpChannel {
  const agent = userAgent(options);
  const channel: HttpChannel = {
    name: 'teams',
    transport: 'http',
    secrets: urlSecrets(config.webhookUrl),
    build(notification) {
      const body = firstThatFits(
        LEVELS,
        (caps) => JSON.stringify(card(notification, caps)),
        (json) => Buffer.byteLength(json, 'utf8') <= TEAMS_MAX_BODY_BYTES,
      );
      return jsonPost(config.webhookUrl, agent, body);
    },
    classify(reply: HttpReply) {
      if (reply.kind === 'network') return networkOutcome(channel, reply);
      if (reply.status >= 200 && reply.status < 300) {
        // A retired connector URL answered 200 and wrapped its throttling in the body.
        if (/HTTP error 429/i.test(reply.body)) return retry(channel, 'rate limited (throttling reported in a 200 reply)', null);
        // Workflows answers 202: accepted by the flow. Card rendering errors surface only in the
        // flow's run history, never here.
        return SENT;
      }
      return failure(channel, reply);
    },
  };
  return channel;
}
