import { KEY_CONCURRENCY } from '../contract/defaults.js';
import type { CheckTarget } from '../monitor/checks.js';
import { checkClient } from '../monitor/check-client.js';
import type { RuntimeConfig } from '../monitor/runtime-config.js';

/**
 * The Lambdas' check target: the deployed egress expectations and one pooled client per process,
 * so warm invocations reuse connections. Shared by the check and rotation handlers.
 */
export function lambdaCheckTarget(config: Pick<RuntimeConfig, 'baseUrl' | 'timeoutMs' | 'expectedIps' | 'ipEchoUrl'>): CheckTarget {
  const exchange = checkClient({ baseUrl: config.baseUrl, timeoutMs: config.timeoutMs, connections: Math.min(KEY_CONCURRENCY, 32) });
  return { expectedIps: config.expectedIps, ipEchoUrl: config.ipEchoUrl, exchange, site: 'aws' };
}

/** Leave this much of the Lambda's time to record metrics and logs after the checks. */
export const RUN_MARGIN_MS = 3_000;
