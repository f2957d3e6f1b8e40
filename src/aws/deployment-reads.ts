/**
 * The AWS reads `key-monitor verify` makes of a deployed monitor, behind one port so each step can be
 * tested on the emulators and the Lambda invoke (which moto cannot run) replaced by the real handler
 * in process. Every call has the deadline the other commands use; faults are typed by class name.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetPolicyCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DEPLOYMENT_CHECK_EVENT } from '../contract/deployment-check.js';
import { awsClientOptions, awsFault, callWithDeadline } from './aws-calls.js';
import { secretsManagerClient } from './secrets.js';
import { snsClient } from './sns-publish.js';
import { topicSubscriptions, type TopicSubscriptionsRead } from './topic-subscriptions.js';

export interface AlarmState {
  readonly name: string;
  readonly actionsEnabled: boolean;
  readonly alarmActions: number;
}

export interface DeploymentReads {
  /** The check function's answer to a deployment check (RequestResponse); throttles waited out up to a minute. */
  invokeCheck(functionName: string): Promise<unknown>;
  ruleState(ruleName: string): Promise<'ENABLED' | 'DISABLED' | 'MISSING' | string>;
  /** The ARNs the rule invokes (empty when the rule is gone). */
  ruleTargets(ruleName: string): Promise<string[]>;
  alarms(names: readonly string[]): Promise<AlarmState[]>;
  queueDepth(queueArn: string): Promise<number>;
  /** The function's resource policy as JSON, or null when it has none. */
  invokePolicy(functionArn: string): Promise<string | null>;
  /** A secret's ARN from its name or ARN, or null when there is no such secret. */
  secretArn(secretId: string): Promise<string | null>;
  subscriptions(topicArn: string): Promise<TopicSubscriptionsRead>;
}

/** Exactly what the reads above and the test alert call: the README's IAM list for `verify`, checked against this. */
export const VERIFY_IAM_ACTIONS = [
  'cloudformation:DescribeStacks',
  'lambda:InvokeFunction',
  'lambda:GetPolicy',
  'events:DescribeRule',
  'events:ListTargetsByRule',
  'cloudwatch:DescribeAlarms',
  'sqs:GetQueueUrl',
  'sqs:GetQueueAttributes',
  'sqs:SendMessage',
  'kms:GenerateDataKey',
  'kms:Decrypt',
  'dynamodb:Query',
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'sns:ListSubscriptionsByTopic',
] as const;

/** A deployment check sends every probe for every key: a 1,000-key run takes about a minute. */
const INVOKE_TIMEOUT_MS = 130_000;
const THROTTLE_WAIT_MS = 60_000;

export class FunctionAnswerError extends Error {
  override readonly name = 'FunctionAnswerError';
}

const isNotFound = (err: unknown) => /NotFound/.test(awsFault(err).errorName);

/**
 * One client per service for the whole command, made on first use: `verify` reads a secret's ARN
 * per key, and a client per call would be a thousand of them. The CLI exits when it is done, so
 * nothing is closed here.
 */
function lazyClient<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

/** A read whose "not found" answer is a value, not a fault. */
async function orWhenMissing<T>(read: Promise<T>, missing: T): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (isNotFound(err)) return missing;
    throw err;
  }
}

export function awsDeploymentReads(timeoutMs: number, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): DeploymentReads {
  const opts = awsClientOptions(timeoutMs);
  const invoker = lazyClient(() => new LambdaClient({ ...awsClientOptions(INVOKE_TIMEOUT_MS), maxAttempts: 1 }));
  const lambda = lazyClient(() => new LambdaClient(opts));
  const events = lazyClient(() => new EventBridgeClient(opts));
  const cloudwatch = lazyClient(() => new CloudWatchClient(opts));
  const sqs = lazyClient(() => new SQSClient(opts));
  const secrets = lazyClient(() => secretsManagerClient({ timeoutMs }));
  const sns = lazyClient(() => snsClient({ timeoutMs }));
  return {
    async invokeCheck(functionName) {
      const started = Date.now();
      for (let wait = 2_000; ; wait = Math.min(wait * 2, 15_000)) {
        try {
          const res = await callWithDeadline(
            (abortSignal) =>
              invoker().send(
                new InvokeCommand({
                  FunctionName: functionName,
                  InvocationType: 'RequestResponse',
                  Payload: new TextEncoder().encode(JSON.stringify(DEPLOYMENT_CHECK_EVENT)),
                }),
                { abortSignal },
              ),
            INVOKE_TIMEOUT_MS + 5_000,
          );
          if (res.FunctionError) throw new FunctionAnswerError(`the check function failed (${res.FunctionError === 'Unhandled' ? 'Unhandled' : 'Handled'})`);
          return JSON.parse(new TextDecoder().decode(res.Payload ?? new Uint8Array())) as unknown;
        } catch (err) {
          // Reserved concurrency 1: a scheduled run in progress throttles the invoke until it ends.
          if (awsFault(err).errorName !== 'TooManyRequestsException' || Date.now() - started + wait > THROTTLE_WAIT_MS) throw err;
          await sleep(wait);
        }
      }
    },
    async ruleState(ruleName) {
      const rule = callWithDeadline((abortSignal) => events().send(new DescribeRuleCommand({ Name: ruleName }), { abortSignal }));
      return orWhenMissing(
        rule.then((r) => r.State ?? 'MISSING'),
        'MISSING',
      );
    },
    async ruleTargets(ruleName) {
      const arns: string[] = [];
      let NextToken: string | undefined;
      do {
        const listed = callWithDeadline((abortSignal) => events().send(new ListTargetsByRuleCommand({ Rule: ruleName, NextToken }), { abortSignal }));
        const page = await orWhenMissing(
          listed.then((p) => ({ arns: (p.Targets ?? []).flatMap((t) => (t.Arn ? [t.Arn] : [])), next: p.NextToken })),
          { arns: [], next: undefined },
        );
        arns.push(...page.arns);
        NextToken = page.next;
      } while (NextToken);
      return arns;
    },
    async alarms(names) {
      const res = await callWithDeadline((abortSignal) =>
        cloudwatch().send(new DescribeAlarmsCommand({ AlarmNames: [...names], MaxRecords: 100 }), { abortSignal }),
      );
      return (res.MetricAlarms ?? []).map((a) => ({
        name: a.AlarmName ?? '',
        actionsEnabled: a.ActionsEnabled === true,
        alarmActions: a.AlarmActions?.length ?? 0,
      }));
    },
    async queueDepth(queueArn) {
      const [, , , , account, name] = queueArn.split(':');
      const { QueueUrl } = await callWithDeadline((abortSignal) =>
        sqs().send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }), { abortSignal }),
      );
      const res = await callWithDeadline((abortSignal) =>
        sqs().send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }), { abortSignal }),
      );
      return Number(res.Attributes?.['ApproximateNumberOfMessages'] ?? 0);
    },
    async invokePolicy(functionArn) {
      const policy = callWithDeadline((abortSignal) => lambda().send(new GetPolicyCommand({ FunctionName: functionArn }), { abortSignal }));
      return orWhenMissing(
        policy.then((p) => p.Policy ?? null),
        null,
      );
    },
    async secretArn(secretId) {
      const described = callWithDeadline((abortSignal) => secrets().send(new DescribeSecretCommand({ SecretId: secretId }), { abortSignal }));
      return orWhenMissing(
        described.then((d) => d.ARN ?? null),
        null,
      );
    },
    subscriptions: (topicArn) => topicSubscriptions(sns(), topicArn),
  };
}
