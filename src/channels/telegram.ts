/**
 * Telegram Bot API `sendMessage` in HTML parse mode: three characters to escape instead of
 * MarkdownV2's eighteen. The bot token travels in the URL path, so it is listed as a secret and
 * no reason string can carry it.
 */
import type { Notification } from '../contract/notification.js';
import { jsonPost, userAgent, type AgentOptions, type HttpChannel, type HttpReply } from './channel.js';
import { excerpt, failure, jsonObject, networkOutcome, permanent, retryAfterHeaderMs, secondsToMs, SENT } from './outcome.js';
import { urlSecrets } from './redact.js';
import { refusalFix } from './refusals.js';
import { firstThatFits, neutraliseMentions, omittedNote, prepare, type Caps } from './text.js';
import { ACK_LINK_LABEL, ackCallbackData } from '../contract/ack-callback.js';

export interface TelegramConfig {
  readonly botToken: string;
  /** Numeric chat id (`-100…` for supergroups and channels) or `@channelusername`. */
  readonly chatId: string;
  /** Forum topic. */
  readonly messageThreadId?: number;
  /** Default https://api.telegram.org; a local Bot API server or a test receiver otherwise. */
  readonly apiBaseUrl?: string;
  /**
   * Set when the bot's webhook is the stack's acknowledge endpoint (setWebhook with this secret_token):
   * alerts then get an inline Acknowledge button whose press reaches that endpoint.
   */
  readonly webhookSecretToken?: string;
}

const TELEGRAM_API = 'https://api.telegram.org';

/**
 * `text` is "1-4096 characters after entities parsing". Whether that counts UTF-16 units or code
 * points is not documented; JS length counts UTF-16 units, which is never fewer, so measuring with it is safe.
 */
const TELEGRAM_TEXT_MAX = 4096;

const LEVELS: readonly Caps[] = [
  { subject: 150, summary: 2000, fix: 1000, facts: 30, label: 60, value: 300, links: 8, linkLabel: 60, url: 2000 },
  { subject: 150, summary: 1200, fix: 600, facts: 15, label: 60, value: 150, links: 5, linkLabel: 60, url: 2000 },
  { subject: 150, summary: 600, fix: 400, facts: 8, label: 40, value: 100, links: 3, linkLabel: 40, url: 2000 },
];

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const escapeAttr = (text: string) => escapeHtml(text).replace(/"/g, '&quot;');
const esc = (text: string) => escapeHtml(neutraliseMentions(text));

/** The text as Telegram counts it: tags removed, entities decoded (every `<` we emit opens a tag). */
function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, '').replace(/&(?:lt|gt|amp|quot);/g, '.').length;
}

function render(n: Notification, caps: Caps): string {
  const p = prepare(n, caps);
  // Line 1 is what the lock screen shows (formatting stripped).
  const sections: string[] = [`<b>${esc(p.subject)}</b>${p.summary ? `\n${esc(p.summary)}` : ''}`];
  if (p.fix) sections.push(`<b>Fix:</b> ${esc(p.fix)}`);
  const facts = p.facts.map((f) => (f.label ? `<b>${esc(f.label)}:</b> ${esc(f.value)}` : esc(f.value)));
  const omitted = omittedNote(p.omittedFacts, p.omittedLinks);
  if (omitted) facts.push(`<i>${esc(omitted)}</i>`);
  if (facts.length) sections.push(facts.join('\n'));
  if (p.links.length) sections.push(p.links.map((l) => `<a href="${escapeAttr(l.url)}">${esc(l.label)}</a>`).join(' · '));
  sections.push(`<i>${esc(`${p.source} · ${p.occurredAt}`)}</i>`);
  return sections.join('\n\n');
}

export function telegramChannel(config: TelegramConfig, options: AgentOptions = {}): HttpChannel {
  const agent = userAgent(options);
  const base = (config.apiBaseUrl ?? TELEGRAM_API).replace(/\/+$/, '');
  const secret = config.botToken.slice(config.botToken.indexOf(':') + 1);
  const channel: HttpChannel = {
    name: 'telegram',
    transport: 'http',
    secrets: [config.botToken, secret, ...urlSecrets(base)],
    build(notification) {
      const text = firstThatFits(
        LEVELS,
        (caps) => render(notification, caps),
        (html) => visibleLength(html) <= TELEGRAM_TEXT_MAX,
      );
      const payload: Record<string, unknown> = {
        chat_id: config.chatId,
        text,
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
      };
      if (config.messageThreadId !== undefined) payload['message_thread_id'] = config.messageThreadId;
      const ack = config.webhookSecretToken ? notification.links.find((l) => l.label === ACK_LINK_LABEL) : undefined;
      const callback = ack ? ackCallbackData(ack.url) : null;
      if (callback) payload['reply_markup'] = { inline_keyboard: [[{ text: 'Acknowledge', callback_data: callback }]] };
      return jsonPost(`${base}/bot${config.botToken}/sendMessage`, agent, JSON.stringify(payload));
    },
    classify(reply: HttpReply) {
      if (reply.kind === 'network') return networkOutcome(channel, reply);
      const json = jsonObject(reply.body);
      if (reply.status === 200 && json?.['ok'] === true) return SENT;
      const parameters = json?.['parameters'];
      const params = parameters !== null && typeof parameters === 'object' ? (parameters as Record<string, unknown>) : {};
      const migrated = params['migrate_to_chat_id'];
      if (typeof migrated === 'number' || typeof migrated === 'string') {
        return permanent(
          channel,
          `the group became a supergroup: set telegram.chatId to ${excerpt(channel, String(migrated), 24)}`,
          refusalFix('telegram', { status: reply.status, code: 'migrate_to_chat_id' }),
        );
      }
      const description = json?.['description'];
      return failure(channel, reply, {
        // The body's retry_after is the documented hint; a Retry-After header is not documented, so only a fallback.
        hintMs: (r) => secondsToMs(params['retry_after']) ?? retryAfterHeaderMs(r.headers),
        explain: (r) => (typeof description === 'string' ? description : r.body),
        code: (r) => (typeof description === 'string' ? description : r.body),
        meaning: { 401: '(bot token rejected)', 403: '(bot blocked or not in the chat)', 404: '(bot token or method not found)' },
      });
    },
  };
  return channel;
}
