import { createHash } from 'node:crypto';

/**
 * The pages the Acknowledge link shows: a confirmation form (the GET), what the POST did, and one plain
 * refusal for every link that cannot be used (tampered, expired, used, out of date), which says nothing
 * that would tell an attacker which rule failed. No script, no outside resource; every text is escaped.
 */
export interface PageResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1b1f23}' +
  'h1{font-size:1.3rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{color:#57606a}dd{margin:0}' +
  'label{display:block;margin-top:1rem}input{width:100%;font:inherit;padding:.4rem;box-sizing:border-box}' +
  'button{margin-top:1.2rem;font:inherit;padding:.5rem 1.2rem;background:#1f6feb;color:#fff;border:0;border-radius:6px}' +
  '.muted{color:#57606a;font-size:.9rem}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * Nothing may load, run or frame; a form may post only to this origin. Referrer-Policy same-origin, not
 * no-referrer: under no-referrer a browser sends `Origin: null` with the form's POST, and the POST's
 * Origin check is what stops a form on another site from posting here.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function page(statusCode: number, title: string, inner: string): PageResponse {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${inner}</body></html>`;
  return { statusCode, headers: { ...SECURITY_HEADERS }, body };
}

export interface IncidentSummary {
  readonly what: string;
  readonly title: string;
  readonly since: string;
  readonly source: string;
  /** A security incident (a withdrawal, money gone): its key is not failing, the incident is open. */
  readonly security?: boolean;
}

const facts = (s: IncidentSummary) =>
  `<dl><dt>Monitor</dt><dd>${escapeHtml(s.source)}</dd><dt>Incident</dt><dd>${escapeHtml(s.what)}</dd><dt>Diagnosis</dt><dd>${escapeHtml(s.title)}</dd><dt>${s.security ? 'Open since' : 'Failing since'}</dt><dd>${escapeHtml(s.since)}</dd></dl>`;

export function confirmPage(s: IncidentSummary, token: string): PageResponse {
  return page(
    200,
    'Acknowledge this incident?',
    `<h1>Acknowledge this incident?</h1>${facts(s)}` +
      `<form method="post" action=""><input type="hidden" name="t" value="${escapeHtml(token)}">` +
      `<label for="by">Your name</label><input id="by" name="by" required maxlength="60" autocomplete="name">` +
      `<label for="note">Note (optional)</label><input id="note" name="note" maxlength="200" placeholder="rotating the key now">` +
      `<button type="submit">Acknowledge</button></form>` +
      `<p class="muted">Every channel is told who is on it. Reminders stop while it is acknowledged; a change of diagnosis alerts again.</p>`,
  );
}

export function donePage(s: IncidentSummary, by: string): PageResponse {
  return page(
    200,
    'Acknowledged',
    `<h1>Acknowledged: ${escapeHtml(by)} is on it</h1>${facts(s)}<p>Every channel is told. Reminders stop while it is acknowledged; a change of diagnosis alerts again.</p>`,
  );
}

export function refusalPage(statusCode = 403): PageResponse {
  if (statusCode >= 500)
    return page(statusCode, 'Try again', '<h1>Could not acknowledge right now</h1><p>Try again in a minute, or run <code>key-monitor ack</code>.</p>');
  return page(
    statusCode,
    'Link not valid',
    '<h1>This link cannot be used</h1><p>It may have expired, been used already, or the incident may have changed or ended. ' +
      'Open the latest alert, or run <code>key-monitor ack</code>.</p>',
  );
}

export function namePage(s: IncidentSummary, token: string): PageResponse {
  const form = confirmPage(s, token);
  return {
    ...form,
    statusCode: 400,
    body: form.body.replace('<h1>Acknowledge this incident?</h1>', '<h1>Acknowledge this incident?</h1><p><strong>Give your name.</strong></p>'),
  };
}
