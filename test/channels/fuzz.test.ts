/**
 * Seeded random notifications through every channel's build: whatever the text, each request
 * parses, stays within its service's limits, carries no control character, and is sendable
 * (header values are visible ASCII).
 */
import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import { chatbotMessage } from '../../src/channels/chatbot.js';
import { emailChannel } from '../../src/channels/email.js';
import { CASES } from './support/cases.js';
import { limitProblems, visibleStrings } from './support/inspect.js';
import { NOW_MS, OPENED } from './support/notifications.js';

const POOL = [
  'a',
  'Z',
  '0',
  ' ',
  '\n',
  '\t',
  '\r',
  '\x00',
  '\x1b',
  '\x1b[31m',
  '\x7f',
  '\u0085',
  '\u202e',
  '\u2028',
  '\ufeff',
  '<',
  '>',
  '&',
  '"',
  "'",
  '*',
  '_',
  '~',
  '`',
  '|',
  '[',
  ']',
  '(',
  ')',
  '#',
  '-',
  '\\',
  '@everyone',
  '@here',
  '<!channel>',
  'é',
  '漢',
  '🔥',
  '👩‍👩‍👧',
  '\ud83d',
  '\ude00',
  'ℹ️',
  '🔴',
  '&amp;',
  '&lt;',
  '</b>',
  '<a href="x">',
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function randomText(next: () => number, max: number): string {
  const length = Math.floor(next() ** 3 * max);
  let out = '';
  for (let i = 0; i < length; i++) out += POOL[Math.floor(next() * POOL.length)];
  return out;
}

function randomNotification(seed: number): Notification {
  const next = rng(seed);
  const severities = ['critical', 'warning', 'resolved', 'info'] as const;
  const kinds = ['opened', 'changed', 'reminder', 'resolved', 'monitor-alarm', 'test'] as const;
  return {
    ...OPENED,
    id: `${randomText(next, 20)}#${seed}`,
    kind: kinds[seed % kinds.length]!,
    severity: severities[seed % severities.length]!,
    subject: randomText(next, 300),
    summary: randomText(next, 8_000),
    fix: next() < 0.3 ? null : randomText(next, 3_000),
    facts: Array.from({ length: Math.floor(next() ** 2 * 60) }, () => ({ label: randomText(next, 80), value: randomText(next, 1_500) })),
    links: Array.from({ length: Math.floor(next() * 8) }, () => ({
      label: randomText(next, 80),
      url: next() < 0.7 ? `https://example.com/${encodeURIComponent(randomText(next, 50).replace(/[\ud800-\udfff]/g, ''))}` : randomText(next, 40),
    })),
    occurredAt: next() < 0.8 ? OPENED.occurredAt : randomText(next, 30),
    source: randomText(next, 200),
  };
}

describe('fuzzed notifications', () => {
  const seeds = Array.from({ length: 60 }, (_, i) => i + 1);

  it.each(CASES.map((c) => [c.name, c] as const))('%s: valid, bounded, sendable', (_name, c) => {
    const channel = c.make('http://127.0.0.1:9');
    for (const seed of seeds) {
      const spec = channel.build(randomNotification(seed), NOW_MS);
      expect(limitProblems(c.name, spec.body), `seed ${seed}`).toEqual([]);
      for (const s of visibleStrings(JSON.parse(spec.body)))
        expect(s, `seed ${seed}`).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\ud800-\udfff](?![\udc00-\udfff])/u);
      for (const [name, value] of Object.entries(spec.headers)) expect(value, `seed ${seed} header ${name}`).toMatch(/^[\x20-\x7e]+$/);
    }
  });

  it('email and Amazon Q: valid subjects and messages', () => {
    const email = emailChannel({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:ekm' });
    for (const seed of seeds) {
      const n = randomNotification(seed);
      const { subject, message } = email.build(n);
      expect(subject, `seed ${seed}`).toMatch(/^\[[A-Z]+\]( [\x20-\x7e]*)?$/);
      expect(subject!.length).toBeLessThan(100);
      expect(message).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
      const m = chatbotMessage(n);
      expect(m.content.description.length).toBeLessThanOrEqual(3000);
      expect(m.content.title).not.toMatch(/[\n<>]/);
    }
  });
});
