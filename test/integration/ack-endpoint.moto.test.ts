/**
 * The Acknowledge link's endpoint as a browser, a link previewer and an attacker meet it: the real
 * function URL handler, reading its HMAC key from Secrets Manager and writing the incident store and
 * the notification queue on moto_server. Incidents are made by the real incident rules.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackKeyReader } from '../../src/aws/ack-key.js';
import { ackStore } from '../../src/aws/ack-store.js';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import type { Notification } from '../../src/contract/notification.js';
import { buildAckHandler } from '../../src/handlers/ack.js';
import { ackLinkMaker, signAck, type AckClaims } from '../../src/monitor/ack-token.js';
import { answerCallbackQuery } from '../../src/monitor/ack-telegram.js';
import { notificationFor } from '../../src/monitor/incident-messages.js';
import { telegramChannel } from '../../src/channels/telegram.js';
import { createHttpSender } from '../../src/channels/deliver.js';
import { startReceiver, type Receiver } from '../channels/support/receiver.js';
import { decideRun, type IncidentPolicy } from '../../src/monitor/incident-rules.js';
import { NEW_MONITOR_STATE, type KeyState } from '../../src/monitor/incident-state.js';
import type { Diagnosis } from '../../src/monitor/types.js';
import { captureOutput, createStateTable, drainQueue, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

const HOST = 'abc123.lambda-url.us-east-1.on.aws';
const KEY = 'k'.repeat(20) + '-test-hmac-key-from-the-secret';
const POLICY: IncidentPolicy = { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 0, keyMaxAgeDays: 90 };
const DAY = 86_400_000;
const context = { functionName: 'ack', awsRequestId: 'req', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function urlEvent(method: string, opts: { query?: string; headers?: Record<string, string>; body?: string; base64?: boolean } = {}): LambdaFunctionURLEvent {
  const body = opts.body === undefined ? undefined : opts.base64 ? Buffer.from(opts.body).toString('base64') : opts.body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: opts.query ?? '',
    headers: { host: HOST, ...opts.headers },
    requestContext: { http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '198.51.100.9', userAgent: opts.headers?.['user-agent'] ?? 'test' } },
    isBase64Encoded: opts.base64 ?? false,
    ...(body === undefined ? {} : { body }),
  } as unknown as LambdaFunctionURLEvent;
}

describe.skipIf(toolMissing('moto_server'))('the Acknowledge link endpoint (function URL handler on moto_server)', () => {
  let moto: Moto;
  let store: DynamoIncidentStore;
  let sqs: SQSClient;
  let queueUrl: string;
  let handler: ReturnType<typeof buildAckHandler>;
  let now = Date.now();

  beforeAll(async () => {
    moto = await startMoto();
    useEmulator(moto.endpoint);
    await createStateTable('ack-endpoint');
    sqs = new SQSClient({});
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ack-endpoint', Attributes: { VisibilityTimeout: '0' } }))).QueueUrl as string;
    const sm = new SecretsManagerClient({});
    await sm.send(new CreateSecretCommand({ Name: 'ack/hmac', SecretString: KEY }));
    store = new DynamoIncidentStore(new DynamoDBClient({}), 'ack-endpoint', 30);
    handler = buildAckHandler(async () => ({
      key: ackKeyReader('ack/hmac', sm),
      store: ackStore(store),
      sink: new SqsNotificationQueue(sqs, queueUrl),
      source: 'Ops',
      links: () => [],
      now: () => now,
    }));
  });

  afterAll(async () => {
    await moto?.stop();
  });

  /** A key with an open incident, as the rules open it and the check run stores it. */
  async function openIncident(key: string, diagnosis: Diagnosis = 'AUTH_FAILED', policy: IncidentPolicy = POLICY) {
    const run = {
      key,
      keyPrefix: 'sbx1',
      diagnosis,
      code: 40101,
      httpStatus: null,
      egressIp: '203.0.113.7',
      advice: 'x',
      facts: [],
      keyAgeDays: 10,
      verified: [],
    };
    const prior = (await store.load([key])).keys.get(key);
    const d = decideRun({ now, policy, runs: [run], keyStates: new Map(prior ? [[key, prior.state]] : []), monitor: NEW_MONITOR_STATE });
    const state = d.keyStates.get(key) as KeyState;
    const version = prior?.state.version ?? 0;
    expect(await store.saveKey(key, version, { ...state, version: version + 1 }, [])).toBe(true);
    return state.incident as NonNullable<KeyState['incident']>;
  }
  const claimsFor = (key: string, incident: { id: string; diagnosis: Diagnosis }, expiresAt = now + 7 * DAY): AckClaims => ({
    scope: { type: 'key', key },
    incidentId: incident.id,
    diagnosis: incident.diagnosis,
    expiresAt,
  });
  const stateOf = async (key: string) => (await store.load([key])).keys.get(key)?.state.incident ?? null;
  const call = async (e: LambdaFunctionURLEvent) => {
    const { value, raw, docs } = await captureOutput(() => handler(e, context) as Promise<LambdaFunctionURLResult>);
    return { res: value as { statusCode: number; headers: Record<string, string>; body: string }, raw, docs };
  };
  const post = (fields: Record<string, string>, headers: Record<string, string> = { origin: `https://${HOST}` }) =>
    urlEvent('POST', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
      base64: true,
    });

  it('a key with a health and a security incident open: the security alert’s link acknowledges the security incident only, once; after a new finding the old link is refused and the new alert’s works', async () => {
    const key = 'both-open';
    const health = await openIncident(key);
    const withdrawal = (id: string) => ({
      diagnosis: 'WITHDRAWAL_DETECTED' as const,
      identity: `withdrawal:${id}`,
      severity: 'critical' as const,
      detail: `A withdrawal (${id})`,
      facts: [{ label: 'Withdrawal', value: '0.5 BTC' }],
    });
    const securityRun = async (id: string) => {
      const run = {
        key,
        keyPrefix: 'sbx1',
        diagnosis: 'AUTH_FAILED' as const,
        code: 40101,
        httpStatus: null,
        egressIp: '203.0.113.7',
        advice: 'x',
        facts: [],
        keyAgeDays: 10,
        verified: [],
        security: [withdrawal(id)],
      };
      const prior = (await store.load([key])).keys.get(key);
      const d = decideRun({ now, policy: POLICY, runs: [run], keyStates: new Map(prior ? [[key, prior.state]] : []), monitor: NEW_MONITOR_STATE });
      const state = d.keyStates.get(key) as KeyState;
      const version = prior?.state.version ?? 0;
      expect(await store.saveKey(key, version, { ...state, version: version + 1 }, [])).toBe(true);
      const event = d.events.find((e) => e.kind === 'security');
      const alert = notificationFor(event as NonNullable<typeof event>, now, {
        source: 'Ops',
        expectedIps: [],
        links: () => [],
        ackLink: ackLinkMaker(`https://${HOST}/`, KEY),
      });
      return new URL(alert.links.find((l) => l.label === 'Acknowledge')?.url as string).searchParams.get('t') as string;
    };
    const security = async () => (await store.load([key])).keys.get(key)?.state.security ?? null;
    const first = await securityRun('w1');
    const page = await call(urlEvent('GET', { query: `t=${first}` }));
    expect(page.res.statusCode).toBe(200);
    expect(page.res.body).toContain('A withdrawal left the account');
    // The key is not failing: the page says the security incident is open since, not "failing since".
    expect(page.res.body).toContain('<dt>Open since</dt>');
    expect(page.res.body).not.toContain('Failing since');
    const done = await call(post({ t: first, by: 'Ann', note: 'checking' }));
    expect(done.res.statusCode).toBe(200);
    expect((await security())?.ack).toEqual({ by: 'Ann', at: now, note: 'checking', via: 'link' });
    expect((await stateOf(key))?.id).toBe(health.id);
    expect((await stateOf(key))?.ack).toBeUndefined();
    expect((await call(post({ t: first, by: 'Ann' }))).res.statusCode).toBe(403);
    await drainQueue(sqs, queueUrl);
    // A second withdrawal: the acknowledgement is cleared; the first link, replayed, acknowledges nothing.
    now += 60_000;
    const second = await securityRun('w2');
    expect((await security())?.ack).toBeNull();
    const replay = await call(post({ t: first, by: 'Mallory' }));
    expect(replay.res.statusCode).toBe(403);
    expect(replay.raw).not.toContain(first);
    expect((await security())?.ack).toBeNull();
    expect((await call(post({ t: second, by: 'Ann' }))).res.statusCode).toBe(200);
    expect((await security())?.ack?.by).toBe('Ann');
    await drainQueue(sqs, queueUrl);
  });

  it('a GET (a chat unfurl, a mail scanner) shows the confirmation page and acknowledges nothing; HEAD and OPTIONS neither', async () => {
    const incident = await openIncident('preview');
    const token = signAck(claimsFor('preview', incident), KEY);
    const { res } = await call(
      urlEvent('GET', { query: `t=${token}`, headers: { 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' } }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<form method="post"');
    expect(res.body).toContain(`name="t" value="${token}"`);
    expect(res.body).toContain('key preview');
    expect(res.headers['content-security-policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'; frame-ancestors 'none'/,
    );
    expect(res.headers).toMatchObject({ 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin', 'cache-control': 'no-store' });
    const head = await call(urlEvent('HEAD', { query: `t=${token}` }));
    expect([head.res.statusCode, head.res.body]).toEqual([200, '']);
    const options = await call(urlEvent('OPTIONS', { query: `t=${token}` }));
    expect(options.res.statusCode).toBe(204);
    expect((await stateOf('preview'))?.ack).toBeUndefined();
    expect(await drainQueue(sqs, queueUrl)).toEqual([]);
  });

  it('the page’s POST acknowledges: the state says who, via the link, and the acknowledged notification is queued', async () => {
    const incident = await openIncident('posted');
    const token = signAck(claimsFor('posted', incident), KEY);
    const { res } = await call(post({ t: token, by: 'Ann <b>', note: 'rotating now' }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Acknowledged: Ann &lt;b&gt; is on it');
    expect((await stateOf('posted'))?.ack).toEqual({ by: 'Ann <b>', at: now, note: 'rotating now', via: 'link' });
    const sent = await drainQueue<Notification>(sqs, queueUrl);
    expect(sent.map((n) => [n.kind, n.id])).toEqual([['acknowledged', `${incident.id}#ack:${incident.transitions}`]]);
    expect(sent[0]?.summary).toContain('with the link in an alert: "rotating now"');
  });

  it('a replayed link (POST or GET after it was used) gets the plain refusal and a log line without the token', async () => {
    const incident = await openIncident('replayed');
    const token = signAck(claimsFor('replayed', incident), KEY);
    expect((await call(post({ t: token, by: 'Ann' }))).res.statusCode).toBe(200);
    await drainQueue(sqs, queueUrl);
    const again = await call(post({ t: token, by: 'Mallory' }));
    expect(again.res.statusCode).toBe(403);
    expect(again.res.body).toContain('This link cannot be used');
    expect(again.docs).toContainEqual(expect.objectContaining({ message: 'acknowledge link refused', why: 'already-acknowledged', incidentId: incident.id }));
    expect(again.raw).not.toContain(token.split('.')[1]);
    const get = await call(urlEvent('GET', { query: `t=${token}` }));
    expect(get.res.statusCode).toBe(403);
    expect((await stateOf('replayed'))?.ack?.by).toBe('Ann');
    expect(await drainQueue(sqs, queueUrl)).toEqual([]);
  });

  it('a tampered link, one signed with another key, and an expired one are refused alike; nothing is written', async () => {
    const incident = await openIncident('tampered');
    const good = signAck(claimsFor('tampered', incident), KEY);
    const [body, sig] = good.split('.') as [string, string];
    const otherBody = Buffer.from(JSON.stringify({ k: 'tampered', i: incident.id, d: 'AUTH_FAILED', e: Math.floor((now + 365 * DAY) / 1000) })).toString(
      'base64url',
    );
    const cases: [string, string][] = [
      ['bad-signature', `${otherBody}.${sig}`],
      ['bad-signature', `${body}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`],
      ['bad-signature', signAck(claimsFor('tampered', incident), 'another key')],
      ['expired', signAck(claimsFor('tampered', incident, now - 1_000), KEY)],
      ['malformed', 'not-a-token'],
    ];
    const pages = new Set<string>();
    for (const [why, token] of cases) {
      for (const e of [urlEvent('GET', { query: `t=${encodeURIComponent(token)}` }), post({ t: token, by: 'Eve' })]) {
        const { res, docs, raw } = await call(e);
        expect(res.statusCode).toBe(403);
        pages.add(res.body);
        expect(docs).toContainEqual(expect.objectContaining({ message: 'acknowledge link refused', why }));
        expect(raw).not.toContain(token);
      }
    }
    // One page for every refusal: it does not tell an attacker which rule failed.
    expect(pages.size).toBe(1);
    expect((await stateOf('tampered'))?.ack).toBeUndefined();
    expect(await drainQueue(sqs, queueUrl)).toEqual([]);
  });

  it('a POST from another origin (a form on someone else’s page) is refused, even with a good token', async () => {
    const incident = await openIncident('csrf');
    const token = signAck(claimsFor('csrf', incident), KEY);
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }, {}] as Record<string, string>[]) {
      const { res } = await call(post({ t: token, by: 'Ann' }, headers));
      expect(res.statusCode).toBe(403);
    }
    expect((await stateOf('csrf'))?.ack).toBeUndefined();
  });

  it('after a change of diagnosis the old link is refused; the new state’s link works; reminders do not spoil a link', async () => {
    const first = await openIncident('changing', 'AUTH_FAILED');
    const old = signAck(claimsFor('changing', first), KEY);
    now += 60_000;
    const reminded = await openIncident('changing', 'AUTH_FAILED', { ...POLICY, remindEveryMs: 1 });
    expect(reminded.transitions).toBe(first.transitions + 1);
    expect((await call(urlEvent('GET', { query: `t=${old}` }))).res.statusCode).toBe(200);
    now += 60_000;
    const changed = await openIncident('changing', 'IP_NOT_WHITELISTED');
    expect(changed.id).toBe(first.id);
    expect((await call(post({ t: old, by: 'Ann' }))).res.statusCode).toBe(403);
    // A link names the incident and its diagnosis, not how many messages it has had.
    const fresh = signAck(claimsFor('changing', { id: changed.id, diagnosis: 'IP_NOT_WHITELISTED' }), KEY);
    expect((await call(post({ t: fresh, by: 'Ann' }))).res.statusCode).toBe(200);
    expect((await stateOf('changing'))?.ack?.by).toBe('Ann');
    await drainQueue(sqs, queueUrl);
  });

  it('a POST without a name shows the form again and writes nothing', async () => {
    const incident = await openIncident('nameless');
    const token = signAck(claimsFor('nameless', incident), KEY);
    const { res } = await call(post({ t: token, by: '   ' }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Give your name.');
    expect((await stateOf('nameless'))?.ack).toBeUndefined();
  });

  describe('Telegram: the inline Acknowledge button', () => {
    const BOT = '123456789:telegramSecretToken0123456789AB';
    const SECRET_TOKEN = 'telegram-webhook-secret-0123456789';
    let telegram: Receiver;
    let pressHandler: ReturnType<typeof buildAckHandler>;

    beforeAll(async () => {
      telegram = await startReceiver();
      telegram.respond({ status: 200, body: '{"ok":true,"result":true}' });
      const sm = new SecretsManagerClient({});
      pressHandler = buildAckHandler(async () => ({
        key: ackKeyReader('ack/hmac', sm),
        store: ackStore(store),
        sink: new SqsNotificationQueue(sqs, queueUrl),
        source: 'Ops',
        links: () => [],
        now: () => now,
        telegram: async () => ({ secretToken: SECRET_TOKEN, botToken: BOT, apiBaseUrl: telegram.baseUrl }),
        answer: answerCallbackQuery,
      }));
    });
    afterAll(async () => {
      await telegram?.close();
    });

    /** The alert as the Telegram channel sends it, and the callback_query Telegram posts when the button is pressed. */
    async function alertAndPress(key: string, secretToken: string | undefined) {
      const incident = await openIncident(key);
      const messages = { source: 'Ops', expectedIps: [], links: () => [], ackLink: ackLinkMaker(`https://${HOST}/`, KEY) };
      const run = {
        key,
        keyPrefix: 'sbx1',
        diagnosis: incident.diagnosis,
        code: 40101,
        httpStatus: null,
        egressIp: null,
        advice: 'x',
        facts: [],
        keyAgeDays: null,
        verified: [],
      };
      const n = notificationFor({ kind: 'opened', scope: { type: 'key', key }, incident, run }, now, messages);
      const sender = createHttpSender({ timeoutMs: 2_000 });
      const channel = telegramChannel({
        botToken: BOT,
        chatId: '-1001234567890',
        apiBaseUrl: telegram.baseUrl,
        ...(secretToken ? { webhookSecretToken: secretToken } : {}),
      });
      await sender.send(channel.build(n, now));
      await sender.close();
      const sent = JSON.parse(telegram.requests.pop()?.body ?? '{}') as {
        text: string;
        reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] };
      };
      const link = n.links.find((l) => l.label === 'Acknowledge')?.url as string;
      // Telegram hands the message back with its links as text_link entities.
      const update = {
        update_id: 1,
        callback_query: {
          id: 'cbq-1',
          from: { id: 42, is_bot: false, first_name: 'Ann', username: 'ann_ops' },
          data: sent.reply_markup?.inline_keyboard[0]?.[0]?.callback_data,
          message: { message_id: 7, chat: { id: -1001234567890 }, text: 'alert', entities: [{ type: 'text_link', offset: 0, length: 11, url: link }] },
        },
      };
      return { incident, sent, update };
    }
    const press = async (update: unknown, token: string) => {
      const e = urlEvent('POST', { headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': token }, body: JSON.stringify(update) });
      const { value, raw, docs } = await captureOutput(() => pressHandler(e, context) as Promise<LambdaFunctionURLResult>);
      return { res: value as { statusCode: number; body: string }, raw, docs };
    };

    it('an alert carries the button (callback_data within 64 bytes) where the bot is set up for it, and only the link where it is not', async () => {
      const plain = await alertAndPress('tg-plain', undefined);
      expect(plain.sent.reply_markup).toBeUndefined();
      expect(plain.sent.text).toContain('>Acknowledge</a>');
      const { sent } = await alertAndPress('tg-button', SECRET_TOKEN);
      const button = sent.reply_markup?.inline_keyboard[0]?.[0];
      expect(button?.text).toBe('Acknowledge');
      expect(Buffer.byteLength(button?.callback_data ?? '', 'utf8')).toBeLessThanOrEqual(64);
      expect(button?.callback_data).toMatch(/^ack:[A-Za-z0-9_-]{22}$/);
    });

    it('a press with the right secret token acknowledges as the pressing user and is answered; a wrong token changes nothing', async () => {
      const { incident, update } = await alertAndPress('tg-press', SECRET_TOKEN);
      telegram.requests.length = 0;
      const bad = await press(update, 'not-the-secret-token-0000000000');
      expect(bad.res.statusCode).toBe(401);
      expect(bad.docs).toContainEqual(expect.objectContaining({ message: 'telegram update refused', why: 'bad-secret-token' }));
      expect(bad.raw).not.toContain(SECRET_TOKEN);
      expect(telegram.requests).toEqual([]);
      expect((await stateOf('tg-press'))?.ack).toBeUndefined();

      const good = await press(update, SECRET_TOKEN);
      expect(good.res.statusCode).toBe(200);
      expect((await stateOf('tg-press'))?.ack).toEqual({ by: 'Ann (@ann_ops)', at: now, note: null, via: 'telegram' });
      expect(telegram.requests.map((r) => [r.url, JSON.parse(r.body)])).toEqual([
        [`/bot${BOT}/answerCallbackQuery`, { callback_query_id: 'cbq-1', text: 'Acknowledged: Ann (@ann_ops) is on it.' }],
      ]);
      expect((await drainQueue<Notification>(sqs, queueUrl)).map((n) => n.id)).toEqual([`${incident.id}#ack:${incident.transitions}`]);
      expect(good.raw).not.toContain(BOT);

      // Pressed again: refused, answered, nothing written.
      telegram.requests.length = 0;
      expect((await press(update, SECRET_TOKEN)).res.statusCode).toBe(200);
      expect(JSON.parse(telegram.requests[0]?.body ?? '{}').text).toMatch(/^This button cannot be used any more/);
      expect(await drainQueue(sqs, queueUrl)).toEqual([]);
    });

    it('a button whose data names no link of its message is refused', async () => {
      const { update } = await alertAndPress('tg-forged', SECRET_TOKEN);
      telegram.requests.length = 0;
      const forged = { ...update, callback_query: { ...update.callback_query, data: 'ack:AAAAAAAAAAAAAAAAAAAAAA' } };
      expect((await press(forged, SECRET_TOKEN)).res.statusCode).toBe(200);
      expect((await stateOf('tg-forged'))?.ack).toBeUndefined();
      expect(JSON.parse(telegram.requests[0]?.body ?? '{}').text).toMatch(/^This button cannot be used here/);
    });
  });
});
