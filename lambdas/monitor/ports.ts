import type { TimedReply } from '../exchange/client.js';
import type { SignableObject } from '../exchange/signing.js';
import type { Credentials } from './types.js';

/**
 * The named ports the monitor's use cases talk through. Adapters (the undici exchange client, the
 * AWS SDK stores) implement them; tests can implement them over loopback or in memory.
 */

/** The exchange as the checks see it. */
export interface ExchangePort {
  publicGet(method: string, query: Record<string, string>): Promise<TimedReply>;
  privatePost(method: string, params: SignableObject, credentials: Credentials): Promise<TimedReply>;
  /** A plain-text GET, for the IP echo. */
  getText(url: string): Promise<{ text: string | null; timed: TimedReply }>;
}
