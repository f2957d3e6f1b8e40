import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface MonitorAlarmProps {
  readonly metric: cloudwatch.IMetric;
  readonly description: string;
  readonly threshold?: number;
  readonly comparison?: ComparisonOperator;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  readonly treatMissingData?: TreatMissingData;
}

/** CloudWatch caps alarm descriptions at 1024 characters. */
export const MAX_DESCRIPTION = 1024;

/**
 * Every alarm the same way: alarm *and* OK actions to the one topic, so "resolved" is never
 * forgotten, and one switch (muted) for maintenance windows.
 */
export class AlarmFactory extends Construct {
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(
    scope: Construct,
    id: string,
    private readonly opts: { topic: sns.ITopic; prefix: string; muted: boolean },
  ) {
    super(scope, id);
    this.action = new SnsAction(opts.topic);
  }

  create(scope: Construct, id: string, name: string, props: MonitorAlarmProps): Alarm {
    const alarm = new Alarm(scope, id, {
      alarmName: `${this.opts.prefix}-${name}`,
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold ?? 1,
      comparisonOperator: props.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      datapointsToAlarm: props.datapointsToAlarm ?? props.evaluationPeriods ?? 1,
      treatMissingData: props.treatMissingData ?? TreatMissingData.NOT_BREACHING,
      actionsEnabled: !this.opts.muted,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}
