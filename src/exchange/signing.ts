import { createHmac } from 'node:crypto';

/**
 * Crypto.com Exchange v1 request signing (HMAC-SHA256, lowercase hex).
 *
 * payload = method + id + api_key + paramString(params) + nonce
 *
 * The official samples (JS, Python, Java, C#) and the popular clients only agree on the parameter
 * string for flat objects of strings, `null`, and arrays of such flat objects. Anything else would
 * sign differently depending on which implementation the exchange happens to match, so it is
 * refused instead of guessed at.
 */

/** A value every known implementation turns into the same text. */
export type SignableScalar = string | null;
export type SignableObject = { readonly [key: string]: SignableScalar | readonly FlatObject[] };
export type FlatObject = { readonly [key: string]: SignableScalar };

export class UnsignableParamError extends Error {
  override readonly name = 'UnsignableParamError';
  constructor(
    readonly path: string,
    readonly valueType: string,
  ) {
    super(`parameter "${path}" is a ${valueType}; implementations of the v1 signature disagree on ` + 'that type, so send it as a string');
  }
}

export interface SignableRequest {
  readonly method: string;
  /** Sent as a JSON integer; the text signed must be the text sent. */
  readonly id: number;
  readonly apiKey: string;
  readonly params: SignableObject;
  /** Milliseconds since the epoch, sent as a JSON integer. */
  readonly nonce: number;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined value';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'nested object' : typeof value;
}

function scalarText(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'null';
  throw new UnsignableParamError(path, describe(value));
}

// Code-unit order, which is what the official JS sample's `.sort()` does.
const sortedKeys = (obj: object): string[] => Object.keys(obj).sort();

/** The "key + value" concatenation of the official algorithm, for the subset all agree on. */
export function paramString(params: SignableObject): string {
  let out = '';
  for (const key of sortedKeys(params)) {
    const value: unknown = params[key];
    if (Array.isArray(value)) {
      out += key;
      value.forEach((item: unknown, index) => {
        const itemPath = `${key}[${index}]`;
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          // The official Python sample crashes on a list of scalars; no shared meaning.
          throw new UnsignableParamError(itemPath, describe(item) + ' inside an array');
        }
        for (const innerKey of sortedKeys(item)) {
          out += innerKey + scalarText((item as Record<string, unknown>)[innerKey], `${itemPath}.${innerKey}`);
        }
      });
    } else {
      out += key + scalarText(value, key);
    }
  }
  return out;
}

export function signingPayload(req: SignableRequest): string {
  if (!Number.isSafeInteger(req.id) || !Number.isSafeInteger(req.nonce)) {
    // A float or huge number would print differently from what the server parses.
    throw new UnsignableParamError(Number.isSafeInteger(req.id) ? 'nonce' : 'id', 'non-integer number');
  }
  return req.method + String(req.id) + req.apiKey + paramString(req.params) + String(req.nonce);
}

export function sign(req: SignableRequest, secret: string): string {
  // A string key is taken as UTF-8, as Buffer.from(secret, 'utf8') would give, without the extra buffer per request.
  return createHmac('sha256', secret).update(signingPayload(req), 'utf8').digest('hex');
}

/** The JSON body for a private REST call: id and nonce as integers, params always an object. */
export interface SignedBody {
  id: number;
  method: string;
  api_key: string;
  params: SignableObject;
  nonce: number;
  sig: string;
}

export function signedBody(req: SignableRequest, secret: string): SignedBody {
  return { id: req.id, method: req.method, api_key: req.apiKey, params: req.params, nonce: req.nonce, sig: sign(req, secret) };
}
