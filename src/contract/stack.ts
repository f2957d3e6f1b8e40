/**
 * The standalone stack's name and its output names: the CDK app writes them, and `key-monitor
 * status | mute | test-alert | rotate` look them up. No imports: everything may depend on this file.
 */
export const DEFAULT_STACK_NAME = 'ExchangeKeyMonitor';

export const OUTPUTS = {
  egressIps: 'EgressIps',
  alertTopicArn: 'AlertTopicArn',
  notificationQueueUrl: 'NotificationQueueUrl',
  deadLetterQueueArn: 'DeadLetterQueueArn',
  stateTableName: 'StateTableName',
  channelsSecretName: 'ChannelsSecretName',
  chatbotTopicArn: 'ChatbotTopicArn',
  checkFunctionName: 'CheckFunctionName',
  verifyFunctionName: 'VerifyFunctionName',
  rotationFunctionArn: 'RotationFunctionArn',
  dashboardUrl: 'DashboardUrl',
  ackUrl: 'AckUrl',
  scheduleMinutes: 'ScheduleMinutes',
  scheduleRuleName: 'ScheduleRuleName',
  egressMode: 'EgressMode',
  nextStep: 'NextStep',
  vpcId: 'VpcId',
  privateSubnetIds: 'PrivateSubnetIds',
  botSecurityGroupId: 'BotSecurityGroupId',
} as const;
