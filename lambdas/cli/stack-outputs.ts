import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { awsClientOptions, awsFault, callWithDeadline } from '../aws/aws-calls.js';

/** The deployed stack's outputs, as `key-monitor status | mute | unmute | test-alert` need them. */
export interface DeployedMonitor {
  readonly stackName: string;
  readonly stateTable: string;
  readonly queueUrl: string;
  readonly alertTopicArn: string | null;
  readonly chatbotTopicArn: string | null;
  readonly channelsSecretName: string | null;
  readonly dashboardUrl: string | null;
  readonly rotationFunctionArn: string | null;
  /** How often the monitor checks; null for a stack deployed before the output existed. */
  readonly scheduleMinutes: number | null;
}

export const DEFAULT_STACK = 'ExchangeKeyMonitor';

export class StackLookupError extends Error {
  override readonly name = 'StackLookupError';
}

export async function findDeployedMonitor(stackName: string, timeoutMs: number): Promise<DeployedMonitor> {
  const cf = new CloudFormationClient(awsClientOptions(timeoutMs));
  try {
    const res = await callWithDeadline((abortSignal) => cf.send(new DescribeStacksCommand({ StackName: stackName }), { abortSignal }));
    const outputs = new Map((res.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    const get = (k: string) => outputs.get(k) || null;
    const stateTable = get('StateTableName');
    const queueUrl = get('NotificationQueueUrl');
    if (!stateTable || !queueUrl) throw new StackLookupError(`stack ${stackName} has no StateTableName/NotificationQueueUrl outputs: is it an exchange-key-monitor stack of this version? (redeploy it)`);
    return {
      stackName,
      stateTable,
      queueUrl,
      alertTopicArn: get('AlertTopicArn'),
      chatbotTopicArn: get('ChatbotTopicArn'),
      channelsSecretName: get('ChannelsSecretName'),
      dashboardUrl: get('DashboardUrl'),
      rotationFunctionArn: get('RotationFunctionArn'),
      scheduleMinutes: Number(get('ScheduleMinutes')) || null,
    };
  } catch (err) {
    if (err instanceof StackLookupError) throw err;
    const { fault, errorName } = awsFault(err);
    const why =
      errorName === 'ValidationError'
        ? `no stack named ${stackName} in this account and region (pass --stack, or set AWS_REGION)`
        : fault === 'no-region'
          ? 'no AWS region is set (AWS_REGION)'
          : fault === 'no-aws-credentials'
            ? 'no valid AWS credentials (aws configure / aws sso login / AWS_PROFILE)'
            : fault === 'access-denied'
              ? `access denied reading stack ${stackName} (cloudformation:DescribeStacks)`
              : `could not read stack ${stackName} (${errorName})`;
    throw new StackLookupError(why);
  } finally {
    cf.destroy();
  }
}
