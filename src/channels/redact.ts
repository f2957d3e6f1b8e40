/**
 * Keeping channel credentials out of logs and errors. For these services the webhook URL *is* the
 * credential (Slack's path token, Discord's webhook token, Teams' `sig=`), and Telegram puts the
 * bot token in the URL path, so any text that might quote a request is redacted before it leaves.
 */

const REDACTED = '[redacted]';

/** Shorter strings would redact ordinary words; config validation keeps real secrets longer. */
const MIN_SECRET_LENGTH = 4;

/**
 * The parts of a webhook URL that must not be shown: the whole URL, its path and query, and every
 * path segment or query value long enough to be a token. A bare origin yields nothing (the host
 * `api.telegram.org` is not a secret, and redacting it would only garble reasons).
 */
export function urlSecrets(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [raw];
  }
  const out = new Set<string>();
  if (url.pathname !== '/' || url.search !== '') {
    out.add(raw);
    out.add(url.href);
    out.add(url.host + url.pathname + url.search);
    out.add(url.pathname + url.search);
    if (url.pathname !== '/') out.add(url.pathname);
    if (url.search) out.add(url.search.slice(1));
  }
  for (const segment of url.pathname.split('/')) if (segment.length >= 16) out.add(segment);
  for (const [, value] of url.searchParams) if (value.length >= 8) out.add(value);
  if (url.username) out.add(url.username);
  if (url.password) out.add(url.password);
  return [...out];
}

/** The forms a secret can take in an error text: as is, URL-encoded, JSON-escaped. */
function variants(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret), encodeURI(secret), JSON.stringify(secret).slice(1, -1), secret.replace(/\//g, '\\/')];
  return forms.filter((s) => s.length >= MIN_SECRET_LENGTH);
}

/** `text` with every one of the channel's secrets (in any of its encodings) replaced by [redacted]. */
export function redactChannelSecrets(text: string, channel: { readonly secrets: readonly string[] }): string {
  // Longest first, so a URL is redacted whole before its path would leave the host behind.
  const all = [...new Set(channel.secrets.flatMap(variants))].sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of all) out = out.split(secret).join(REDACTED);
  return out;
}
