import type { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { DIMENSION, METRIC } from '../../src/contract/metrics.js';
import { SERVICE_NAME } from '../../src/contract/service.js';

/**
 * The one place alarms and the dashboard get the monitor's custom metrics from: namespace, name and
 * every dimension exactly as the Lambdas emit them (Powertools adds `service`), or an alarm would
 * watch a metric that never arrives and stay silent forever.
 */
export class MetricFactory {
  constructor(
    private readonly namespace: string,
    private readonly period: Duration,
  ) {}

  metric(
    name: (typeof METRIC)[keyof typeof METRIC],
    statistic: string,
    opts: { label?: string; dimensions?: Record<string, string>; period?: Duration } = {},
  ): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: name,
      dimensionsMap: { [DIMENSION.service]: SERVICE_NAME, ...opts.dimensions },
      statistic,
      period: opts.period ?? this.period,
      ...(opts.label ? { label: opts.label } : {}),
    });
  }
}
