/**
 * Independent checks on what a channel sent: each service's documented limits, and whether
 * injected markup survived as markup. Written against the request bytes, not the renderer's code.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ChannelCase } from './cases.js';

/** Parsed request bodies, checked field by field below. */
type Json = any;

/** Telegram HTML: only the tags we emit, balanced, and every `&` starting a known entity. */
export function telegramHtmlProblems(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-z]+)(?:\s[^>]*)?>/g)) {
    const [, closing, tag] = m;
    if (!['b', 'i', 'a'].includes(tag!)) problems.push(`unexpected tag <${tag}>`);
    if (closing) {
      if (stack.pop() !== tag) problems.push(`unbalanced </${tag}>`);
    } else stack.push(tag!);
  }
  if (stack.length) problems.push(`unclosed ${stack.join(',')}`);
  if (/&(?!(?:lt|gt|amp|quot);)/.test(html)) problems.push('bare or broken & entity');
  const outside = html.replace(/<\/?[a-z]+(?:\s[^>]*)?>/g, '');
  if (/[<>]/.test(outside)) problems.push('unescaped < or > in text');
  return problems;
}

export function telegramVisibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, '').replace(/&lt;|&gt;|&amp;|&quot;/g, '_').length;
}

/** Violations of each service's documented size limits, as readable strings. */
export function limitProblems(name: ChannelCase['name'], body: string): string[] {
  const p: string[] = [];
  const over = (what: string, value: number, max: number) => value > max && p.push(`${what} ${value} > ${max}`);
  const doc: Json = JSON.parse(body);
  switch (name) {
    case 'slack': {
      over('blocks', doc.blocks.length, 50);
      let total = doc.text.length;
      for (const b of doc.blocks) {
        if (b.type === 'header') over('header', b.text.text.length, 150);
        if (b.text) over(`${b.type} text`, b.text.text.length, 3000);
        if (b.fields) {
          over('fields', b.fields.length, 10);
          for (const f of b.fields) over('field', f.text.length, 2000);
        }
        if (b.elements) over('context elements', b.elements.length, 10);
        for (const t of [b.text, ...(b.fields ?? []), ...(b.elements ?? [])].filter(Boolean)) {
          if (t.text.length === 0) p.push('empty text object');
          total += t.text.length;
        }
      }
      over('total text', total, 12_000);
      break;
    }
    case 'teams':
      over('body bytes', Buffer.byteLength(body), 28 * 1024);
      break;
    case 'telegram':
      over('visible text', telegramVisibleLength(doc.text), 4096);
      p.push(...telegramHtmlProblems(doc.text));
      break;
    case 'discord': {
      over('content', doc.content.length, 2000);
      over('embeds', doc.embeds.length, 10);
      const e = doc.embeds[0];
      over('title', e.title.length, 256);
      over('description', (e.description ?? '').length, 4096);
      over('fields', e.fields.length, 25);
      for (const f of e.fields) {
        over('field name', f.name.length, 256);
        over('field value', f.value.length, 1024);
        if (!f.name || !f.value) p.push('empty field');
      }
      over('footer', e.footer.text.length, 2048);
      const total =
        e.title.length + (e.description ?? '').length + e.footer.text.length + e.fields.reduce((s: number, f: Json) => s + f.name.length + f.value.length, 0);
      over('embed total', total, 6000);
      // A cut must never leave an escape without the character it escapes.
      for (const s of [doc.content, e.title, e.description ?? '', ...e.fields.map((f: Json) => f.value)]) {
        if (/(^|[^\\])(\\\\)*\\…/.test(s) || /(^|[^\\])(\\\\)*\\$/.test(s)) p.push('dangling backslash');
      }
      break;
    }
    case 'webhook':
      over('body bytes', Buffer.byteLength(body), 20_000);
      break;
  }
  return p;
}

/** Every user-visible string in a request, for the "no raw escape or control character" check. */
export function visibleStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(visibleStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(visibleStrings);
  return [];
}

/**
 * Standard Webhooks v1 verification, written from the spec rather than from webhook.ts: the secret
 * is base64 after `whsec_`, the signed content `{id}.{timestamp}.{body}`, the header a
 * space-separated list of `v1,<base64>`, and the timestamp within 5 minutes of now.
 */
export function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: string, nowSeconds: number): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, sig] = entry.split(',');
    if (version !== 'v1' || !sig) return false;
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
