import type { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  TextWidget,
  type Alarm,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DIMENSION, METRIC } from '../../src/contract/metrics.js';
import { SERVICE_NAME } from '../../src/contract/service.js';
import type { MetricFactory } from './metric-factory.js';

export interface MonitorDashboardProps {
  readonly dashboardName: string;
  readonly namespace: string;
  readonly period: Duration;
  readonly metrics: MetricFactory;
  readonly egressIps: readonly string[];
  readonly alarms: readonly Alarm[];
  readonly checkLogGroup: logs.ILogGroup;
  readonly deadLetterDepth: IMetric;
}

/**
 * One page that works the same at 1 key and at 1,000: aggregate graphs of the fixed metric set, and
 * the per-key view from Logs Insights over the check function's log (one line per key per run), so
 * the number of widgets and metrics per widget never grows with the keys.
 */
export const LOG_QUERIES = {
  latestPerKey:
    'filter ispresent(diagnosis)\n| stats latest(diagnosis) as diagnosis, latest(healthy) as healthy, latest(keyPrefix) as key_prefix, latest(egressIp) as egress_ip, latest(@timestamp) as checked by key\n| sort healthy asc, key asc\n| limit 1000',
  failuresByKey: 'filter ispresent(diagnosis) and diagnosis != "OK"\n| stats count(*) as failed_runs by key, diagnosis\n| sort failed_runs desc\n| limit 100',
  slowestKeys: 'filter ispresent(elapsedMs)\n| stats avg(elapsedMs) as avg_ms, max(elapsedMs) as max_ms by key\n| sort avg_ms desc\n| limit 25',
} as const;

export class MonitorDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitorDashboardProps) {
    super(scope, id);
    const m = props.metrics;
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          `## Exchange key monitor\nEgress IP — whitelist it on every monitored key: **${props.egressIps.join(', ')}**\n\n` +
          'Per-key state is in the log tables below (one log line per key per run, with the diagnosis and the fix); ' +
          '`key-monitor status` prints the same with incidents and uptime.',
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Monitor alarms', alarms: [...props.alarms], width: 24, height: 3 }));
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Keys checked / unhealthy per run',
        left: [m.metric(METRIC.keysChecked, 'Maximum', { label: 'checked' }), m.metric(METRIC.keysUnhealthy, 'Maximum', { label: 'unhealthy' })],
        leftYAxis: { min: 0 },
        width: 8,
      }),
      new GraphWidget({
        title: 'Unhealthy keys by diagnosis',
        left: [
          new MathExpression({
            expression: `SEARCH('{${props.namespace},${DIMENSION.diagnosis},${DIMENSION.service}} MetricName="${METRIC.unhealthyKeys}" ${DIMENSION.service}="${SERVICE_NAME}"', 'Maximum', ${props.period.toSeconds()})`,
            label: '',
            period: props.period,
          }),
        ],
        leftYAxis: { min: 0 },
        width: 8,
      }),
      new GraphWidget({
        title: 'Exchange latency across keys (ms)',
        left: ['p50', 'p90', 'Maximum'].map((stat) => m.metric(METRIC.exchangeLatency, stat, { label: stat })),
        leftYAxis: { min: 0 },
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Notifications delivered / failed, dead letters',
        left: [m.metric(METRIC.deliveriesSent, 'Sum', { label: 'delivered' }), m.metric(METRIC.deliveriesFailed, 'Sum', { label: 'failed' })],
        right: [props.deadLetterDepth],
        width: 8,
      }),
      new LogQueryWidget({
        title: 'Latest state per key',
        logGroupNames: [props.checkLogGroup.logGroupName],
        queryString: LOG_QUERIES.latestPerKey,
        view: LogQueryVisualizationType.TABLE,
        width: 16,
        height: 8,
      }),
    );
    this.dashboard.addWidgets(
      new LogQueryWidget({
        title: 'Failures by key (dashboard time range)',
        logGroupNames: [props.checkLogGroup.logGroupName],
        queryString: LOG_QUERIES.failuresByKey,
        view: LogQueryVisualizationType.TABLE,
        width: 12,
        height: 8,
      }),
      new LogQueryWidget({
        title: 'Slowest keys',
        logGroupNames: [props.checkLogGroup.logGroupName],
        queryString: LOG_QUERIES.slowestKeys,
        view: LogQueryVisualizationType.TABLE,
        width: 12,
        height: 8,
      }),
    );
  }
}
