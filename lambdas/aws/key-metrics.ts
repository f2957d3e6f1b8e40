import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { CheckName, Report } from '../core/types.js';

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
export const DIMENSION = { key: 'Key', reason: 'Reason' } as const;

/** Latency is recorded for the calls that reach the exchange, one metric each. */
export const LATENCY_METRIC: Partial<Record<CheckName, string>> = {
  'public-api': 'LatencyPublicApi',
  'signed-read': 'LatencySignedRead',
  'trade-permission': 'LatencyTradeProbe',
};

export function recordKeyMetrics(metrics: Metrics, keyName: string, report: Report, keyAgeDays: number | null): void {
  metrics.addDimension(DIMENSION.key, keyName);
  metrics.addMetric(METRIC.healthy, MetricUnit.Count, report.healthy ? 1 : 0);
  for (const check of report.checks) {
    const name = LATENCY_METRIC[check.name];
    if (name && check.status !== 'skip' && check.latencyMs > 0) metrics.addMetric(name, MetricUnit.Milliseconds, check.latencyMs);
    if (check.balances) metrics.addMetric(METRIC.balances, MetricUnit.Count, check.balances.count);
  }
  if (keyAgeDays !== null) metrics.addMetric(METRIC.keyAgeDays, MetricUnit.Count, keyAgeDays);
  // One EMF document per key; publishing also clears the Key dimension for the next key.
  metrics.publishStoredMetrics();
  if (!report.healthy) {
    const failure = metrics.singleMetric();
    failure.addDimension(DIMENSION.key, keyName);
    failure.addDimension(DIMENSION.reason, report.diagnosis);
    failure.addMetric(METRIC.failure, MetricUnit.Count, 1);
  }
}
