import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, MathExpression, Metric, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DIMENSION, METRIC } from '../../lambdas/contract/metrics.js';
import { SERVICE_NAME } from '../../lambdas/contract/service.js';
import type { Failure } from '../../lambdas/monitor/types.js';
import type { AlarmFactory } from './alarm-factory.js';
import { otherRunbook, runbookFor } from './alarm-text.js';

export interface KeyAlarmsProps {
  readonly keyName: string;
  readonly namespace: string;
  readonly period: Duration;
  readonly egressIp: string;
  readonly keyMaxAgeDays: number;
  readonly factory: AlarmFactory;
}

/** The failure classes that get an alarm of their own, each with its own runbook. */
export const ALARMED_FAILURES = ['AUTH_FAILED', 'IP_NOT_WHITELISTED', 'TRADE_PERMISSION_MISSING'] as const satisfies readonly Failure[];

/** Per key: one alarm per named failure class, one for anything else, one for key age. */
export class KeyAlarms extends Construct {
  readonly healthy: Metric;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: KeyAlarmsProps) {
    super(scope, id);
    const keyDims = { [DIMENSION.service]: SERVICE_NAME, [DIMENSION.key]: props.keyName };
    const metric = (metricName: string, statistic: string, extra: Record<string, string> = {}, period = props.period) =>
      new Metric({ namespace: props.namespace, metricName, dimensionsMap: { ...keyDims, ...extra }, statistic, period });
    this.healthy = metric(METRIC.healthy, 'Minimum');

    const failures = ALARMED_FAILURES.map((reason) => {
      const failure = metric(METRIC.failure, 'Sum', { [DIMENSION.reason]: reason });
      this.alarms.push(
        props.factory.create(this, reason, `${props.keyName}-${reason}`, { metric: failure, description: runbookFor(props.keyName, reason, props.egressIp) }),
      );
      return failure;
    });

    // Unhealthy, but not for one of the reasons above: those already alarm with a better runbook.
    const [a, i, t] = failures;
    const other = new MathExpression({
      expression: 'IF(h < 1 AND (FILL(a, 0) + FILL(i, 0) + FILL(t, 0)) == 0, 1, 0)',
      usingMetrics: { h: this.healthy, a: a as Metric, i: i as Metric, t: t as Metric },
      period: props.period,
      label: `${props.keyName} unhealthy (other reasons)`,
    });
    this.alarms.push(
      props.factory.create(this, 'OtherUnhealthy', `${props.keyName}-UNHEALTHY`, {
        metric: other,
        description: otherRunbook(props.keyName, props.egressIp),
        // Transient classes (429, 5xx) clear on their own; two runs in a row is worth a page.
        evaluationPeriods: 2,
      }),
    );

    this.alarms.push(
      props.factory.create(this, 'KeyAge', `${props.keyName}-KEY_AGE`, {
        metric: metric(METRIC.keyAgeDays, 'Maximum', {}, Duration.hours(1)),
        threshold: props.keyMaxAgeDays,
        comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          `Exchange key "${props.keyName}": the secret's current version is ${props.keyMaxAgeDays}+ days old. ` +
          'Create a new key on Crypto.com Exchange (Read + Trade as needed, IP whitelist ' +
          `${props.egressIp}) and rotate it in: README → Rotate a key.`,
      }),
    );
  }
}
