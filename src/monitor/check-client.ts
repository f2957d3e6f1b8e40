import { retryBudgetMs } from '../contract/defaults.js';
import { ExchangeClient } from '../exchange/client.js';
import type { ProxySettings } from '../exchange/proxy.js';
import { isRetryableReply } from './diagnosis.js';

/**
 * The exchange client every check uses (Lambda, rotation, CLI): the one retry rule from the
 * diagnosis table, and the one retry budget from the contract.
 */
export function checkClient(opts: { baseUrl: string; timeoutMs: number; proxy?: ProxySettings | null; ca?: string; connections?: number }): ExchangeClient {
  return new ExchangeClient({
    baseUrl: opts.baseUrl,
    timeoutMs: opts.timeoutMs,
    budgetMs: retryBudgetMs(opts.timeoutMs),
    retryable: isRetryableReply,
    ...(opts.proxy ? { proxy: opts.proxy } : {}),
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.connections ? { connections: opts.connections } : {}),
  });
}
