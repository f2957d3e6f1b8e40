/** CloudWatch alarm state changes as SNS delivers them to an SQS subscription (raw delivery off). */

export const HEARTBEAT_DESCRIPTION = 'No check ran for 15 minutes. Open the check function’s logs; if the schedule is disabled, enable it (see the runbook).';

export function alarmMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    AlarmName: 'ekm-prod-heartbeat',
    AlarmDescription: HEARTBEAT_DESCRIPTION,
    AWSAccountId: '123456789012',
    AlarmConfigurationUpdatedTimestamp: '2026-01-01T09:00:00.000+0000',
    NewStateValue: 'ALARM',
    NewStateReason: 'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].',
    StateChangeTime: '2026-01-02T10:02:00.000+0000',
    Region: 'EU (Ireland)',
    AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ekm-prod-heartbeat',
    OldStateValue: 'OK',
    OKActions: ['arn:aws:sns:eu-west-1:123456789012:ekm-alarms'],
    AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:ekm-alarms'],
    InsufficientDataActions: [],
    Trigger: { MetricName: 'KeysChecked', Namespace: 'ExchangeKeyMonitor', Statistic: 'SUM', Period: 300, EvaluationPeriods: 3 },
    ...overrides,
  };
}

/** The envelope around a Message string (pass a non-JSON string to test garbage). */
export function snsEnvelope(message: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: '5d2c9f0e-1111-2222-3333-444455556666',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ekm-alarms',
    Subject: 'ALARM: "ekm-prod-heartbeat" in EU (Ireland)',
    Message: message,
    Timestamp: '2026-01-02T10:02:05.123Z',
    SignatureVersion: '1',
    Signature: 'c2lnbmF0dXJl',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem',
    UnsubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe',
    ...overrides,
  });
}

export const alarmEnvelope = (overrides: Record<string, unknown> = {}) => snsEnvelope(JSON.stringify(alarmMessage(overrides)));
