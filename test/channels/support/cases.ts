import type { HttpChannel } from '../../../src/channels/channel.js';
import { discordChannel } from '../../../src/channels/discord.js';
import { slackChannel } from '../../../src/channels/slack.js';
import { teamsChannel } from '../../../src/channels/teams.js';
import { telegramChannel } from '../../../src/channels/telegram.js';
import { webhookChannel } from '../../../src/channels/webhook.js';
import type { CannedReply } from './receiver.js';

/** Every credential below contains "Secret", so one substring check finds any leak of them. */
const SIGNING_KEY = Buffer.from('signing-Secret-bytes-for-tests!!');
export const SIGNING_SECRET = `whsec_${SIGNING_KEY.toString('base64')}`;
export const TELEGRAM_TOKEN = '123456789:telegramSecretToken0123456789AB';

export const PATHS = {
  slack: '/services/T0001/B0001/slackSecretToken0123456789',
  teams:
    '/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=teamsSigSecret0123456789',
  telegram: `/bot${TELEGRAM_TOKEN}/sendMessage`,
  discord: '/api/webhooks/112233445566778899/discordSecretToken0123456789?wait=true',
  webhook: '/hooks/ekm?token=webhookQuerySecret01',
} as const;

/** Strings no outcome reason may contain, whatever the failure. */
export function leaks(raw: string): string[] {
  // The stack output and the field a fix points at are names, not credentials.
  const text = raw.split('ChannelsSecretName').join('').split('webhook.signingSecret').join('');
  const forbidden = ['Secret', SIGNING_SECRET.slice('whsec_'.length), 'slackSecretToken', 'discordSecretToken', '/services/T0001', 'sig='];
  return forbidden.filter((s) => text.includes(s) || decodeURIComponent(text.replace(/%(?![0-9A-Fa-f]{2})/g, '%25')).includes(s));
}

export interface ChannelCase {
  readonly name: 'slack' | 'teams' | 'telegram' | 'discord' | 'webhook';
  make(baseUrl: string): HttpChannel;
  readonly success: CannedReply;
  /** A 429 carrying this service's retry hint, and the wait it must produce. */
  readonly rateLimited: { readonly reply: CannedReply; readonly afterMs: number };
  /** A reply for `status` in this service's error format, quoting the request back (as some proxies do). */
  errorReply(status: number, echo: string): CannedReply;
}

const text = (status: number, body: string, headers: Record<string, string> = {}): CannedReply => ({
  status,
  headers: { 'content-type': 'text/plain', ...headers },
  body,
});
const json = (status: number, body: unknown, headers: Record<string, string> = {}): CannedReply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const CASES: readonly ChannelCase[] = [
  {
    name: 'slack',
    make: (base) => slackChannel({ webhookUrl: `${base}${PATHS.slack}` }, { deployment: 'ekm-prod' }),
    success: text(200, 'ok'),
    rateLimited: { reply: text(429, 'rate_limited', { 'retry-after': '7' }), afterMs: 7_000 },
    errorReply: (status, echo) => text(status, `invalid_payload at ${echo}`),
  },
  {
    name: 'teams',
    make: (base) => teamsChannel({ webhookUrl: `${base}${PATHS.teams}` }, { deployment: 'ekm-prod' }),
    success: { status: 202, body: '' },
    rateLimited: { reply: json(429, { error: { code: 'TooManyRequests' } }, { 'retry-after': '12' }), afterMs: 12_000 },
    errorReply: (status, echo) => json(status, { error: { code: 'InvalidRequest', message: `The request to ${echo} failed` } }),
  },
  {
    name: 'telegram',
    make: (base) => telegramChannel({ botToken: TELEGRAM_TOKEN, chatId: '-1001234567890', messageThreadId: 5, apiBaseUrl: base }, { deployment: 'ekm-prod' }),
    success: json(200, { ok: true, result: { message_id: 77 } }),
    rateLimited: {
      reply: json(429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 34', parameters: { retry_after: 34 } }),
      afterMs: 34_000,
    },
    errorReply: (status, echo) => json(status, { ok: false, error_code: status, description: `Bad Request: ${echo}` }),
  },
  {
    name: 'discord',
    make: (base) => discordChannel({ webhookUrl: `${base}${PATHS.discord.replace('?wait=true', '')}` }),
    success: json(200, { id: '1234', type: 0 }),
    rateLimited: {
      reply: json(429, { message: 'You are being rate limited.', retry_after: 64.57, global: false }, { 'retry-after': '65' }),
      afterMs: 64_570,
    },
    errorReply: (status, echo) => json(status, { message: `Unknown Webhook ${echo}`, code: 10015 }),
  },
  {
    name: 'webhook',
    make: (base) => webhookChannel({ url: `${base}${PATHS.webhook}`, signingSecret: SIGNING_SECRET }, { deployment: 'ekm-prod' }),
    success: { status: 204 },
    rateLimited: { reply: text(429, 'slow down', { 'retry-after': '3' }), afterMs: 3_000 },
    errorReply: (status, echo) => text(status, `rejected ${echo}`),
  },
];
