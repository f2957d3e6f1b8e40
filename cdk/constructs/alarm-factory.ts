import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { monitorAlarmName, type MonitorAlarmName } from '../../src/contract/alarms.js';

export interface MonitorAlarmProps {
  readonly metric: cloudwatch.IMetric;
  /** `<what happened>. <the fix>`: the notifier shows the first sentence as the headline. */
  readonly description: string;
  readonly threshold?: number;
  readonly comparison?: ComparisonOperator;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  readonly treatMissingData?: TreatMissingData;
  /** Where ALARM and OK go, when not the default topic. */
  readonly topics?: readonly sns.ITopic[];
  /**
   * Send OK as well (default). Off only for an alarm whose OK proves nothing: a count of events
   * that returns to zero when nothing happens, not when the fault is fixed.
   */
  readonly okAction?: boolean;
}

/** CloudWatch caps alarm descriptions at 1024 characters. */
export const MAX_DESCRIPTION = 1024;

/**
 * Every alarm the same way: ALARM *and* OK actions, so "resolved" is never forgotten, to one topic
 * that feeds the notification queue (the same path and format as every other notification). An
 * alarm may add the email topic, for when the notifier itself is what fails.
 */
export class AlarmFactory extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly opts: { topic: sns.ITopic; prefix: string },
  ) {
    super(scope, id);
  }

  create(scope: Construct, id: string, name: MonitorAlarmName, props: MonitorAlarmProps): Alarm {
    if (props.description.length > MAX_DESCRIPTION) throw new Error(`alarm ${name}: description longer than ${MAX_DESCRIPTION} characters`);
    const alarm = new Alarm(scope, id, {
      alarmName: monitorAlarmName(this.opts.prefix, name),
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold ?? 1,
      comparisonOperator: props.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      datapointsToAlarm: props.datapointsToAlarm ?? props.evaluationPeriods ?? 1,
      treatMissingData: props.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    for (const topic of props.topics ?? [this.opts.topic]) {
      const action = new SnsAction(topic);
      alarm.addAlarmAction(action);
      if (props.okAction ?? true) alarm.addOkAction(action);
    }
    this.alarms.push(alarm);
    return alarm;
  }
}
