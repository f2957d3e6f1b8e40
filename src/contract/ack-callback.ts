import { createHash } from 'node:crypto';

/**
 * How a Telegram Acknowledge button names its incident within callback_data's 64 bytes: the digest of
 * the signed Acknowledge link the same message carries. A press brings the message back with it; the
 * acknowledge endpoint finds the link among its entities, checks that it is the one the button names,
 * and then checks the link's own signature like any other. The notifier and the endpoint share this.
 */
export const ACK_LINK_LABEL = 'Acknowledge';
export const ACK_CALLBACK_PREFIX = 'ack:';

/** `ack:` + 22 characters: the first 16 bytes of SHA-256 over the link's token. */
export function ackCallbackData(linkUrl: string): string | null {
  let token: string | null;
  try {
    token = new URL(linkUrl).searchParams.get('t');
  } catch {
    return null;
  }
  return token ? `${ACK_CALLBACK_PREFIX}${createHash('sha256').update(token).digest().subarray(0, 16).toString('base64url')}` : null;
}
