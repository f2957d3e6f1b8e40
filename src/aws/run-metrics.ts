import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { DIMENSION, METRIC } from '../contract/metrics.js';
import type { KeyOutcome } from '../monitor/check-run.js';

/**
 * The run's metrics: a fixed set that does not grow with the number of keys (each name × dimension
 * combination is a billed custom metric). Per-key history goes to the incident store and the log.
 *   KeysChecked        the heartbeat: one value per completed run
 *   KeysUnhealthy      keys not OK in this run
 *   ExchangeLatency    one value per key (signed read round trip); graph its percentiles
 *   UnhealthyKeys      per Diagnosis, only for diagnoses seen in this run (at most one per class)
 */
export function recordRunMetrics(metrics: Metrics, outcomes: readonly KeyOutcome[]): void {
  const unhealthy = outcomes.filter((o) => !o.report.healthy);
  metrics.addMetric(METRIC.keysChecked, MetricUnit.Count, outcomes.length);
  metrics.addMetric(METRIC.keysUnhealthy, MetricUnit.Count, unhealthy.length);
  for (const o of outcomes) {
    const read = o.report.checks.find((c) => c.name === 'signed-read');
    if (read && read.status !== 'skip' && read.latencyMs > 0) metrics.addMetric(METRIC.exchangeLatency, MetricUnit.Milliseconds, read.latencyMs);
  }
  const byDiagnosis = new Map<string, number>();
  for (const o of unhealthy) byDiagnosis.set(o.report.diagnosis, (byDiagnosis.get(o.report.diagnosis) ?? 0) + 1);
  for (const [diagnosis, count] of byDiagnosis) {
    const single = metrics.singleMetric();
    single.addDimension(DIMENSION.diagnosis, diagnosis);
    single.addMetric(METRIC.unhealthyKeys, MetricUnit.Count, count);
  }
}
