import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { VERIFY_IAM_ACTIONS } from '../../src/aws/deployment-reads.js';
import { verifyCommand } from '../../src/cli/verify.js';

/**
 * The IAM list docs/deploy.md gives for `key-monitor verify` is what its AWS calls need, no more and
 * no less: every SDK client the command can reach is stubbed, one verify runs through every step,
 * and each command sent is named as its IAM action.
 */
const clients = {
  cloudformation: CloudFormationClient,
  cloudwatch: CloudWatchClient,
  dynamodb: DynamoDBClient,
  events: EventBridgeClient,
  lambda: LambdaClient,
  secretsmanager: SecretsManagerClient,
  sns: SNSClient,
  sqs: SQSClient,
} as const;
const mocks = Object.entries(clients).map(([service, client]) => ({ service, mock: mockClient(client as never) }));
afterAll(() => mocks.forEach((m) => m.mock.restore()));

describe('the IAM key-monitor verify needs', () => {
  it('is exactly the actions its calls make (with the KMS actions an encrypted queue asks of a sender)', async () => {
    for (const { mock } of mocks) mock.onAnyCommand().resolves({});
    const outputs = {
      StateTableName: 't',
      NotificationQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
      DeadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
      AlertTopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
      ChannelsSecretName: 'Stack/channels',
      CheckFunctionName: 'Stack-Check',
      RotationFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Stack-Rotation',
      EgressIps: '203.0.113.7',
      EgressMode: 'own-nat',
      ScheduleRuleName: 'Stack-Schedule',
    };
    const find = (service: string) => mocks.find((m) => m.service === service)!.mock;
    find('cloudformation')
      .on(DescribeStacksCommand)
      .resolves({
        Stacks: [{ StackName: 'Stack', Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] as never,
      });
    find('lambda')
      .on(InvokeCommand)
      .resolves({
        StatusCode: 200,
        Payload: new TextEncoder().encode(
          JSON.stringify({
            keys: [
              { key: 'k', secretId: 's', keyPrefix: 'Ab3x', diagnosis: 'OK', healthy: true, title: 't', advice: 'a', egressIp: '203.0.113.7', probes: [] },
            ],
          }),
        ) as never,
      });
    find('sqs')
      .on(GetQueueUrlCommand)
      .resolves({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq' })
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: 'n0', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [] });
    find('secretsmanager')
      .on(GetSecretValueCommand)
      .resolves({ SecretString: '{}' })
      .on(DescribeSecretCommand)
      .resolves({ ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf' });
    find('sns').on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    find('dynamodb').on(QueryCommand).resolves({ Items: [] });
    const code = await verifyCommand(
      { command: 'verify', stack: 'Stack', json: true, waitSeconds: 1, timeoutMs: 1_000 },
      { out: () => {}, err: () => {} },
      { pollMs: 10 },
    );
    expect(code).toBe(1); // nothing delivered: the channels step waits and fails, every other step ran
    // IAM names two operations differently from the SDK: Invoke is lambda:InvokeFunction, a batch send is sqs:SendMessage.
    const iamName: Record<string, string> = { 'lambda:Invoke': 'lambda:InvokeFunction', 'sqs:SendMessageBatch': 'sqs:SendMessage' };
    const used = new Set(
      mocks.flatMap(({ service, mock }) =>
        mock.calls().map((c) => {
          const op = `${service}:${(c.args[0] as object).constructor.name.replace(/Command$/, '')}`;
          return iamName[op] ?? op;
        }),
      ),
    );
    // SendMessage to a queue encrypted with a customer-managed key needs these two of KMS as well.
    expect([...used, 'kms:GenerateDataKey', 'kms:Decrypt'].sort()).toEqual([...VERIFY_IAM_ACTIONS].sort());
  });
});
