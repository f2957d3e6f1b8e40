import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readSecretText, secretsManagerClient } from './secrets.js';

/** The ack secret could not be read: links cannot be signed or checked. */
export class AckKeyUnavailable extends Error {
  override readonly name = 'AckKeyUnavailable';
}

/** Read again after this long, so a rotated key takes over without a redeploy. */
const TTL_MS = 5 * 60_000;

/** The HMAC key of Acknowledge links, read from its secret and kept for a few minutes. */
export function ackKeyReader(secretId: string, client: SecretsManagerClient = secretsManagerClient(), now: () => number = Date.now): () => Promise<string> {
  let cached: { at: number; key: string } | null = null;
  return async () => {
    if (cached && now() - cached.at < TTL_MS) return cached.key;
    const read = await readSecretText(secretId, client);
    if (!read.ok) throw new AckKeyUnavailable(read.detail);
    cached = { at: now(), key: read.text };
    return read.text;
  };
}
