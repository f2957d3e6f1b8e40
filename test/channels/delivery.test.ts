import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryOutcome, SnsMessage } from '../../src/channels/channel.js';
import { emailChannel } from '../../src/channels/email.js';
import { createHttpSender, MAX_REPLY_BYTES, networkReply, type HttpSender } from '../../src/channels/deliver.js';
import { refusalFix } from '../../src/channels/refusals.js';
import { sendNotification } from '../../src/channels/send.js';
import { webhookChannel } from '../../src/channels/webhook.js';
import { CASES } from './support/cases.js';
import { verifyStandardWebhook } from './support/inspect.js';
import { NOW_MS, OPENED } from './support/notifications.js';
import { startReceiver, type Receiver } from './support/receiver.js';

describe('createHttpSender', () => {
  let receiver: Receiver;
  let sender: HttpSender;
  beforeAll(async () => {
    receiver = await startReceiver();
    sender = createHttpSender({ timeoutMs: 2_000 });
  });
  afterAll(async () => {
    await sender.close();
    await receiver.close();
  });

  const spec = () => ({ url: `${receiver.baseUrl}/x?y=1`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{"a":1}' });

  it('sends the spec as is and returns status, lower-case headers and body', async () => {
    receiver.respond({ status: 201, headers: { 'X-Thing': 'v', 'Retry-After': '3' }, body: 'done' });
    const reply = await sender.send(spec());
    expect(reply).toMatchObject({ kind: 'http', status: 201, body: 'done', headers: { 'x-thing': 'v', 'retry-after': '3' } });
    expect(receiver.requests.at(-1)).toMatchObject({ method: 'POST', url: '/x?y=1', body: '{"a":1}' });
  });

  it('reads at most 64 KB of a reply', async () => {
    receiver.respond({ status: 500, body: 'x'.repeat(1_000_000) });
    const reply = await sender.send(spec());
    expect(reply.kind === 'http' && reply.body.length).toBe(MAX_REPLY_BYTES);
  });

  it('does not follow redirects', async () => {
    const before = receiver.requests.length;
    receiver.respond({ status: 307, headers: { location: `${receiver.baseUrl}/elsewhere` } });
    const reply = await sender.send(spec());
    expect(reply).toMatchObject({ kind: 'http', status: 307 });
    expect(receiver.requests.length - before).toBe(1);
  });

  it('maps errors to typed replies, keeping only the error code', () => {
    expect(networkReply({ name: 'TimeoutError', message: 'at https://x/bot123:SECRET' }, 10_000)).toEqual({
      kind: 'network',
      error: 'timeout',
      detail: '10000 ms',
    });
    expect(networkReply({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 5)).toMatchObject({ error: 'timeout' });
    expect(networkReply({ code: 'ECONNRESET', message: 'https://x/SECRET' }, 5)).toEqual({ kind: 'network', error: 'connection', detail: 'ECONNRESET' });
    expect(networkReply(new TypeError('Invalid URL https://x/SECRET'), 5)).toEqual({ kind: 'network', error: 'connection', detail: 'TypeError' });
  });
});

describe('sendNotification', () => {
  it('builds with the send time, sends, and classifies an HTTP channel', async () => {
    const channel = webhookChannel({ url: 'https://hooks.example.com/ekm?token=webhookQuerySecret01' });
    const sent: unknown[] = [];
    const outcome = await sendNotification(channel, OPENED, {
      http: { send: async (spec) => (sent.push(spec), { kind: 'http', status: 410, headers: {}, body: `gone: ${spec.url}` }) },
      sns: { publish: async () => ({ status: 'sent' }) },
      nowMs: () => NOW_MS,
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ headers: { 'webhook-timestamp': String(NOW_MS / 1000) } });
    expect(outcome).toEqual({
      status: 'permanent',
      reason: 'webhook: HTTP 410 (endpoint disabled by its owner: remove or replace webhook.url): gone: [redacted]',
      fix: refusalFix('webhook', { status: 410 }),
    });
    expect(refusalFix('webhook', { status: 410 })).toMatch(/^The receiver disabled this endpoint/);
  });

  it('publishes an SNS channel through the port and passes its outcome on', async () => {
    const published: SnsMessage[] = [];
    const throttled: DeliveryOutcome = { status: 'retry', afterMs: 1_000, reason: 'sns: Throttling' };
    const outcome = await sendNotification(emailChannel({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:ekm' }), OPENED, {
      http: { send: async () => Promise.reject(new Error('not used')) },
      sns: { publish: async (m) => (published.push(m), throttled) },
      nowMs: () => NOW_MS,
    });
    expect(published[0]).toMatchObject({
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:ekm',
      subject: '[ALERT] trading: IP not whitelisted (40103) - add 203.0.113.7 to the key',
    });
    expect(outcome).toEqual(throttled);
  });
});

describe('service-specific verdicts', () => {
  const http = (status: number, body: string, headers: Record<string, string> = {}) => ({ kind: 'http' as const, status, headers, body });
  const channel = (name: (typeof CASES)[number]['name']) => CASES.find((c) => c.name === name)!.make('https://relay.example');

  it('Slack: a 200 that is not `ok` is not taken for a delivery', () => {
    expect(channel('slack').classify(http(200, 'ok'))).toEqual({ status: 'sent' });
    expect(channel('slack').classify(http(200, 'no_text'))).toEqual({
      status: 'permanent',
      reason: 'slack: HTTP 200: no_text',
      fix: expect.stringMatching(/^Slack refused this message itself/),
    });
  });

  it('Telegram: a group that became a supergroup names the new chat id to configure', () => {
    const body = JSON.stringify({
      ok: false,
      error_code: 400,
      description: 'Bad Request: group chat was upgraded to a supergroup chat',
      parameters: { migrate_to_chat_id: -1009876543210 },
    });
    expect(channel('telegram').classify(http(400, body))).toEqual({
      status: 'permanent',
      reason: 'telegram: the group became a supergroup: set telegram.chatId to -1009876543210',
      fix: expect.stringMatching(/^The group became a supergroup with a new chat id \(shown in the answer\): set telegram.chatId to it/),
    });
    expect(channel('telegram').classify(http(200, '{"ok":false}')).status).toBe('permanent');
  });

  it('Teams: a retired connector’s throttling wrapped in a 200 is retried', () => {
    expect(channel('teams').classify(http(200, 'Microsoft Teams endpoint returned HTTP error 429'))).toMatchObject({ status: 'retry' });
    expect(channel('teams').classify(http(202, ''))).toEqual({ status: 'sent' });
  });

  it('Discord: 404 says the webhook is gone; a global limit is named', () => {
    expect(channel('discord').classify(http(404, '{"message":"Unknown Webhook","code":10015}'))).toEqual({
      status: 'permanent',
      reason: 'discord: HTTP 404 (webhook deleted: replace discord.webhookUrl; never retry a 404 webhook): Unknown Webhook (code 10015)',
      fix: expect.stringMatching(/^The webhook was deleted .*discord\.webhookUrl/),
    });
    expect(channel('discord').classify(http(429, '{"message":"You are being rate limited.","retry_after":1.5,"global":true}'))).toEqual({
      status: 'retry',
      afterMs: 1_500,
      reason: 'discord: rate limited, HTTP 429: You are being rate limited., global limit',
    });
  });

  it('webhook: 410 means the owner disabled the endpoint', () => {
    expect(channel('webhook').classify(http(410, ''))).toEqual({
      status: 'permanent',
      reason: 'webhook: HTTP 410 (endpoint disabled by its owner: remove or replace webhook.url): empty body',
      fix: refusalFix('webhook', { status: 410 }),
    });
  });

  it('a raw (non-whsec_) signing secret signs with its UTF-8 bytes', () => {
    const raw = 'raw-signing-secret-0123456789';
    const spec = webhookChannel({ url: 'https://relay.example/h', signingSecret: raw }).build(OPENED, NOW_MS);
    expect(verifyStandardWebhook(raw, spec.headers, spec.body, NOW_MS / 1000)).toBe(true);
  });
});
