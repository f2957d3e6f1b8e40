import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Report } from '../monitor/types.js';
import { DIMENSION, LATENCY_METRIC, METRIC } from '../contract/metrics.js';

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
