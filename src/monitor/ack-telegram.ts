import { createHash, timingSafeEqual } from 'node:crypto';
import { ACK_CALLBACK_PREFIX, ackCallbackData } from '../contract/ack-callback.js';
import { isJsonObject, type JsonObject } from '../contract/json.js';
import { ackText, MAX_ACK_BY } from './acknowledge.js';
import { acknowledgeIncident, type AckDeps } from './acknowledge-run.js';
import { SECURITY_HEADERS, type PageResponse } from './ack-page.js';
import { verifyAck } from './ack-token.js';

/**
 * A press of a Telegram Acknowledge button: Telegram posts the update to the bot's webhook (this
 * endpoint) with the secret token given to setWebhook in a header, checked here in constant time
 * before anything else is read. The button names the signed link of its own message
 * (contract/ack-callback.ts); the link is checked like one opened in a browser, and the person who
 * pressed is the one on it. Telegram is answered 200 whatever happens (else it re-sends the update);
 * the presser sees the outcome as answerCallbackQuery's toast.
 */
export interface TelegramAckConfig {
  readonly secretToken: string;
  readonly botToken: string;
  readonly apiBaseUrl: string;
}

export interface TelegramAckDeps {
  /** null: the bot is not set up for buttons (no webhookSecretToken in the channels secret). */
  readonly telegram: () => Promise<TelegramAckConfig | null>;
  readonly answer: (config: TelegramAckConfig, callbackQueryId: string, text: string) => Promise<void>;
}

/** What a press needs besides the bot's settings: the link key and the acknowledgement's write. */
export interface TelegramUpdateDeps extends AckDeps, TelegramAckDeps {
  readonly key: () => Promise<string>;
  readonly now: () => number;
  readonly log: { warn(message: string, fields: Record<string, unknown>): void; info(message: string, fields: Record<string, unknown>): void };
}

/** Updates carry the message the button was on (entities, text): larger than a form, still bounded. */
const MAX_UPDATE = 64 * 1024;

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));
const OK: PageResponse = { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: '{}' };

/** The signed link among the message's links whose digest the button carries. */
function linkToken(message: unknown, data: string): string | null {
  if (!isJsonObject(message) || !Array.isArray(message['entities'])) return null;
  for (const e of message['entities']) {
    if (!isJsonObject(e) || e['type'] !== 'text_link' || typeof e['url'] !== 'string') continue;
    if (ackCallbackData(e['url']) !== data) continue;
    return new URL(e['url']).searchParams.get('t');
  }
  return null;
}

function presser(from: unknown): string {
  if (!isJsonObject(from)) return 'a Telegram user';
  const name = [from['first_name'], from['last_name']].filter((x): x is string => typeof x === 'string').join(' ');
  const handle = typeof from['username'] === 'string' ? `@${from['username']}` : '';
  return ackText(name && handle ? `${name} (${handle})` : name || handle, MAX_ACK_BY) || 'a Telegram user';
}

export async function handleTelegramUpdate(
  req: { readonly headers: Readonly<Record<string, string | undefined>>; readonly body: string | null },
  deps: TelegramUpdateDeps,
): Promise<PageResponse> {
  const refuse = (why: string, status: number) => {
    deps.log.warn('telegram update refused', { why });
    return { statusCode: status, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }, body: 'refused' };
  };
  const config = await deps.telegram();
  if (!config) return refuse('telegram-not-set-up', 401);
  if (!sameSecret(req.headers['x-telegram-bot-api-secret-token'] ?? '', config.secretToken)) return refuse('bad-secret-token', 401);
  if (req.body === null || req.body.length > MAX_UPDATE) return refuse('body-size', 400);
  let update: unknown;
  try {
    update = JSON.parse(req.body);
  } catch {
    return refuse('not-json', 400);
  }
  const query = isJsonObject(update) ? update['callback_query'] : undefined;
  // Other updates (messages to the bot) are not ours to act on.
  if (!isJsonObject(query) || typeof query['id'] !== 'string') return OK;
  const q: JsonObject = query;
  const reply = async (text: string) => {
    try {
      await deps.answer(config, q['id'] as string, text);
    } catch (err) {
      deps.log.warn('could not answer the Telegram button press', { errorName: (err as Error | null)?.name });
    }
  };
  const data = typeof q['data'] === 'string' ? q['data'] : '';
  const token = data.startsWith(ACK_CALLBACK_PREFIX) ? linkToken(q['message'], data) : null;
  if (!token) {
    deps.log.warn('telegram button refused', { why: 'no-link' });
    await reply('This button cannot be used here: open the Acknowledge link in the alert.');
    return OK;
  }
  const checked = verifyAck(token, await deps.key(), deps.now());
  if (!checked.ok) {
    deps.log.warn('telegram button refused', { why: checked.fault });
    await reply('This button cannot be used any more: open the latest alert, or run key-monitor ack.');
    return OK;
  }
  const { claims } = checked;
  const by = presser(q['from']);
  const outcome = await acknowledgeIncident(
    claims.scope,
    { incidentId: claims.incidentId, diagnosis: claims.diagnosis, findings: claims.findings ?? null, ack: { by, at: deps.now(), note: null, via: 'telegram' } },
    { store: deps.store, sink: deps.sink, source: deps.source, links: deps.links },
  );
  if (!outcome.ok) {
    deps.log.warn('telegram button refused', { why: outcome.refusal.reason, incidentId: claims.incidentId });
    await reply('This button cannot be used any more: open the latest alert, or run key-monitor ack.');
    return OK;
  }
  deps.log.info('incident acknowledged', { incidentId: outcome.incident.id, via: 'telegram', announced: outcome.announced });
  await reply(`Acknowledged: ${by} is on it.`);
  return OK;
}

/** answerCallbackQuery over HTTPS (the endpoint's only outbound call), bounded in time. */
export async function answerCallbackQuery(config: TelegramAckConfig, callbackQueryId: string, text: string): Promise<void> {
  const res = await fetch(`${config.apiBaseUrl.replace(/\/+$/, '')}/bot${config.botToken}/answerCallbackQuery`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ callback_query_id: callbackQueryId, text }),
    signal: AbortSignal.timeout(3_000),
  });
  await res.arrayBuffer();
  // The status only: Telegram's description could quote the request, whose URL holds the bot token.
  if (!res.ok) throw Object.assign(new Error(`answerCallbackQuery answered HTTP ${res.status}`), { name: 'TelegramRefused' });
}
