import type { Duration } from 'aws-cdk-lib';
import { AlarmStatusWidget, Dashboard, GraphWidget, MathExpression, Metric, SingleValueWidget, TextWidget, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DIMENSION, LATENCY_METRIC, METRIC } from '../../lambdas/contract/metrics.js';
import { SERVICE_NAME } from '../../lambdas/contract/service.js';

export interface MonitorDashboardProps {
  readonly dashboardName: string;
  readonly namespace: string;
  readonly keyNames: readonly string[];
  readonly period: Duration;
  readonly egressIp: string;
  readonly alarms: readonly Alarm[];
}

/** One page: the IP to whitelist, alarm states, per-key health, latency and failure reasons. */
export class MonitorDashboard extends Construct {
  constructor(scope: Construct, id: string, props: MonitorDashboardProps) {
    super(scope, id);
    const m = (key: string, metricName: string, statistic: string) =>
      new Metric({
        namespace: props.namespace,
        metricName,
        dimensionsMap: { [DIMENSION.service]: SERVICE_NAME, [DIMENSION.key]: key },
        statistic,
        period: props.period,
        label: `${key} ${metricName}`,
      });
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    dashboard.addWidgets(
      new TextWidget({
        markdown:
          `## Exchange key monitor\nEgress IP — whitelist it on every monitored key: **${props.egressIp}**\n\n` +
          'Each alarm description is its runbook. The check Lambda logs one line per key per run with the diagnosis and fix.',
        width: 24,
        height: 3,
      }),
    );
    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }));
    dashboard.addWidgets(
      new GraphWidget({ title: 'Key health (1 = healthy)', left: props.keyNames.map((k) => m(k, METRIC.healthy, 'Minimum')), leftYAxis: { min: 0, max: 1 }, width: 12 }),
      new GraphWidget({
        title: 'Failure reasons',
        left: [
          new MathExpression({
            expression: `SEARCH('{${props.namespace},${DIMENSION.service},${DIMENSION.key},${DIMENSION.reason}} MetricName="${METRIC.failure}"', 'Sum', ${props.period.toSeconds()})`,
            label: '',
            period: props.period,
          }),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Exchange latency (ms)',
        left: props.keyNames.flatMap((k) => Object.values(LATENCY_METRIC).map((name) => m(k, name as string, 'Average'))),
        width: 12,
      }),
      new SingleValueWidget({
        title: 'Balances seen / key age (days)',
        metrics: props.keyNames.flatMap((k) => [m(k, METRIC.balances, 'Maximum'), m(k, METRIC.keyAgeDays, 'Maximum')]),
        width: 12,
      }),
    );
  }
}
