import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { awsClientOptions, awsFault, callWithDeadline } from './aws-calls.js';
import { OUTPUTS } from '../contract/stack.js';

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
  readonly checkFunctionName: string | null;
  readonly deadLetterQueueArn: string | null;
  /** The IPs to whitelist, as the stack says them. */
  readonly egressIps: readonly string[];
  readonly egressMode: string | null;
  readonly scheduleRuleName: string | null;
  /** Null for a stack deployed before the verify function existed. */
  readonly verifyFunctionName: string | null;
  /** How often the monitor checks; null for a stack deployed before the output existed. */
  readonly scheduleMinutes: number | null;
}

export class StackLookupError extends Error {
  override readonly name = 'StackLookupError';
}

export async function findDeployedMonitor(stackName: string, timeoutMs: number): Promise<DeployedMonitor> {
  // DescribeStacks without a name lists every stack: never let an empty name pick the first one.
  if (stackName.trim() === '') throw new StackLookupError('no stack name given (pass --stack)');
  const cf = new CloudFormationClient(awsClientOptions(timeoutMs));
  try {
    const res = await callWithDeadline((abortSignal) => cf.send(new DescribeStacksCommand({ StackName: stackName }), { abortSignal }));
    const stack = (res.Stacks ?? []).find((s) => s.StackId === stackName || s.StackName?.toLowerCase() === stackName.toLowerCase());
    if (!stack) throw new StackLookupError(`no stack named ${stackName} in this account and region (pass --stack, or set AWS_REGION)`);
    const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    const get = (k: string) => outputs.get(k) || null;
    const stateTable = get(OUTPUTS.stateTableName);
    const queueUrl = get(OUTPUTS.notificationQueueUrl);
    if (!stateTable || !queueUrl) {
      throw new StackLookupError(
        `stack ${stackName} has no ${OUTPUTS.stateTableName}/${OUTPUTS.notificationQueueUrl} outputs: is it an exchange-key-monitor stack of this version? (redeploy it)`,
      );
    }
    return {
      // The stack's own name, not as it was given (an ID or ARN): alarms and messages are named after it.
      stackName: stack.StackName ?? stackName,
      stateTable,
      queueUrl,
      alertTopicArn: get(OUTPUTS.alertTopicArn),
      chatbotTopicArn: get(OUTPUTS.chatbotTopicArn),
      channelsSecretName: get(OUTPUTS.channelsSecretName),
      dashboardUrl: get(OUTPUTS.dashboardUrl),
      rotationFunctionArn: get(OUTPUTS.rotationFunctionArn),
      verifyFunctionName: get(OUTPUTS.verifyFunctionName),
      checkFunctionName: get(OUTPUTS.checkFunctionName),
      deadLetterQueueArn: get(OUTPUTS.deadLetterQueueArn),
      egressIps: (get(OUTPUTS.egressIps) ?? '')
        .split(',')
        .map((ip) => ip.trim())
        .filter(Boolean),
      egressMode: get(OUTPUTS.egressMode),
      scheduleRuleName: get(OUTPUTS.scheduleRuleName),
      scheduleMinutes: Number(get(OUTPUTS.scheduleMinutes)) || null,
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
