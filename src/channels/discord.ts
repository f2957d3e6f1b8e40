/**
 * Discord webhook with `?wait=true` (otherwise a message Discord drops still answers 204). The
 * subject goes in `content` because that is what a push notification shows; the rest in one embed
 * coloured by severity. `allowed_mentions: {parse: []}` stops every ping, and mention-like text is
 * neutralised as well, since Discord "may strip certain characters" and embeds get no such guard.
 */
import type { Notification, Severity } from '../contract/notification.js';
import { CLIENT_IDENTITY, jsonPost, stripSeverityEmoji, type HttpChannel, type HttpReply } from './channel.js';
import { failure, jsonObject, networkOutcome, retryAfterHeaderMs, secondsToMs, SENT } from './outcome.js';
import { urlSecrets } from './redact.js';
import { firstThatFits, fit, neutraliseMentions, omittedNote, prepare, type Caps } from './text.js';

export interface DiscordConfig {
  readonly webhookUrl: string;
}

/** developers/resources/message.mdx, embed limits. */
const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** title + description + field names and values + footer, across all embeds. */
  total: 6000,
} as const;

const LEVELS: readonly Caps[] = [
  { subject: 150, summary: 3000, fix: 1000, facts: 20, label: 100, value: 300, links: 5, linkLabel: 60, url: 900 },
  { subject: 150, summary: 1500, fix: 600, facts: 12, label: 60, value: 150, links: 3, linkLabel: 60, url: 600 },
  { subject: 150, summary: 600, fix: 300, facts: 8, label: 40, value: 80, links: 2, linkLabel: 40, url: 400 },
];

const COLOR: Readonly<Record<Severity, number>> = {
  critical: 0xe74c3c,
  warning: 0xe67e22,
  resolved: 0x2ecc71,
  info: 0x3498db,
};

/**
 * Backslash-escape Discord Markdown. The API docs do not document escaping; the client's
 * parser treats `\` before ASCII punctuation as a literal (what discord.js relies on too), and
 * shows it as is before anything else, so a digit is never escaped: `\203.0.113.7` would show
 * the backslash. Line-start markers make headings, subtext and lists only when a space follows
 * (`# `, `-# `, `- `, `+ `, `1. `), so only those are escaped, an ordered list as `1\.`; IPs,
 * dates and signed numbers at line start stay as written. `*` and `>` are escaped everywhere.
 */
function escapeDiscord(text: string): string {
  return neutraliseMentions(text)
    .replace(/[\\*_~`|[\]<>]/g, '\\$&')
    .replace(/^([ \t]*)(#{1,3}|-#|[-+])(?=[ \t]|$)/gm, (_m, space: string, mark: string) => `${space}\\${mark}`)
    .replace(/^([ \t]*\d+)\.(?=[ \t]|$)/gm, '$1\\.');
}

const fitEscaped = (text: string, max: number) => escapeDiscord(fit(text, max, (s) => escapeDiscord(s).length));

/**
 * A Markdown link target with parentheses encoded: Discord's parser takes one level of balanced
 * parentheses, and Logs Insights URLs nest them. Whether every destination accepts %28/%29 is unconfirmed;
 * the first link is therefore also the embed's `url`, which is JSON and needs no encoding.
 */
const linkTarget = (url: string) => url.replace(/\(/g, '%28').replace(/\)/g, '%29');

interface Embed {
  title: string;
  url?: string;
  description?: string;
  color: number;
  fields: { name: string; value: string; inline: boolean }[];
  footer: { text: string };
  timestamp?: string;
}

function embedText(e: Embed): number {
  return e.title.length + (e.description?.length ?? 0) + e.fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0) + e.footer.text.length;
}

function render(n: Notification, caps: Caps): { content: string; embed: Embed } {
  const p = prepare(n, caps);
  const fields = p.facts.slice(0, DISCORD_LIMITS.fields - 1).map((f) => ({
    // Discord refuses empty field names and values.
    name: fitEscaped(f.label, DISCORD_LIMITS.fieldName) || '\u200b',
    value: fitEscaped(f.value, DISCORD_LIMITS.fieldValue) || '\u200b',
    inline: true,
  }));
  let links = '';
  let shown = 0;
  for (const l of p.links) {
    const next = `${links ? `${links} · ` : ''}[${fitEscaped(l.label, 100)}](${linkTarget(l.url)})`;
    if (next.length > DISCORD_LIMITS.fieldValue) break;
    links = next;
    shown++;
  }
  if (links) fields.push({ name: 'Links', value: links, inline: false });
  const omitted = omittedNote(p.omittedFacts + p.facts.length - fields.length + (links ? 1 : 0), p.omittedLinks + p.links.length - shown);
  // The fix is fitted first so that a long summary can never push it out of the message.
  const fixPart = p.fix ? `**Fix:** ${fitEscaped(p.fix, 2000)}` : '';
  const room = DISCORD_LIMITS.description - (fixPart ? fixPart.length + 2 : 0);
  const description = [p.summary ? fitEscaped(p.summary, room) : '', fixPart].filter(Boolean).join('\n\n');
  const embed: Embed = {
    title: fitEscaped(stripSeverityEmoji(p.subject), DISCORD_LIMITS.title) || p.kind,
    ...(description ? { description } : {}),
    color: COLOR[p.severity],
    fields,
    footer: { text: fit(neutraliseMentions([omitted, `${p.source} · ${p.id}`].filter(Boolean).join(' ')), 512) },
  };
  if (p.links[0]) embed.url = p.links[0].url;
  const at = Date.parse(p.occurredAt);
  // Discord rejects a malformed timestamp with 400; leave it out rather than lose the message.
  if (Number.isFinite(at)) embed.timestamp = new Date(at).toISOString();
  return { content: fitEscaped(p.subject, DISCORD_LIMITS.content), embed };
}

export function discordChannel(config: DiscordConfig): HttpChannel {
  const url = new URL(config.webhookUrl);
  url.searchParams.set('wait', 'true');
  const channel: HttpChannel = {
    name: 'discord',
    transport: 'http',
    secrets: urlSecrets(config.webhookUrl),
    build(notification) {
      const { content, embed } = firstThatFits(
        LEVELS,
        (caps) => render(notification, caps),
        (r) => embedText(r.embed) <= DISCORD_LIMITS.total,
      );
      // Discord's own user-agent form is required, or Cloudflare may block the request.
      return jsonPost(
        url.href,
        `DiscordBot (${CLIENT_IDENTITY.url}, ${CLIENT_IDENTITY.version})`,
        JSON.stringify({ content, allowed_mentions: { parse: [] }, embeds: [embed] }),
      );
    },
    classify(reply: HttpReply) {
      if (reply.kind === 'network') return networkOutcome(channel, reply);
      // 200 with the message (wait=true); 204 if a proxy dropped the query.
      if (reply.status >= 200 && reply.status < 300) return SENT;
      const json = jsonObject(reply.body);
      return failure(channel, reply, {
        // The body's float seconds are the precise hint; the header is rounded up to whole seconds.
        hintMs: (r) => secondsToMs(json?.['retry_after']) ?? retryAfterHeaderMs(r.headers) ?? secondsToMs(r.headers['x-ratelimit-reset-after']),
        explain: (r) => {
          if (typeof json?.['message'] !== 'string') return r.body;
          const code = typeof json['code'] === 'number' ? ` (code ${json['code']})` : '';
          return `${json['message']}${code}${json['global'] === true ? ', global limit' : ''}`;
        },
        code: (r) => (json ? `${String(json['code'] ?? '')} ${String(json['message'] ?? '')}` : r.body),
        meaning: { 401: '(webhook token invalid)', 404: '(webhook deleted: replace discord.webhookUrl; never retry a 404 webhook)' },
      });
    },
  };
  return channel;
}
