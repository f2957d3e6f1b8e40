/**
 * Channel-neutral text hygiene and size fitting, shared by every renderer: strip what no channel
 * should show (terminal escapes, control and bidi characters), cut to a length without splitting a
 * character, and reduce a Notification to a cleaned, bounded view. Channel markup escaping is not
 * here: each channel escapes for its own markup after fitting.
 */
import { SEVERITY_EMOJI, type Notification, type Severity } from '../contract/notification.js';
import { effectiveSeverity, isResolved, stripSeverityEmoji } from './channel.js';

/** No channel shows more than this of any one field; hostile megabyte inputs stop here. */
const MAX_INPUT = 50_000;

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST) and two-character escapes.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_])?/g;
// C0 except \n, DEL, C1, and bidi embeddings/overrides/isolates/marks (they can reorder a
// displayed fix so that it reads differently from what it says).
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Multi-line text made safe to show: no escapes or controls, \n line ends, at most one blank line. */
export function cleanText(raw: string): string {
  return raw
    .slice(0, MAX_INPUT)
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(ANSI, '')
    .replace(/\r\n?|[\u2028\u2029\x85]/g, '\n')
    .replace(/\t/g, ' ')
    .replace(CONTROL, '')
    .replace(/[ \u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** One line: cleanText with line breaks folded into single spaces. */
export function cleanLine(raw: string): string {
  return cleanText(raw)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/ {2,}/g, ' ');
}

/** `@everyone`/`@here` broken with a zero-width space, so no chat service reads them as a ping. */
export function neutraliseMentions(text: string): string {
  return text.replace(/@(everyone|here|channel)\b/gi, '@\u200b$1');
}

/** Cut index at or below `n` that does not split a surrogate pair. */
function safeCut(text: string, n: number): number {
  if (n <= 0) return 0;
  if (n >= text.length) return text.length;
  const code = text.charCodeAt(n - 1);
  return code >= 0xd800 && code <= 0xdbff ? n - 1 : n;
}

const ELLIPSIS = '…';

/**
 * The longest prefix of `text` (plus an ellipsis when cut) whose `measure` is at most `max`. The
 * text is cut before any escaping, so an escape sequence or entity is never split; `measure` is
 * the escaped length the channel's limit applies to. Prefers to cut at a space near the end.
 */
export function fit(text: string, max: number, measure: (s: string) => number = (s) => s.length): string {
  if (measure(text) <= max) return text;
  if (measure(ELLIPSIS) > max) return '';
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(text.slice(0, safeCut(text, mid)).trimEnd() + ELLIPSIS) <= max) lo = mid;
    else hi = mid - 1;
  }
  let cut = safeCut(text, lo);
  const space = text.lastIndexOf(' ', cut);
  if (space > 0 && cut - space <= 20 && space >= cut * 0.8) cut = space;
  return text.slice(0, cut).trimEnd() + ELLIPSIS;
}

/** Only absolute http(s) URLs become links, in their normalised form (quotes and spaces encoded). */
export function safeUrl(raw: string, maxLength: number): string | null {
  let url: URL;
  try {
    url = new URL(cleanLine(raw));
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  // Credentials in a link would be shown to everyone in the channel.
  if (url.username || url.password) return null;
  // Otherwise untouched: console URLs (Logs Insights) carry ', ~, * and nested parentheses in the
  // fragment, and the console may not decode them. Each channel encodes only what its markup needs.
  return url.href.length <= maxLength ? url.href : null;
}

/** How much of a Notification a channel shows. A channel tries several, loosest first. */
export interface Caps {
  readonly subject: number;
  readonly summary: number;
  readonly fix: number;
  readonly facts: number;
  readonly label: number;
  readonly value: number;
  readonly links: number;
  readonly linkLabel: number;
  readonly url: number;
}

/** A Notification cleaned and cut to Caps. Lengths are in UTF-16 code units (JS `length`). */
export interface Prepared {
  readonly id: string;
  readonly kind: Notification['kind'];
  /** Resolved whenever the notification is (see isResolved). */
  readonly severity: Severity;
  readonly resolved: boolean;
  /** Single line, starts with the effective severity's emoji. */
  readonly subject: string;
  readonly summary: string;
  readonly fix: string | null;
  readonly facts: readonly { readonly label: string; readonly value: string }[];
  readonly omittedFacts: number;
  readonly links: readonly { readonly label: string; readonly url: string }[];
  readonly omittedLinks: number;
  readonly occurredAt: string;
  readonly source: string;
}

/**
 * The subject with its emoji re-derived from the effective severity: a resolved notification can
 * never lead with 🔴, whatever the caller wrote.
 */
export function headline(n: Notification, max: number): string {
  const text = cleanLine(stripSeverityEmoji(cleanLine(n.subject)));
  return fit(`${SEVERITY_EMOJI[effectiveSeverity(n)]} ${text}`.trimEnd(), max);
}

export function prepare(n: Notification, caps: Caps): Prepared {
  const facts = n.facts
    .map((f) => ({ label: fit(cleanLine(f.label), caps.label), value: fit(cleanLine(f.value), caps.value) }))
    .filter((f) => f.label !== '' || f.value !== '');
  const links = n.links.flatMap((l) => {
    const url = safeUrl(l.url, caps.url);
    if (!url) return [];
    const label = fit(cleanLine(l.label), caps.linkLabel);
    return [{ label: label || url.slice(0, caps.linkLabel), url }];
  });
  const fix = n.fix === null ? null : fit(cleanText(n.fix), caps.fix);
  return {
    id: fit(cleanLine(n.id), 200),
    kind: n.kind,
    severity: effectiveSeverity(n),
    resolved: isResolved(n),
    subject: headline(n, caps.subject),
    summary: fit(cleanText(n.summary), caps.summary),
    fix: fix === '' ? null : fix,
    facts: facts.slice(0, caps.facts),
    omittedFacts: Math.max(0, facts.length - caps.facts),
    links: links.slice(0, caps.links),
    // Links dropped as unsafe are counted too, so the reader knows one was withheld.
    omittedLinks: n.links.length - Math.min(links.length, caps.links),
    occurredAt: fit(cleanLine(n.occurredAt), 40),
    source: fit(cleanLine(n.source), 128),
  };
}

/**
 * The first rendering that fits, trying caps loosest first. Each channel's last (tightest) level
 * fits by arithmetic whatever the input; the tests hold it to that with hostile notifications.
 */
export function firstThatFits<T>(levels: readonly Caps[], render: (caps: Caps) => T, fits: (rendered: T) => boolean): T {
  let rendered: T | undefined;
  for (const caps of levels) {
    rendered = render(caps);
    if (fits(rendered)) return rendered;
  }
  if (rendered === undefined) throw new Error('firstThatFits: no caps given');
  return rendered;
}

/** "3 more facts not shown" style line, or null when nothing was left out. */
export function omittedNote(facts: number, links: number): string | null {
  const parts: string[] = [];
  if (facts > 0) parts.push(`${facts} more ${facts === 1 ? 'fact' : 'facts'}`);
  if (links > 0) parts.push(`${links} ${links === 1 ? 'link' : 'links'}`);
  return parts.length ? `(${parts.join(' and ')} not shown)` : null;
}
