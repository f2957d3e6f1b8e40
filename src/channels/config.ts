/**
 * The channels secret (JSON in Secrets Manager, read at send time) parsed into typed channel
 * configs, and the channel list built from it plus the stack's SNS topics. Problems are values
 * naming the field and the rule, never the value: the values are tokens and webhook URLs, and these
 * messages end up in logs. A bad section is left out and reported; the good ones still deliver,
 * because a typo in one channel must not silence the others.
 */
import { editDistance } from '../contract/did-you-mean.js';
import type { Channel, ChannelName } from './channel.js';
import { chatbotChannel } from './chatbot.js';
import { discordChannel, type DiscordConfig } from './discord.js';
import { emailChannel } from './email.js';
import { slackChannel, type SlackConfig } from './slack.js';
import { teamsChannel, type TeamsConfig } from './teams.js';
import { telegramChannel, type TelegramConfig } from './telegram.js';
import { WEBHOOK_SECRET_PREFIX, webhookChannel, type WebhookConfig } from './webhook.js';
import { isJsonObject, type JsonObject } from '../contract/json.js';

export interface ChannelsSecret {
  readonly slack?: SlackConfig;
  readonly teams?: TeamsConfig;
  readonly telegram?: TelegramConfig;
  readonly discord?: DiscordConfig;
  readonly webhook?: WebhookConfig;
}

export interface ConfigProblem {
  /** Dotted path: `telegram.botToken`, `(secret)` for the document itself. */
  readonly field: string;
  /** What rule the value broke. Never contains the value. */
  readonly problem: string;
}

/** The field name of a problem with the secret's document as a whole. */
export const SECRET_FIELD = '(secret)';

export interface ParsedSecret {
  readonly config: ChannelsSecret;
  readonly problems: readonly ConfigProblem[];
}

type Check<T> = (value: unknown) => { ok: true; value: T } | { ok: false; problem: string };

const MAX_URL_LENGTH = 2048;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https anywhere; plain http only to this machine (tests, local relays). */
const url: Check<string> = (value) => {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, problem: 'must be a URL string' };
  if (value.length > MAX_URL_LENGTH) return { ok: false, problem: `must be at most ${MAX_URL_LENGTH} characters` };
  let parsed: URL;
  try {
    parsed = new URL(value.trim());
  } catch {
    return { ok: false, problem: 'is not a valid absolute URL' };
  }
  if (parsed.username || parsed.password) return { ok: false, problem: 'must not contain a user name or password' };
  if (parsed.protocol === 'https:') return { ok: true, value: parsed.href };
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) return { ok: true, value: parsed.href };
  if (parsed.protocol === 'http:') return { ok: false, problem: 'must use https (http is allowed only for 127.0.0.1, ::1 and localhost)' };
  return { ok: false, problem: 'must be an https URL' };
};

const botToken: Check<string> = (value) =>
  typeof value === 'string' && /^\d{1,20}:[A-Za-z0-9_-]{20,100}$/.test(value.trim())
    ? { ok: true, value: value.trim() }
    : { ok: false, problem: 'must be a bot token as BotFather gives it: digits, a colon, then at least 20 letters, digits, _ or -' };

const chatId: Check<string> = (value) => {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { ok: true, value: String(value) };
  if (typeof value === 'string' && (/^-?\d{1,20}$/.test(value.trim()) || /^@[A-Za-z][A-Za-z0-9_]{3,31}$/.test(value.trim()))) {
    return { ok: true, value: value.trim() };
  }
  return { ok: false, problem: 'must be a numeric chat id (e.g. -100…) or an @channelusername' };
};

/** setWebhook's secret_token: 1-256 characters, A-Z, a-z, 0-9, _ and - (Telegram echoes it in a header). */
const webhookSecretToken: Check<string> = (value) =>
  typeof value === 'string' && /^[A-Za-z0-9_-]{16,256}$/.test(value)
    ? { ok: true, value }
    : { ok: false, problem: 'must be 16 to 256 letters, digits, _ or - (what you pass to setWebhook as secret_token)' };

const positiveInteger: Check<number> = (value) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? { ok: true, value } : { ok: false, problem: 'must be a positive integer' };

/** Standard Webhooks secrets are `whsec_` + base64 of 24 to 64 random bytes; raw strings are used as bytes. */
const signingSecret: Check<string> = (value) => {
  if (typeof value !== 'string') return { ok: false, problem: 'must be a string' };
  if (value.startsWith(WEBHOOK_SECRET_PREFIX)) {
    const b64 = value.slice(WEBHOOK_SECRET_PREFIX.length);
    const bytes = Buffer.from(b64, 'base64');
    const canonical = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && bytes.toString('base64').replace(/=+$/, '') === b64.replace(/=+$/, '');
    if (!canonical || bytes.length < 24 || bytes.length > 64) {
      return { ok: false, problem: `must be ${WEBHOOK_SECRET_PREFIX} followed by the base64 of 24 to 64 bytes` };
    }
    return { ok: true, value };
  }
  if (value.length < 16) return { ok: false, problem: `must be at least 16 characters (or ${WEBHOOK_SECRET_PREFIX}<base64>)` };
  // Almost always a paste accident, and invisible in the console.
  if (value.trim() !== value) return { ok: false, problem: 'must not start or end with whitespace' };
  return { ok: true, value };
};

interface FieldRule {
  readonly check: Check<unknown>;
  readonly required: boolean;
}

const SECTIONS = {
  slack: { webhookUrl: { check: url, required: true } },
  teams: { webhookUrl: { check: url, required: true } },
  telegram: {
    botToken: { check: botToken, required: true },
    chatId: { check: chatId, required: true },
    messageThreadId: { check: positiveInteger, required: false },
    apiBaseUrl: { check: url, required: false },
    webhookSecretToken: { check: webhookSecretToken, required: false },
  },
  discord: { webhookUrl: { check: url, required: true } },
  webhook: { url: { check: url, required: true }, signingSecret: { check: signingSecret, required: false } },
} satisfies Record<keyof ChannelsSecret, Record<string, FieldRule>>;

function didYouMean(key: string, known: readonly string[]): string {
  const best = known.map((k) => ({ k, d: editDistance(key, k) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(1, Math.min(3, Math.floor(best.k.length / 3))) ? ` (did you mean "${best.k}"?)` : '';
}

/**
 * An unknown key is named only if it looks like a field name. Someone who pastes a token or URL
 * where a key belongs must not find it in the logs.
 */
function printableKey(key: string): string | null {
  const identifier = /^[A-Za-z_][A-Za-z0-9_-]{0,31}$/.test(key);
  const tokenLike = key.length >= 16 && /\d/.test(key);
  return identifier && !tokenLike ? key : null;
}

function unknownField(path: string, key: string, known: readonly string[]): ConfigProblem {
  const name = printableKey(key);
  const list = `known: ${known.join(', ')}`;
  return name === null
    ? { field: `${path}<unknown>`, problem: `unknown field, name not shown as it does not look like a field name${didYouMean(key, known)}; ${list}` }
    : { field: `${path}${name}`, problem: `unknown field${didYouMean(key, known)}; ${list}` };
}

function parseSection(name: keyof ChannelsSecret, raw: unknown, problems: ConfigProblem[]): JsonObject | null {
  if (!isJsonObject(raw)) {
    problems.push({ field: name, problem: 'must be an object (leave the section out to disable the channel)' });
    return null;
  }
  const rules: Record<string, FieldRule> = SECTIONS[name];
  const before = problems.length;
  const out: JsonObject = {};
  for (const key of Object.keys(raw)) {
    if (!(key in rules)) problems.push(unknownField(`${name}.`, key, Object.keys(rules)));
  }
  for (const [field, rule] of Object.entries(rules)) {
    const value = raw[field];
    if (value === undefined) {
      if (rule.required) problems.push({ field: `${name}.${field}`, problem: 'is required' });
      continue;
    }
    const checked = rule.check(value);
    if (checked.ok) out[field] = checked.value;
    else problems.push({ field: `${name}.${field}`, problem: checked.problem });
  }
  return problems.length === before ? out : null;
}

/** Parse the secret's JSON. An empty or missing secret is no HTTP channel, not an error. */
export function parseChannelsSecret(secretJson: string | undefined): ParsedSecret {
  if (secretJson === undefined || secretJson.trim() === '') return { config: {}, problems: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(secretJson.replace(/^\uFEFF/, ''));
  } catch {
    // Not the parser's message: V8 quotes the text around the error, which is the secret.
    return { config: {}, problems: [{ field: SECRET_FIELD, problem: 'is not valid JSON' }] };
  }
  if (!isJsonObject(doc)) return { config: {}, problems: [{ field: SECRET_FIELD, problem: 'must be a JSON object with one section per channel' }] };
  const problems: ConfigProblem[] = [];
  const names = Object.keys(SECTIONS) as (keyof ChannelsSecret)[];
  const config: Record<string, JsonObject> = {};
  for (const key of Object.keys(doc)) {
    if (!(names as string[]).includes(key)) problems.push(unknownField('', key, names));
  }
  for (const name of names) {
    if (doc[name] === undefined) continue;
    const section = parseSection(name, doc[name], problems);
    if (section) config[name] = section;
  }
  return { config: config as ChannelsSecret, problems };
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

export interface BuildChannelsInput {
  /** The channels secret's JSON; undefined when no secret is configured. */
  readonly secretJson?: string;
  /** Topic with email subscribers (from the stack). */
  readonly emailTopicArn?: string;
  /** Topic mapped to an Amazon Q Developer channel configuration (from the stack). */
  readonly chatbotTopicArn?: string;
  /** Deployment (stack) name, sent in the User-Agent so receivers can tell deployments apart. */
  readonly source: string;
}

/** A channel the configuration names but that cannot be used, and why. */
export interface LeftOutChannel {
  readonly channel: ChannelName;
  readonly problems: readonly ConfigProblem[];
}

export interface BuiltChannels {
  readonly channels: readonly Channel[];
  readonly problems: readonly ConfigProblem[];
  /** Channels whose section (or topic) is there but broken: they get nothing until it is fixed. */
  readonly leftOut: readonly LeftOutChannel[];
  /** Problems of the secret itself or of a top-level field that names no channel (a misspelt section). */
  readonly secretProblems: readonly ConfigProblem[];
  /** The secret is not a JSON object: which chat channels it meant to configure is unknown, and none gets anything. */
  readonly secretUnusable: boolean;
}

const TOPIC_CHANNEL: Readonly<Record<string, ChannelName>> = { emailTopicArn: 'email', chatbotTopicArn: 'chatbot' };

/** The channel a problem's field belongs to, if any: `slack.webhookUrl` → slack, `emailTopicArn` → email. */
function channelOf(field: string): ChannelName | null {
  const head = field.split('.')[0] as string;
  if (Object.hasOwn(TOPIC_CHANNEL, head)) return TOPIC_CHANNEL[head] as ChannelName;
  return Object.hasOwn(SECTIONS, head) ? (head as ChannelName) : null;
}

export function buildChannels(input: BuildChannelsInput): BuiltChannels {
  const problems: ConfigProblem[] = [];
  const channels: Channel[] = [];
  for (const [field, arn, make] of [
    ['emailTopicArn', input.emailTopicArn, emailChannel],
    ['chatbotTopicArn', input.chatbotTopicArn, chatbotChannel],
  ] as const) {
    if (arn === undefined || arn === '') continue;
    if (SNS_TOPIC_ARN.test(arn)) channels.push(make({ topicArn: arn }));
    else problems.push({ field, problem: 'is not an SNS topic ARN' });
  }
  const parsed = parseChannelsSecret(input.secretJson);
  problems.push(...parsed.problems);
  const { slack, teams, telegram, discord, webhook } = parsed.config;
  const agent = { deployment: input.source };
  if (slack) channels.push(slackChannel(slack, agent));
  if (teams) channels.push(teamsChannel(teams, agent));
  if (telegram) channels.push(telegramChannel(telegram, agent));
  if (discord) channels.push(discordChannel(discord));
  if (webhook) channels.push(webhookChannel(webhook, agent));
  const leftOut = new Map<ChannelName, ConfigProblem[]>();
  const secretProblems: ConfigProblem[] = [];
  for (const p of problems) {
    const channel = channelOf(p.field);
    if (channel && !channels.some((c) => c.name === channel)) leftOut.set(channel, [...(leftOut.get(channel) ?? []), p]);
    else if (!channel) secretProblems.push(p);
  }
  return {
    channels,
    problems,
    leftOut: [...leftOut].map(([channel, ps]) => ({ channel, problems: ps })),
    secretProblems,
    secretUnusable: parsed.problems.some((p) => p.field === SECRET_FIELD),
  };
}
