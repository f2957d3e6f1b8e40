import type { CheckName } from '../monitor/types.js';

/**
 * Metric names and dimensions, shared with the CDK alarms and dashboard so they cannot drift.
 * Every name × dimension combination is a billed custom metric: keep this list short.
 */
export const METRIC = {
  healthy: 'Healthy',
  failure: 'Failure',
  balances: 'BalancesSeen',
  keyAgeDays: 'KeyAgeDays',
  keysChecked: 'KeysChecked',
} as const;
export const DIMENSION = { service: 'service', key: 'Key', reason: 'Reason' } as const;

/** Latency is recorded for the calls that reach the exchange, one metric each. */
export const LATENCY_METRIC: Partial<Record<CheckName, string>> = {
  'public-api': 'LatencyPublicApi',
  'signed-read': 'LatencySignedRead',
  'trade-permission': 'LatencyTradeProbe',
};
