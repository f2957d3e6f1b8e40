/**
 * Text that arrives from outside (exchange messages, HTML pages, AWS error names) is shown in a
 * terminal, logs and alerts. Before it goes anywhere it becomes one printable line: no control
 * characters (ESC sequences could repaint a terminal, a CR or newline could forge a "Diagnosis: OK"
 * line), no invisible or bidirectional-override characters, and nothing that looks like a
 * signature (an exchange that echoes the request would otherwise hand it back to us).
 */

// C0 (except space), DEL, C1, zero-width and bidi controls, line/paragraph separators, BOM.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;
/** A run of 32+ hex digits: an HMAC signature (64) or a hash-like token; nothing we need to show. */
const HEX_RUN = /[0-9a-fA-F]{32,}/g;

export const REDACTED = '[redacted]';

function dropTrailingHex(text: string): string {
  let end = text.length;
  while (end > 0 && /[0-9a-fA-F]/.test(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

export function displaySafe(text: string, maxLength = 200): string {
  // Bounded input first: everything below is linear, but there is no reason to scan megabytes. A hex
  // run the cut goes through is dropped whole: its visible part could be a signature's first digits.
  const bound = Math.max(maxLength * 4, 1_024);
  const head = text.length > bound ? dropTrailingHex(text.slice(0, bound)) : text;
  const flat = head.replace(UNPRINTABLE, ' ').replace(HEX_RUN, REDACTED).replace(/\s+/g, ' ').trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

/**
 * Remove every trace of the given secrets: whole values, and any fragment of 5+ characters of them
 * (an echo may carry a truncated or partly masked key). At most a key's first 4 characters survive.
 */
export function redactSecrets(text: string, sensitive: readonly (string | null | undefined)[]): string {
  const secrets = sensitive.filter((s): s is string => typeof s === 'string' && s.length >= 5);
  if (secrets.length === 0) return text;
  let out = text;
  for (const s of secrets) out = out.split(s).join(REDACTED);
  return out.replace(/[A-Za-z0-9+/=_-]{5,}/g, (token) => (secrets.some((s) => s.includes(token) || token.includes(s.slice(0, 8))) ? REDACTED : token));
}
