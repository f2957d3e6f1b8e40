/**
 * The conformance suite every HTTP channel passes (as gatus runs one set of cases over all its
 * providers), over real loopback HTTP through deliver.ts: exact requests, reply classification,
 * redaction, markup injection and size limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpChannel } from '../../src/channels/channel.js';
import { createHttpSender, type HttpSender } from '../../src/channels/deliver.js';
import { CASES, PATHS, SIGNING_SECRET, leaks } from './support/cases.js';
import { EXPECTED } from './support/expected.js';
import { limitProblems, telegramHtmlProblems, verifyStandardWebhook, visibleStrings } from './support/inspect.js';
import { HOSTILE_UNITS, INJECTED, NOW_MS, OPENED, RESOLVED, TEST, hostile } from './support/notifications.js';
import { closedPort, startReceiver, type Receiver } from './support/receiver.js';

const TIMEOUT_MS = 400;

describe.each(CASES)('$name channel', (c) => {
  let receiver: Receiver;
  let sender: HttpSender;
  let channel: HttpChannel;

  beforeAll(async () => {
    receiver = await startReceiver();
    sender = createHttpSender({ timeoutMs: TIMEOUT_MS });
    channel = c.make(receiver.baseUrl);
  });
  afterAll(async () => {
    await sender.close();
    await receiver.close();
  });

  async function deliver(notification = OPENED) {
    receiver.requests.length = 0;
    const outcome = channel.classify(await sender.send(channel.build(notification, NOW_MS)));
    return { outcome, request: receiver.requests[0] };
  }

  describe('sends exactly the documented request', () => {
    it.each([
      ['opened', OPENED],
      ['resolved', RESOLVED],
      ['test', TEST],
    ] as const)('%s', async (kind, notification) => {
      receiver.respond(c.success);
      const { outcome, request } = await deliver(notification);
      expect(outcome).toEqual({ status: 'sent' });
      const expected = EXPECTED[c.name][kind];
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe(PATHS[c.name]);
      expect(request?.headers).toMatchObject(expected.headers);
      expect(JSON.parse(request!.body)).toEqual(expected.body);
    });
  });

  it('renders a resolved notification as resolved even if its severity and emoji say otherwise', async () => {
    receiver.respond(c.success);
    const inconsistent = { ...RESOLVED, severity: 'critical', subject: '🔴 trading: resolved after 42 min' } as const;
    const { request } = await deliver(inconsistent);
    const body = request!.body;
    expect(body).not.toContain('🔴');
    expect(body).toContain('✅');
    const doc = JSON.parse(body);
    if (c.name === 'discord') expect(doc.embeds[0].color).toBe(0x2ecc71);
    if (c.name === 'teams') expect(doc.attachments[0].content.body[0].color).toBe('Good');
    if (c.name === 'webhook') expect(doc.data.severity).toBe('resolved');
  });

  describe('classifies replies', () => {
    it('success → sent', async () => {
      receiver.respond(c.success);
      expect((await deliver()).outcome).toEqual({ status: 'sent' });
    });

    it('429 with the service’s hint → retry after that wait', async () => {
      receiver.respond(c.rateLimited.reply);
      const { outcome } = await deliver();
      expect(outcome).toMatchObject({ status: 'retry', afterMs: c.rateLimited.afterMs });
    });

    it('a hint longer than 15 minutes is capped at 15 minutes', async () => {
      receiver.respond({
        ...c.rateLimited.reply,
        headers: { 'retry-after': '10072' },
        body: c.name === 'telegram' ? '{"ok":false,"error_code":429,"parameters":{"retry_after":10072}}' : '',
      });
      const { outcome } = await deliver();
      expect(outcome).toMatchObject({ status: 'retry', afterMs: 15 * 60_000 });
      expect(outcome.status === 'retry' && outcome.reason).toContain('asked to wait 10072 s');
    });

    it('429 without a hint → retry after the default back-off', async () => {
      receiver.respond({ status: 429, body: '' });
      expect((await deliver()).outcome).toMatchObject({ status: 'retry', afterMs: 30_000 });
    });

    it.each([500, 502, 503])('%i → retry', async (status) => {
      receiver.respond(c.errorReply(status, 'oops'));
      expect((await deliver()).outcome).toMatchObject({ status: 'retry', afterMs: 30_000 });
    });

    it('503 with Retry-After as an HTTP date → the wait measured against the reply’s Date', async () => {
      receiver.respond({ status: 503, headers: { date: 'Fri, 02 Jan 2026 11:00:00 GMT', 'retry-after': 'Fri, 02 Jan 2026 11:01:30 GMT' }, body: '' });
      expect((await deliver()).outcome).toMatchObject({ status: 'retry', afterMs: 90_000 });
    });

    it('timeout → retry', async () => {
      receiver.respond({ ...c.success, delayMs: TIMEOUT_MS * 5 });
      const { outcome } = await deliver();
      expect(outcome).toMatchObject({ status: 'retry', afterMs: 30_000 });
      expect(outcome.status === 'retry' && outcome.reason).toMatch(/no reply within 400 ms/);
    });

    it('connection refused → retry', async () => {
      const refused = c.make(await closedPort());
      const outcome = refused.classify(await sender.send(refused.build(OPENED, NOW_MS)));
      expect(outcome).toMatchObject({ status: 'retry', afterMs: 30_000 });
      expect(outcome.status === 'retry' && outcome.reason).toContain('ECONNREFUSED');
    });

    it.each([400, 401, 403, 404, 410])('%i → permanent', async (status) => {
      receiver.respond(c.errorReply(status, 'oops'));
      const { outcome } = await deliver();
      expect(outcome.status).toBe('permanent');
      expect(outcome.status === 'permanent' && outcome.reason).toContain(`HTTP ${status}`);
    });

    it('a redirect is not followed → permanent', async () => {
      receiver.respond({ status: 302, headers: { location: 'https://elsewhere.example/' }, body: '' });
      const { outcome } = await deliver();
      expect(outcome.status).toBe('permanent');
      expect(receiver.requests).toHaveLength(1);
    });
  });

  describe('never leaks the token, webhook URL or signing secret in a reason', () => {
    // The receiver quotes the request path and headers back, as careless proxies do.
    const statuses = [301, 400, 401, 403, 404, 410, 429, 500, 503];
    it.each(statuses)('HTTP %i quoting the request back', async (status) => {
      receiver.respond((req) => c.errorReply(status, `${receiver.baseUrl}${req.url} ${encodeURIComponent(req.url)} ${JSON.stringify(req.headers)}`));
      const { outcome } = await deliver();
      expect(outcome.status).not.toBe('sent');
      expect(leaks(JSON.stringify(outcome))).toEqual([]);
    });

    it('timeout and connection refused', async () => {
      receiver.respond({ ...c.success, delayMs: TIMEOUT_MS * 5 });
      const timedOut = (await deliver()).outcome;
      const refused = c.make(await closedPort());
      const refusedOutcome = refused.classify(await sender.send(refused.build(OPENED, NOW_MS)));
      expect(leaks(JSON.stringify([timedOut, refusedOutcome]))).toEqual([]);
    });
  });

  it('renders injected markup, mentions and terminal escapes inert', async () => {
    receiver.respond(c.success);
    const { request } = await deliver(INJECTED);
    const doc = JSON.parse(request!.body);
    for (const s of visibleStrings(doc)) {
      expect(s).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u202e]/);
      // The webhook's data is data: cleaned of escapes, otherwise as written (the receiver renders it).
      if (c.name !== 'webhook') expect(s).not.toMatch(/@(everyone|here)/);
    }
    switch (c.name) {
      case 'slack': {
        expect(doc.text).not.toMatch(/[<>]|&(?!amp;|lt;|gt;)/);
        // Slack reads `&`, `<` and `>` as control characters in every text object, plain_text too.
        const texts = doc.blocks.flatMap((block: { text?: object; fields?: object[]; elements?: object[] }) =>
          [block.text, ...(block.fields ?? []), ...(block.elements ?? [])].filter(Boolean),
        );
        expect(texts.filter((t: { type: string }) => t.type === 'plain_text').length).toBeGreaterThan(4);
        for (const t of texts) {
          const outsideLinks = t.type === 'mrkdwn' ? t.text.replace(/<https:[^<>|]+\|[^<>]*>/g, '') : t.text;
          expect(outsideLinks, JSON.stringify(t)).not.toMatch(/[<>]|&(?!amp;|lt;|gt;)/);
        }
        expect(doc.blocks[0].text).toEqual({ type: 'plain_text', text: expect.stringContaining('Hi &lt;b&gt;bold&lt;/b&gt;'), emoji: true });
        expect(doc.blocks[1].text.text).toContain('&lt;!channel&gt; @\u200beveryone @\u200bhere &amp; co');
        expect(doc.blocks[3].fields[0].text).toContain('&lt;i&gt;Hi &lt;b&gt;');
        const linkLabel = doc.blocks.find((b: { text?: { type: string } }) => b.text?.type === 'mrkdwn').text.text;
        expect(linkLabel).toMatch(/^<https:\/\/example\.com\/a%22b'c%3Cd%3E%7Ce\(f\)\*g_h\|/);
        expect(linkLabel).toContain('&lt;b&gt;bold&lt;/b&gt;');
        expect(linkLabel).toContain('&lt;!channel&gt;');
        break;
      }
      case 'teams': {
        const texts = doc.attachments[0].content.body.filter((b: { type: string }) => b.type === 'TextBlock').map((b: { text: string }) => b.text);
        expect(texts[1]).toContain('\\*bold\\* \\_it\\_ \\`code\\` \\[x\\](https://evil.example)');
        expect(doc.attachments[0].content.body[3].facts[0].value).toContain('\\*bold\\*');
        break;
      }
      case 'telegram':
        expect(telegramHtmlProblems(doc.text)).toEqual([]);
        expect(doc.text).toContain('Hi &lt;b&gt;bold&lt;/b&gt; *bold*');
        expect(doc.text).toContain('&amp; co');
        expect(doc.text).toContain(`<a href="https://example.com/a%22b'c%3Cd%3E|e(f)*g_h">`);
        break;
      case 'discord': {
        const e = doc.embeds[0];
        expect(doc.allowed_mentions).toEqual({ parse: [] });
        expect(e.description).toContain('Hi \\<b\\>bold\\</b\\> \\*bold\\* \\_it\\_ \\`code\\` \\[x\\](https://evil.example) \\<!channel\\>');
        expect(e.fields[0].name).toContain('\\<i\\>');
        // The link target cannot close the Markdown link early; the embed URL is the link as is.
        expect(e.fields.at(-1).value).toMatch(/\]\(https:\/\/example\.com\/a%22b'c%3Cd%3E\|e%28f%29\*g_h\)$/);
        expect(e.url).toBe("https://example.com/a%22b'c%3Cd%3E|e(f)*g_h");
        break;
      }
      case 'webhook':
        // JSON is inert by construction; the text is only cleaned of escapes, never rewritten.
        expect(doc.data.summary).toBe('Hi <b>bold</b> *bold* _it_ `code` [x](https://evil.example) <!channel> @everyone @here & co\nline 2 redevil');
        break;
    }
  });

  describe.each(Object.entries(HOSTILE_UNITS))('stays within the service’s limits with %s input', (_unit, text) => {
    it('giant summary, fix, 500 facts and 60 long links', async () => {
      receiver.respond(c.success);
      const { outcome, request } = await deliver(hostile(text));
      expect(outcome).toEqual({ status: 'sent' });
      expect(limitProblems(c.name, request!.body)).toEqual([]);
      // The subject, the line a lock screen shows, always comes through first.
      expect(request!.body).toContain('🔴');
    });

    it('no facts, no links, no fix', async () => {
      receiver.respond(c.success);
      const { request } = await deliver({ ...hostile(text), facts: [], links: [], fix: null });
      expect(limitProblems(c.name, request!.body)).toEqual([]);
    });
  });

  it('passes a console URL through unchanged (Logs Insights: ~, quotes, *, nested parentheses)', async () => {
    receiver.respond(c.success);
    const insights =
      "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D~(end~0~start~-3600~editorString~'fields*20*40message~source~(~'*2faws*2flambda*2fekm))";
    const { request } = await deliver({ ...OPENED, links: [{ label: 'Logs', url: insights }] });
    const doc = JSON.parse(request!.body);
    const where = c.name === 'discord' ? doc.embeds[0].url : request!.body;
    expect(where).toContain(insights);
  });

  it('survives odd facts and links: empty, emoji labels, quotes in URLs, non-http links', async () => {
    receiver.respond(c.success);
    const odd = {
      ...OPENED,
      facts: [
        { label: '', value: '' },
        { label: '🔑 Key', value: '' },
        { label: '', value: 'value only' },
        { label: 'Ünïcödé ✓', value: '日本語 テキスト 🔥' },
      ],
      links: [
        { label: 'Quotes', url: 'https://example.com/?q="a"&r=\'b\'' },
        { label: 'Script', url: 'javascript:alert(1)' },
        { label: 'Not a URL', url: 'dashboard' },
        { label: '', url: 'https://example.com/unlabelled' },
      ],
    };
    const { outcome, request } = await deliver(odd);
    expect(outcome).toEqual({ status: 'sent' });
    expect(limitProblems(c.name, request!.body)).toEqual([]);
    expect(request!.body).not.toContain('javascript:');
    expect(request!.body).toContain('日本語 テキスト 🔥');
  });
});

describe('webhook signature', () => {
  it('verifies with an independent Standard Webhooks check, on the bytes received', async () => {
    const receiver = await startReceiver();
    const sender = createHttpSender({ timeoutMs: 2_000 });
    try {
      const webhook = CASES.find((c) => c.name === 'webhook')!.make(receiver.baseUrl);
      receiver.respond({ status: 204 });
      await sender.send(webhook.build(OPENED, NOW_MS));
      await sender.send(webhook.build(OPENED, NOW_MS + 61_000));
      const [first, retry] = receiver.requests;
      expect(first!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(verifyStandardWebhook(SIGNING_SECRET, first!.headers, first!.body, NOW_MS / 1000)).toBe(true);
      // A retry keeps the id (the receiver's idempotency key) and signs its own timestamp.
      expect(retry!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
      expect(retry!.headers['webhook-timestamp']).toBe(String(NOW_MS / 1000 + 61));
      expect(verifyStandardWebhook(SIGNING_SECRET, retry!.headers, retry!.body, NOW_MS / 1000 + 61)).toBe(true);
      // Tampering with the body, the id or the time breaks it.
      expect(verifyStandardWebhook(SIGNING_SECRET, first!.headers, first!.body.replace('40103', '40104'), NOW_MS / 1000)).toBe(false);
      expect(verifyStandardWebhook(SIGNING_SECRET, { ...first!.headers, 'webhook-id': 'other' }, first!.body, NOW_MS / 1000)).toBe(false);
      expect(verifyStandardWebhook(SIGNING_SECRET, first!.headers, first!.body, NOW_MS / 1000 + 600)).toBe(false);
    } finally {
      await sender.close();
      await receiver.close();
    }
  });
});

describe('Discord Markdown: only what Discord would format is escaped', () => {
  // A backslash escapes only ASCII punctuation; before a digit it is shown as is ("\203.0.113.7").
  const discord = CASES.find((c) => c.name === 'discord')!.make('https://relay.example');
  const render = (n: typeof OPENED) => JSON.parse(discord.build(n, NOW_MS).body).embeds[0];

  it('shows IPs, versions, dates and signed numbers exactly as written, at line start too', () => {
    const embed = render({
      ...OPENED,
      summary: '203.0.113.7 answered 40103.\n2026-01-02 10:02 UTC\n-0.3 s skew\n+1.5 s skew\n3.5 % errors',
      facts: [
        { label: 'Egress IP', value: '203.0.113.7 (whitelisted: 198.51.100.23)' },
        { label: 'Clock skew', value: '+0.0 s' },
        { label: 'Failed runs', value: '3' },
        { label: '1.2.3', value: '-5' },
      ],
    });
    expect(embed.description.split('\n\n')[0]).toBe('203.0.113.7 answered 40103.\n2026-01-02 10:02 UTC\n-0.3 s skew\n+1.5 s skew\n3.5 % errors');
    expect(embed.fields.slice(0, 4).map((f: { name: string; value: string }) => [f.name, f.value])).toEqual([
      ['Egress IP', '203.0.113.7 (whitelisted: 198.51.100.23)'],
      ['Clock skew', '+0.0 s'],
      ['Failed runs', '3'],
      ['1.2.3', '-5'],
    ]);
  });

  it('still escapes a list marker, heading, subtext or quote at line start, with an escape Discord honours', () => {
    const embed = render({ ...OPENED, fix: null, summary: '1. first\n  2. second\n# big\n## less\n-# small\n- item\n+ item\n* item\n> quote\nnot 1. here' });
    expect(embed.description).toBe('1\\. first\n  2\\. second\n\\# big\n\\## less\n\\-# small\n\\- item\n\\+ item\n\\* item\n\\> quote\nnot 1. here');
    // Every backslash stands before ASCII punctuation (the only characters it escapes).
    expect(embed.description).not.toMatch(/\\[^!-/:-@[-`{-~]/);
  });
});

describe('Slack: escaped text measured against Slack’s limits, links whole', () => {
  const slack = CASES.find((c) => c.name === 'slack')!.make('https://relay.example');
  const body = (n: typeof OPENED) => JSON.parse(slack.build(n, NOW_MS).body);

  it('keeps each escaped text object within its limit (the header’s 150 counts its entities)', () => {
    const doc = body({ ...OPENED, subject: `🔴 ${'<&>'.repeat(100)}`, summary: '&'.repeat(2_900) });
    expect(doc.blocks[0].text.text.length).toBeLessThanOrEqual(150);
    expect(doc.blocks[0].text.text).toMatch(/^🔴 (&lt;&amp;&gt;)+…$/);
    expect(doc.blocks[1].text.text.length).toBeLessThanOrEqual(3000);
    expect(doc.blocks[1].text.text).toMatch(/^(&amp;)+…$/);
    expect(doc.text).toBe(doc.blocks[0].text.text);
  });

  it('a long links section shows whole links while they fit and counts the rest as not shown', () => {
    const links = Array.from({ length: 8 }, (_, i) => ({ label: `Log query ${i} <&>`, url: `https://example.com/${i}/${'q'.repeat(900)}` }));
    const doc = body({ ...OPENED, links });
    const section = doc.blocks.find((b: { text?: { type: string } }) => b.text?.type === 'mrkdwn').text.text as string;
    expect(section.length).toBeLessThanOrEqual(3000);
    expect(section).toMatch(/^<https:[^<>|]+\|[^<>]*>(  ·  <https:[^<>|]+\|[^<>]*>)*$/);
    const shown = section.split('  ·  ').length;
    expect(shown).toBe(3);
    expect(section).toContain('|Log query 0 &lt;&amp;&gt;>');
    expect(doc.blocks.at(-1).elements[0].text).toBe(`(${links.length - shown} links not shown)`);
  });
});
