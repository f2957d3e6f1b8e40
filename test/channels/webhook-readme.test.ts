/**
 * docs/channels.md → Signed webhook against what the webhook channel sends: the documented headers
 * and fields are exactly the sent ones, the sample request is byte for byte what the channel builds,
 * and the verification code the page gives accepts it (and nothing tampered).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { webhookChannel } from '../../src/channels/webhook.js';
import type { Notification } from '../../src/contract/notification.js';
import { NOTIFICATION_KINDS } from '../../src/monitor/queue-message.js';
import { ROOT } from '../../scripts/readme-sections.js';
import { verifyStandardWebhook } from './support/inspect.js';
import { OPENED, NOW_MS } from './support/notifications.js';

const page = readFileSync(`${ROOT}docs/channels.md`, 'utf8');
const section = (() => {
  const start = page.indexOf('\n## Signed webhook\n');
  expect(start, 'docs/channels.md has a "## Signed webhook" section').toBeGreaterThan(-1);
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
})();

/** The first column of the markdown table whose header row starts with `| <first> |`. */
function tableKeys(first: string): string[] {
  const at = section.indexOf(`| ${first} |`);
  expect(at, `a table headed "${first}"`).toBeGreaterThan(-1);
  const rows = section.slice(at).split('\n').slice(2);
  return rows
    .slice(
      0,
      rows.findIndex((r) => !r.startsWith('|')),
    )
    .map((r) => /^\| `([^`]+)` \|/.exec(r)?.[1] ?? `unreadable row: ${r}`);
}

const block = (lang: string) => {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```').exec(section);
  expect(m, `a ${lang} block`).not.toBeNull();
  return m![1]!;
};

const sent = () => {
  const spec = webhookChannel({ url: 'https://ops.example.com/hooks/keys', signingSecret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` }).build(
    OPENED,
    NOW_MS,
  );
  return { headers: spec.headers, body: JSON.parse(spec.body) as Record<string, unknown> & { data: Record<string, unknown> } };
};

describe('docs/channels.md → Signed webhook describes what the webhook channel sends', () => {
  it('documents exactly the headers sent', () => {
    expect(tableKeys('Header').sort()).toEqual(Object.keys(sent().headers).sort());
  });

  it('documents exactly the envelope’s fields and the notification’s fields inside it', () => {
    const { body } = sent();
    expect(tableKeys('Field')).toEqual(Object.keys(body));
    expect(tableKeys('`data` field')).toEqual(Object.keys(body.data));
    expect(body).toMatchObject({ type: `exchange-key-monitor.${OPENED.kind}`, timestamp: OPENED.occurredAt });
  });

  it('lists every notification kind and severity there is', () => {
    const row = (name: string) => section.split('\n').find((r) => r.startsWith(`| \`${name}\` |`)) ?? '';
    expect(
      [
        ...row('kind')
          .split('|')[2]!
          .matchAll(/`([a-z-]+)`/g),
      ].map((m) => m[1]),
    ).toEqual([...NOTIFICATION_KINDS]);
    expect(
      [
        ...row('severity')
          .split('|')[2]!
          .matchAll(/`([a-z-]+)`/g),
      ].map((m) => m[1]),
    ).toEqual(['critical', 'warning', 'resolved', 'info']);
  });

  it('shows a sample request that is byte for byte what the channel sends, and that its own verify code accepts', async () => {
    const secret = /sample secret `(whsec_[A-Za-z0-9+/=]+)`/.exec(section)?.[1];
    expect(secret).toBeDefined();
    const [head, body] = block('http').split('\n\n') as [string, string];
    const lines = head.split('\n');
    expect(lines[0]).toBe('POST /hooks/keys HTTP/1.1');
    const headers = Object.fromEntries(lines.slice(2).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
    const timestamp = Number(headers['webhook-timestamp']);

    // Rebuilt from its own data at its own time: the channel sends exactly these bytes and headers.
    const data = (JSON.parse(body) as { data: Notification }).data;
    const spec = webhookChannel({ url: 'https://ops.example.com/hooks/keys', signingSecret: secret! }, { deployment: data.source }).build(
      data,
      timestamp * 1000,
    );
    expect(spec.body).toBe(body);
    expect(spec.headers).toEqual(headers);
    expect(verifyStandardWebhook(secret!, headers, body, timestamp)).toBe(true);

    const { verify } = (await import(`data:text/javascript,${encodeURIComponent(block('js'))}`)) as {
      verify: (secret: string, headers: Record<string, string>, body: string, now?: number) => boolean;
    };
    expect(verify(secret!, headers, body, timestamp + 10)).toBe(true);
    expect(verify(secret!, headers, body.replace('40103', '40101'), timestamp)).toBe(false);
    expect(verify(secret!, { ...headers, 'webhook-id': 'other' }, body, timestamp)).toBe(false);
    expect(verify(secret!, headers, body, timestamp + 301)).toBe(false);
    expect(verify(`whsec_${Buffer.alloc(31, 1).toString('base64')}`, headers, body, timestamp)).toBe(false);
  });
});
