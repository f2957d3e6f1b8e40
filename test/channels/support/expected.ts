/**
 * The exact requests each channel sends for the fixed notifications (support/notifications.ts),
 * written out by hand from each service's documented format: these are the contract, not snapshots.
 */
import type { ChannelCase } from './cases.js';

type Kind = 'opened' | 'resolved' | 'test';
export interface ExpectedRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

const UA = 'exchange-key-monitor/0.1.0 (+https://github.com/exchange-key-monitor/exchange-key-monitor) deployment/ekm-prod';
const JSON_UTF8 = 'application/json; charset=utf-8';
const DASHBOARD = 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=ekm';
const OPENED_SUBJECT = '🔴 trading: IP not whitelisted (40103) — add 203.0.113.7 to the key';

const slackPlain = (text: string) => ({ type: 'plain_text', text, emoji: true });

const card = (body: unknown[], actions?: unknown[]) => ({
  type: 'message',
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body,
        ...(actions ? { actions } : {}),
      },
    },
  ],
});
const cardTitle = (text: string, color: string) => ({ type: 'TextBlock', text, size: 'Medium', weight: 'Bolder', color, wrap: true });
const cardText = (text: string) => ({ type: 'TextBlock', text, wrap: true });
const cardFooter = (text: string) => ({ type: 'TextBlock', text, size: 'Small', isSubtle: true, wrap: true });

const telegram = (text: string) => ({
  chat_id: '-1001234567890',
  text,
  parse_mode: 'HTML',
  link_preview_options: { is_disabled: true },
  message_thread_id: 5,
});

const discordUa = 'DiscordBot (https://github.com/exchange-key-monitor/exchange-key-monitor, 0.1.0)';

export const EXPECTED: Readonly<Record<ChannelCase['name'], Readonly<Record<Kind, Omit<ExpectedRequest, 'path'>>>>> = {
  slack: {
    opened: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA },
      body: {
        text: OPENED_SUBJECT,
        blocks: [
          { type: 'header', text: slackPlain(OPENED_SUBJECT) },
          { type: 'section', text: slackPlain('Signed calls fail with 40103 since 10:02 UTC (3 runs).') },
          { type: 'section', text: slackPlain('Fix: Add 203.0.113.7 to the key’s IP whitelist.') },
          { type: 'section', fields: [slackPlain('Key: trading'), slackPlain('Code: 40103')] },
          { type: 'section', text: { type: 'mrkdwn', text: `<${DASHBOARD}|Dashboard>` } },
          { type: 'context', elements: [slackPlain('ekm-prod · 2026-01-02T10:02:00.000Z · inc-7f3a#1')] },
        ],
      },
    },
    resolved: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA },
      body: {
        text: '✅ trading: resolved after 42 min',
        blocks: [
          { type: 'header', text: slackPlain('✅ trading: resolved after 42 min') },
          { type: 'section', text: slackPlain('Signed calls succeed again; 14 runs failed.') },
          { type: 'section', fields: [slackPlain('Duration: 42 min')] },
          { type: 'context', elements: [slackPlain('ekm-prod · 2026-01-02T10:44:00.000Z · inc-7f3a#3')] },
        ],
      },
    },
    test: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA },
      body: {
        text: 'ℹ️ Test alert from ekm-prod',
        blocks: [
          { type: 'header', text: slackPlain('ℹ️ Test alert from ekm-prod') },
          { type: 'section', text: slackPlain('If you can read this, the channel works.') },
          { type: 'context', elements: [slackPlain('ekm-prod · 2026-01-02T11:00:00.000Z · test-20260102T1100Z')] },
        ],
      },
    },
  },
  teams: {
    opened: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA },
      body: card(
        [
          cardTitle(OPENED_SUBJECT, 'Attention'),
          cardText('Signed calls fail with 40103 since 10:02 UTC (3 runs).'),
          cardText('**Fix:** Add 203.0.113.7 to the key’s IP whitelist.'),
          {
            type: 'FactSet',
            facts: [
              { title: 'Key', value: 'trading' },
              { title: 'Code', value: '40103' },
            ],
          },
          cardFooter('ekm-prod · 2026-01-02T10:02:00.000Z · inc-7f3a#1'),
        ],
        [{ type: 'Action.OpenUrl', title: 'Dashboard', url: DASHBOARD }],
      ),
    },
    resolved: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA },
      body: card([
        cardTitle('✅ trading: resolved after 42 min', 'Good'),
        cardText('Signed calls succeed again; 14 runs failed.'),
        { type: 'FactSet', facts: [{ title: 'Duration', value: '42 min' }] },
        cardFooter('ekm-prod · 2026-01-02T10:44:00.000Z · inc-7f3a#3'),
      ]),
    },
    test: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA },
      body: card([
        cardTitle('ℹ️ Test alert from ekm-prod', 'Default'),
        cardText('If you can read this, the channel works.'),
        cardFooter('ekm-prod · 2026-01-02T11:00:00.000Z · test-20260102T1100Z'),
      ]),
    },
  },
  telegram: {
    opened: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA },
      body: telegram(
        `<b>${OPENED_SUBJECT}</b>\nSigned calls fail with 40103 since 10:02 UTC (3 runs).\n\n` +
          '<b>Fix:</b> Add 203.0.113.7 to the key’s IP whitelist.\n\n' +
          '<b>Key:</b> trading\n<b>Code:</b> 40103\n\n' +
          `<a href="${DASHBOARD}">Dashboard</a>\n\n` +
          '<i>ekm-prod · 2026-01-02T10:02:00.000Z</i>',
      ),
    },
    resolved: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA },
      body: telegram(
        '<b>✅ trading: resolved after 42 min</b>\nSigned calls succeed again; 14 runs failed.\n\n' +
          '<b>Duration:</b> 42 min\n\n<i>ekm-prod · 2026-01-02T10:44:00.000Z</i>',
      ),
    },
    test: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA },
      body: telegram('<b>ℹ️ Test alert from ekm-prod</b>\nIf you can read this, the channel works.\n\n<i>ekm-prod · 2026-01-02T11:00:00.000Z</i>'),
    },
  },
  discord: {
    opened: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': discordUa },
      body: {
        content: OPENED_SUBJECT,
        allowed_mentions: { parse: [] },
        embeds: [
          {
            title: 'trading: IP not whitelisted (40103) — add 203.0.113.7 to the key',
            url: DASHBOARD,
            description: 'Signed calls fail with 40103 since 10:02 UTC (3 runs).\n\n**Fix:** Add 203.0.113.7 to the key’s IP whitelist.',
            color: 0xe74c3c,
            fields: [
              { name: 'Key', value: 'trading', inline: true },
              { name: 'Code', value: '40103', inline: true },
              { name: 'Links', value: `[Dashboard](${DASHBOARD})`, inline: false },
            ],
            footer: { text: 'ekm-prod · inc-7f3a#1' },
            timestamp: '2026-01-02T10:02:00.000Z',
          },
        ],
      },
    },
    resolved: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': discordUa },
      body: {
        content: '✅ trading: resolved after 42 min',
        allowed_mentions: { parse: [] },
        embeds: [
          {
            title: 'trading: resolved after 42 min',
            description: 'Signed calls succeed again; 14 runs failed.',
            color: 0x2ecc71,
            fields: [{ name: 'Duration', value: '42 min', inline: true }],
            footer: { text: 'ekm-prod · inc-7f3a#3' },
            timestamp: '2026-01-02T10:44:00.000Z',
          },
        ],
      },
    },
    test: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': discordUa },
      body: {
        content: 'ℹ️ Test alert from ekm-prod',
        allowed_mentions: { parse: [] },
        embeds: [
          {
            title: 'Test alert from ekm-prod',
            description: 'If you can read this, the channel works.',
            color: 0x3498db,
            fields: [],
            footer: { text: 'ekm-prod · test-20260102T1100Z' },
            timestamp: '2026-01-02T11:00:00.000Z',
          },
        ],
      },
    },
  },
  webhook: {
    opened: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA, 'webhook-id': 'inc-7f3a#1', 'webhook-timestamp': '1767351600' },
      body: {
        type: 'exchange-key-monitor.opened',
        timestamp: '2026-01-02T10:02:00.000Z',
        data: {
          schemaVersion: 1,
          id: 'inc-7f3a#1',
          kind: 'opened',
          severity: 'critical',
          subject: OPENED_SUBJECT,
          summary: 'Signed calls fail with 40103 since 10:02 UTC (3 runs).',
          fix: 'Add 203.0.113.7 to the key’s IP whitelist.',
          facts: [
            { label: 'Key', value: 'trading' },
            { label: 'Code', value: '40103' },
          ],
          links: [{ label: 'Dashboard', url: DASHBOARD }],
          scope: { type: 'key', key: 'trading' },
          occurredAt: '2026-01-02T10:02:00.000Z',
          source: 'ekm-prod',
        },
      },
    },
    resolved: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA, 'webhook-id': 'inc-7f3a#3', 'webhook-timestamp': '1767351600' },
      body: {
        type: 'exchange-key-monitor.resolved',
        timestamp: '2026-01-02T10:44:00.000Z',
        data: {
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
        },
      },
    },
    test: {
      headers: { 'content-type': JSON_UTF8, 'user-agent': UA, 'webhook-id': 'test-20260102T1100Z', 'webhook-timestamp': '1767351600' },
      body: {
        type: 'exchange-key-monitor.test',
        timestamp: '2026-01-02T11:00:00.000Z',
        data: {
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
        },
      },
    },
  },
};
