/**
 * Email through an SNS topic with email subscribers. SNS requires the Subject to be ASCII, one line
 * and under 100 characters, so the severity emoji becomes a word tag (`[ALERT]`) that mail filters
 * can also match. The body is plain text laid out to be read as is in any mail client.
 */
import type { Notification, Severity } from '../contract/notification.js';
import { effectiveSeverity, stripSeverityEmoji, type SnsChannel } from './channel.js';
import { cleanLine, firstThatFits, fit, omittedNote, prepare, type Caps } from './text.js';

export interface EmailConfig {
  readonly topicArn: string;
}

/** SNS: "must be less than 100 characters". */
const EMAIL_SUBJECT_MAX = 99;
/** SNS allows 256 KiB per message, envelope included; stay well inside. */
const BODY_MAX_BYTES = 200_000;
/** Labels longer than this are not padded to; one long label should not push every value right. */
const LABEL_COLUMN_MAX = 24;

const LEVELS: readonly Caps[] = [
  { subject: 150, summary: 10_000, fix: 5_000, facts: 100, label: 60, value: 2_000, links: 20, linkLabel: 100, url: 4_000 },
  { subject: 150, summary: 4_000, fix: 2_000, facts: 50, label: 60, value: 500, links: 10, linkLabel: 60, url: 2_000 },
];

const TAG: Readonly<Record<Severity, string>> = {
  critical: 'ALERT',
  warning: 'WARNING',
  resolved: 'RESOLVED',
  info: 'INFO',
};

const ASCII_LOOKALIKES: readonly [RegExp, string][] = [
  [/[\u2018\u2019\u201a\u2032]/g, "'"],
  [/[\u201c\u201d\u201e\u2033]/g, '"'],
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/\u2026/g, '...'],
  [/\u2192/g, '->'],
  [/\u2190/g, '<-'],
  [/\u00d7/g, 'x'],
  [/[\u2022\u00b7]/g, '*'],
  [/[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g, ' '],
];

/** Printable ASCII only: accents dropped (é → e), common punctuation mapped, the rest removed. */
export function toAscii(text: string): string {
  let out = text.normalize('NFKD').replace(/\p{M}/gu, '');
  for (const [pattern, replacement] of ASCII_LOOKALIKES) out = out.replace(pattern, replacement);
  return out
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/ {2,}/g, ' ')
    .trim();
}

function emailSubject(n: Notification, severity: Severity): string {
  const tag = `[${n.kind === 'test' ? 'TEST' : TAG[severity]}]`;
  const text = toAscii(stripSeverityEmoji(cleanLine(n.subject)));
  const room = EMAIL_SUBJECT_MAX - tag.length - 1;
  // fit() ends a cut with "…" (1 character); its ASCII form "..." needs two more.
  const cut = fit(text, room - 2).replace(/…$/, '...');
  return cut ? `${tag} ${cut}` : tag;
}

const width = (s: string) => [...s].length;

function body(n: Notification, caps: Caps): string {
  const p = prepare(n, caps);
  const parts: string[] = [p.subject];
  if (p.summary) parts.push(p.summary);
  if (p.fix) parts.push(`Fix: ${p.fix}`);
  if (p.facts.length) {
    const column = Math.min(LABEL_COLUMN_MAX, Math.max(...p.facts.map((f) => width(f.label)))) + 2;
    parts.push(
      p.facts
        .map((f) => {
          const label = f.label ? `${f.label}:` : '';
          return `${label}${' '.repeat(Math.max(1, column - width(label)))}${f.value}`.trimStart();
        })
        .join('\n'),
    );
  }
  const omitted = omittedNote(p.omittedFacts, p.omittedLinks);
  if (omitted) parts.push(omitted);
  if (p.links.length) parts.push(['Links:', ...p.links.map((l) => `  ${l.label}: ${l.url}`)].join('\n'));
  parts.push(`-- \nSent by exchange-key-monitor deployment "${p.source}" about an event at ${p.occurredAt}.\nNotification id: ${p.id}`);
  return parts.join('\n\n') + '\n';
}

export function emailChannel(config: EmailConfig): SnsChannel {
  return {
    name: 'email',
    transport: 'sns',
    secrets: [],
    build(notification) {
      return {
        topicArn: config.topicArn,
        subject: emailSubject(notification, effectiveSeverity(notification)),
        message: firstThatFits(
          LEVELS,
          (caps) => body(notification, caps),
          (text) => Buffer.byteLength(text, 'utf8') <= BODY_MAX_BYTES,
        ),
      };
    },
  };
}
