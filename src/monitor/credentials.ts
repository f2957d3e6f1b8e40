import { SECRET_EXAMPLE, SECRET_FIELDS } from '../contract/secret-shape.js';
import { redactSecrets } from '../exchange/text-safety.js';
import type { Credentials, SecretFault } from './types.js';

/**
 * Where credentials stand before any network call. Details name fields and character classes,
 * never values, and never a field name read from the secret (in the console's key/value form the
 * field name can be the API key itself).
 */
export type CredentialsVerdict =
  | { readonly ok: true; readonly credentials: Credentials }
  | { readonly ok: false; readonly failure: 'CREDENTIALS_MISSING' | 'CREDENTIALS_MALFORMED'; readonly detail: string }
  | { readonly ok: false; readonly failure: 'SECRET_NOT_READABLE' | 'SECRET_STORE_UNAVAILABLE'; readonly detail: string; readonly secretFault: SecretFault };

export interface RawCredentials {
  readonly apiKey?: string | undefined;
  readonly apiSecret?: string | undefined;
}

const FIELD_LABEL = { apiKey: 'API key', apiSecret: 'API secret' } as const;
// Crypto.com keys and secrets are short alphanumeric tokens; this only catches obvious paste errors.
const MIN_LENGTH = 8;
const MAX_LENGTH = 256;

const codePoint = (ch: string) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
const INVISIBLE = /[\u00a0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u2000-\u200f\u202a-\u202e\u2060-\u206f\u3000\u3164\ufeff\uffa0]/u;

/** What is wrong with one field, or null. Printable ASCII only: what a copied key really is. */
function fieldProblem(value: string, label: string): string | null {
  const invisible = INVISIBLE.exec(value)?.[0];
  if (invisible) return `${label} contains an invisible character (${codePoint(invisible)}), usually from copying out of a document or chat`;
  if (/^\s/.test(value) || /\s$/.test(value)) return `${label} has whitespace or a newline around it`;
  if (/["'`\u2018\u2019\u201c\u201d]/.test(value)) return `${label} contains a quote character`;
  if (/\s/.test(value)) return `${label} contains whitespace`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return `${label} contains a control character`;
  const foreign = /[^\x21-\x7e]/u.exec(value)?.[0];
  if (foreign) return `${label} contains a non-ASCII character (${codePoint(foreign)}); keys and secrets are plain letters and digits`;
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
  const problems = (['apiKey', 'apiSecret'] as const).map((f) => fieldProblem(raw[f] as string, FIELD_LABEL[f])).filter((p): p is string => p !== null);
  if (problems.length > 0) return { ok: false, failure: 'CREDENTIALS_MALFORMED', detail: problems.join('; ') };
  return { ok: true, credentials: { apiKey: raw.apiKey as string, apiSecret: raw.apiSecret as string } };
}

/** Field names people use for the same thing; only these are ever named back (they are not values). */
const KNOWN_ALIASES = ['api_key', 'api_secret', 'apikey', 'apisecret', 'key', 'secret', 'API_KEY', 'API_SECRET', 'EXCHANGE_API_KEY', 'EXCHANGE_API_SECRET'];

const malformed = (detail: string): CredentialsVerdict => ({ ok: false, failure: 'CREDENTIALS_MALFORMED', detail });

/**
 * The Secrets Manager value format: {"apiKey": "...", "apiSecret": "..."}.
 * A wrong shape is CREDENTIALS_MALFORMED, described without echoing anything from the secret.
 */
export function parseSecretString(text: string | undefined): CredentialsVerdict {
  if (text === undefined || text.trim() === '') {
    return { ok: false, failure: 'CREDENTIALS_MISSING', detail: 'the secret has no value yet' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return malformed(`the secret is not JSON; expected ${SECRET_EXAMPLE}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return malformed(`the secret is not a JSON object; expected ${SECRET_EXAMPLE}`);
  }
  const obj = json as Record<string, unknown>;
  const fields = Object.keys(obj);
  const hasKey = SECRET_FIELDS.apiKey in obj;
  const hasSecret = SECRET_FIELDS.apiSecret in obj;
  if (!hasKey && !hasSecret) {
    const aliases = fields.filter((f) => KNOWN_ALIASES.includes(f));
    if (aliases.length > 0) return malformed(`the secret uses the field names ${aliases.join(', ')}; rename them to apiKey and apiSecret`);
    if (fields.length === 0) return { ok: false, failure: 'CREDENTIALS_MISSING', detail: `the secret is an empty JSON object; expected ${SECRET_EXAMPLE}` };
    const hint =
      fields.length === 1
        ? ': it looks like the key was entered as the field name (the console’s key/value form); use two rows, named apiKey and apiSecret'
        : '';
    // The field names are not shown: in the key/value form one of them is the API key itself.
    return malformed(`the secret JSON has ${fields.length} field${fields.length === 1 ? '' : 's'} but neither apiKey nor apiSecret${hint}`);
  }
  const wrongType = (['apiKey', 'apiSecret'] as const).filter((f) => f in obj && typeof obj[f] !== 'string');
  if (wrongType.length > 0) return malformed(`${wrongType.join(' and ')} must be a string in the secret JSON`);
  const verdict = validateCredentials({ apiKey: obj['apiKey'] as string | undefined, apiSecret: obj['apiSecret'] as string | undefined });
  if (!verdict.ok && verdict.failure === 'CREDENTIALS_MISSING') {
    return {
      ...verdict,
      detail:
        hasKey && hasSecret ? `${verdict.detail}: the secret still holds empty values` : `${verdict.detail} in the secret JSON; expected ${SECRET_EXAMPLE}`,
    };
  }
  return verdict;
}

/** The most of a key we ever show: its first 4 characters. */
export function keyPrefix(apiKey: string | undefined | null): string | null {
  return apiKey ? apiKey.slice(0, 4) : null;
}

/** A last guard on text leaving the process: no trace of the key or secret beyond 4 characters. */
export { redactSecrets as redact };
