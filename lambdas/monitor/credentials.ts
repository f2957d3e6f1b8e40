import type { Credentials } from './types.js';

/** Where credentials stand before any network call. Details name fields, never values. */
export type CredentialsVerdict =
  | { readonly ok: true; readonly credentials: Credentials }
  | { readonly ok: false; readonly failure: 'CREDENTIALS_MISSING' | 'CREDENTIALS_MALFORMED'; readonly detail: string };

export interface RawCredentials {
  readonly apiKey?: string | undefined;
  readonly apiSecret?: string | undefined;
}

const FIELD_LABEL = { apiKey: 'API key', apiSecret: 'API secret' } as const;
// Crypto.com keys and secrets are short alphanumeric tokens; this only catches obvious paste errors.
const MIN_LENGTH = 8;
const MAX_LENGTH = 256;

/** What is wrong with one field, or null. */
function fieldProblem(value: string, label: string): string | null {
  if (/^\s/.test(value) || /\s$/.test(value)) return `${label} has whitespace or a newline around it`;
  if (/["'`\u2018\u2019\u201c\u201d]/.test(value)) return `${label} contains a quote character`;
  if (/\s/.test(value)) return `${label} contains whitespace`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return `${label} contains a control character`;
  if (value.length < MIN_LENGTH || value.length > MAX_LENGTH) {
    return `${label} is ${value.length} characters long, outside the plausible ${MIN_LENGTH}–${MAX_LENGTH}`;
  }
  return null;
}

export function validateCredentials(raw: RawCredentials): CredentialsVerdict {
  const missing = (['apiKey', 'apiSecret'] as const).filter((f) => !raw[f]);
  if (missing.length > 0) {
    return { ok: false, failure: 'CREDENTIALS_MISSING', detail: `${missing.map((f) => FIELD_LABEL[f]).join(' and ')} not set` };
  }
  const problems = (['apiKey', 'apiSecret'] as const)
    .map((f) => fieldProblem(raw[f] as string, FIELD_LABEL[f]))
    .filter((p): p is string => p !== null);
  if (problems.length > 0) return { ok: false, failure: 'CREDENTIALS_MALFORMED', detail: problems.join('; ') };
  return { ok: true, credentials: { apiKey: raw.apiKey as string, apiSecret: raw.apiSecret as string } };
}

/**
 * The Secrets Manager value format: {"apiKey": "...", "apiSecret": "..."}.
 * A wrong shape is CREDENTIALS_MALFORMED with the field names seen, never their values.
 */
export function parseSecretString(text: string | undefined): CredentialsVerdict {
  if (text === undefined || text.trim() === '') {
    return { ok: false, failure: 'CREDENTIALS_MISSING', detail: 'the secret has no value yet' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, failure: 'CREDENTIALS_MALFORMED', detail: 'the secret is not JSON; expected {"apiKey":"…","apiSecret":"…"}' };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, failure: 'CREDENTIALS_MALFORMED', detail: 'the secret is not a JSON object; expected {"apiKey":"…","apiSecret":"…"}' };
  }
  const obj = json as Record<string, unknown>;
  const wrongType = (['apiKey', 'apiSecret'] as const).filter((f) => f in obj && typeof obj[f] !== 'string');
  if (wrongType.length > 0) {
    return { ok: false, failure: 'CREDENTIALS_MALFORMED', detail: `${wrongType.join(' and ')} must be a string in the secret JSON` };
  }
  const verdict = validateCredentials({ apiKey: obj['apiKey'] as string | undefined, apiSecret: obj['apiSecret'] as string | undefined });
  if (!verdict.ok && verdict.failure === 'CREDENTIALS_MISSING' && !('apiKey' in obj && 'apiSecret' in obj)) {
    const fields = Object.keys(obj).slice(0, 5).join(', ') || 'none';
    return { ...verdict, detail: `${verdict.detail} in the secret JSON (fields found: ${fields}; expected apiKey, apiSecret)` };
  }
  if (!verdict.ok && verdict.failure === 'CREDENTIALS_MISSING') return { ...verdict, detail: `${verdict.detail}: the secret still holds empty values` };
  return verdict;
}

/** The most of a key we ever show: its first 4 characters. */
export function keyPrefix(apiKey: string | undefined): string | null {
  return apiKey ? apiKey.slice(0, 4) : null;
}

/** Replace any occurrence of the given sensitive strings; a last guard on text leaving the process. */
export function redact(text: string, sensitive: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of sensitive) {
    if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out;
}
