import type { Notification } from '../../../src/contract/notification.js';

/** A key incident opening: the fixed input behind every exact-request assertion. */
export const OPENED: Notification = {
  schemaVersion: 1,
  id: 'inc-7f3a#1',
  kind: 'opened',
  severity: 'critical',
  subject: '🔴 trading: IP not whitelisted (40103) — add 203.0.113.7 to the key',
  summary: 'Signed calls fail with 40103 since 10:02 UTC (3 runs).',
  fix: 'Add 203.0.113.7 to the key’s IP whitelist.',
  facts: [
    { label: 'Key', value: 'trading' },
    { label: 'Code', value: '40103' },
  ],
  links: [{ label: 'Dashboard', url: 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=ekm' }],
  scope: { type: 'key', key: 'trading' },
  occurredAt: '2026-01-02T10:02:00.000Z',
  source: 'ekm-prod',
};

export const RESOLVED: Notification = {
  schemaVersion: 1,
  id: 'inc-7f3a#3',
  kind: 'resolved',
  severity: 'resolved',
  subject: '✅ trading: resolved after 42 min',
  summary: 'Signed calls succeed again; 14 runs failed.',
  fix: null,
  facts: [{ label: 'Duration', value: '42 min' }],
  links: [],
  scope: { type: 'key', key: 'trading' },
  occurredAt: '2026-01-02T10:44:00.000Z',
  source: 'ekm-prod',
};

export const TEST: Notification = {
  schemaVersion: 1,
  id: 'test-20260102T1100Z',
  kind: 'test',
  severity: 'info',
  subject: 'ℹ️ Test alert from ekm-prod',
  summary: 'If you can read this, the channel works.',
  fix: null,
  facts: [],
  links: [],
  scope: { type: 'monitor' },
  occurredAt: '2026-01-02T11:00:00.000Z',
  source: 'ekm-prod',
};

/** The send time every build() in the tests uses: 2026-01-02T11:00:00Z. */
export const NOW_MS = Date.UTC(2026, 0, 2, 11, 0, 0);

/** Markup and control characters every channel must render inert. */
export const INJECTION = 'Hi <b>bold</b> *bold* _it_ `code` [x](https://evil.example) <!channel> @everyone @here & co\nline 2 \x1b[31mred\x1b[0m\u202eevil';

export const INJECTED: Notification = {
  ...OPENED,
  id: 'inc-inject#1',
  subject: `🔴 ${INJECTION}`,
  summary: INJECTION,
  fix: INJECTION,
  facts: [{ label: `<i>${INJECTION}`, value: INJECTION }],
  links: [{ label: INJECTION, url: 'https://example.com/a"b\'c<d>|e(f)*g_h' }],
};

const long = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Inputs that try to break limits: escape-expanding text, wide characters, many parts. */
export function hostile(unit: string): Notification {
  return {
    ...OPENED,
    id: `inc-${long('i', 300)}#9`,
    subject: `🔴 ${long(unit, 600)}`,
    summary: long(unit, 60_000),
    fix: long(unit, 20_000),
    facts: Array.from({ length: 500 }, (_, i) => ({ label: `${i} ${long(unit, 400)}`, value: long(unit, 5_000) })),
    links: Array.from({ length: 60 }, (_, i) => ({ label: long(unit, 300), url: `https://example.com/${i}/${long('p', 2_500)}?q="x"` })),
    source: long(unit, 500),
  };
}

export const HOSTILE_UNITS = {
  ascii: 'lorem ipsum ',
  markup: '&<>*_~`|[]\\"#-@everyone ',
  wide: '漢字🔥👩‍👩‍👧‍👦é',
} as const;
