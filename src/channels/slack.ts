/**
 * Slack incoming webhook: `text` (the notification and lock-screen line) plus Block Kit blocks.
 * Untrusted text goes in plain_text objects: mrkdwn has no documented escape for `*`, `_` or `~`,
 * so a summary in mrkdwn could not be made inert. Slack still reads `&`, `<`
 * and `>` as control characters in every text object, plain_text included, and in the top-level
 * `text` (`<!channel>` pings from there), so all of them are escaped, and each limit is measured
 * on the escaped text. mrkdwn is used only where we need markup (links).
 */
import type { Notification } from '../contract/notification.js';
import { jsonPost, userAgent, type AgentOptions, type HttpChannel, type HttpReply } from './channel.js';
import { failure, networkOutcome, SENT } from './outcome.js';
import { urlSecrets } from './redact.js';
import { firstThatFits, fit, neutraliseMentions, omittedNote, prepare, type Caps } from './text.js';

export interface SlackConfig {
  readonly webhookUrl: string;
}

/** Block Kit limits (api.slack.com/reference/block-kit/blocks). */
const HEADER_MAX = 150;
const SECTION_TEXT_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_PER_SECTION = 10;
const CONTEXT_ELEMENTS_MAX = 10;
/** `msg_blocks_too_long` has been reported (by third parties) near 13k characters in total; stay under it. */
const TOTAL_TEXT_MAX = 12_000;

const LEVELS: readonly Caps[] = [
  { subject: HEADER_MAX, summary: 2900, fix: 2900, facts: 30, label: 100, value: 500, links: 10, linkLabel: 75, url: 2000 },
  { subject: HEADER_MAX, summary: 1500, fix: 1000, facts: 20, label: 80, value: 300, links: 5, linkLabel: 75, url: 1500 },
  { subject: HEADER_MAX, summary: 500, fix: 500, facts: 10, label: 50, value: 150, links: 3, linkLabel: 50, url: 1000 },
];

/** Slack's three control characters, in every text object; nothing else is entity-encoded. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

type TextObject = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };
type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text: TextObject }
  | { type: 'section'; fields: TextObject[] }
  | { type: 'context'; elements: TextObject[] };

interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** The text as sent: mentions broken and control characters escaped. */
const escaped = (text: string) => escapeSlack(neutraliseMentions(text));

/** Cut before escaping (an entity is never split), measured as sent, so a limit counts `&amp;` as 5. */
const fitted = (text: string, max: number) => escaped(fit(text, max, (s) => escaped(s).length));

const plain = (text: string, max: number): TextObject => ({ type: 'plain_text', text: fitted(text, max), emoji: true });

/** `<url|label>`: `<`, `>` and `"` are already percent-encoded in a normalised URL; `|` would end it early. */
const link = (l: { label: string; url: string }) => `<${escapeSlack(l.url.replace(/\|/g, '%7C'))}|${escaped(l.label)}>`;
const LINK_SEPARATOR = '  ·  ';

function render(n: Notification, caps: Caps): SlackMessage {
  const p = prepare(n, caps);
  const blocks: Block[] = [{ type: 'header', text: plain(p.subject, HEADER_MAX) }];
  if (p.summary) blocks.push({ type: 'section', text: plain(p.summary, SECTION_TEXT_MAX) });
  if (p.fix) blocks.push({ type: 'section', text: plain(`Fix: ${p.fix}`, SECTION_TEXT_MAX) });
  for (let i = 0; i < p.facts.length; i += FIELDS_PER_SECTION) {
    const fields = p.facts.slice(i, i + FIELDS_PER_SECTION).map((f) => plain(f.label ? `${f.label}: ${f.value}` : f.value, FIELD_MAX));
    blocks.push({ type: 'section', fields });
  }
  // Whole links while they fit: a cut inside `<url|label>` would show broken markup.
  let links = '';
  let shown = 0;
  for (const l of p.links) {
    const next = links ? `${links}${LINK_SEPARATOR}${link(l)}` : link(l);
    if (next.length > SECTION_TEXT_MAX) break;
    links = next;
    shown++;
  }
  if (links) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: links } });
  const footer = [omittedNote(p.omittedFacts, p.omittedLinks + p.links.length - shown), `${p.source} · ${p.occurredAt} · ${p.id}`];
  const elements = footer.filter((t): t is string => t !== null && t !== '').slice(0, CONTEXT_ELEMENTS_MAX);
  blocks.push({ type: 'context', elements: elements.map((t) => plain(t, FIELD_MAX)) });
  return { text: fitted(p.subject, HEADER_MAX), blocks };
}

function totalText(message: SlackMessage): number {
  let total = message.text.length;
  for (const block of message.blocks) {
    const texts = 'fields' in block ? block.fields : 'elements' in block ? block.elements : [block.text];
    for (const t of texts) total += t.text.length;
  }
  return total;
}

export function slackChannel(config: SlackConfig, options: AgentOptions = {}): HttpChannel {
  const agent = userAgent(options);
  const channel: HttpChannel = {
    name: 'slack',
    transport: 'http',
    secrets: urlSecrets(config.webhookUrl),
    build(notification) {
      const message = firstThatFits(
        LEVELS,
        (caps) => render(notification, caps),
        (m) => totalText(m) <= TOTAL_TEXT_MAX,
      );
      return jsonPost(config.webhookUrl, agent, JSON.stringify(message));
    },
    classify(reply: HttpReply) {
      if (reply.kind === 'network') return networkOutcome(channel, reply);
      // Success is exactly 200 `ok`. Any other 2xx is unexplained: not retried (the message may
      // have been posted) but reported, so it is not taken for a delivery.
      if (reply.status === 200 && reply.body.trim() === 'ok') return SENT;
      // The body is Slack's error code (invalid_payload, channel_not_found, …), the useful part.
      return failure(channel, reply);
    },
  };
  return channel;
}
