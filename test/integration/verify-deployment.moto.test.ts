import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricAlarmCommand, DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DisableRuleCommand, EnableRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CachedChannelsSecret } from '../../src/aws/channels-secret.js';
import { DynamoDeliveryLedger } from '../../src/aws/delivery-ledger.js';
import { dynamoDbCall } from '../../src/aws/dynamodb-call.js';
import { awsDeploymentReads, FunctionAnswerError, type DeploymentReads } from '../../src/aws/deployment-reads.js';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { SqsMessageVisibility, SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import { CachedSecrets } from '../../src/aws/secrets.js';
import { SnsPublisher } from '../../src/aws/sns-publish.js';
import { createHttpSender, type HttpSender } from '../../src/channels/deliver.js';
import { MONITOR_ALARM_NAMES } from '../../src/contract/alarms.js';
import { DEPLOYMENT_CHECK_EVENT } from '../../src/contract/deployment-check.js';
import { verifyCommand } from '../../src/cli/verify.js';
import { buildNotifyHandler } from '../../src/handlers/notify.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import type { Credentials } from '../../src/monitor/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import { sqsEventOf } from '../support/sqs-event.js';
import { captureOutput, createStateTable, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

/**
 * `key-monitor verify` against a deployed monitor on moto_server: the stack's outputs, its schedule
 * rule, alarms, queues, topic and secrets are real emulated resources; the check function's invoke
 * (moto cannot run a Lambda) is the real check handler in this process with the sandbox exchange, and
 * the real notifier works the queue. The rotation function's policy is what Lambda builds from the
 * stack's permission (moto cannot create the function without IAM), given through the reads port.
 */
const context = (name: string) => ({ functionName: name, awsRequestId: 'req', getRemainingTimeInMillis: () => 60_000 }) as unknown as Context;
const STACK = 'Verified';
const DEPLOY_DOC = fileURLToPath(new URL('../../docs/deploy.md', import.meta.url));
const EGRESS = '203.0.113.7';
let stackId = '';
let putAlarm: (name: string) => Promise<unknown>;
const CHECK_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:Verified-Check';

describe.skipIf(toolMissing('moto_server'))('key-monitor verify, right after a deploy', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sqs: SQSClient;
  let queueUrl: string;
  let queueArn: string;
  let dlqUrl: string;
  let sender: HttpSender;
  let notify: ReturnType<typeof buildNotifyHandler>;
  let check: ReturnType<Awaited<typeof import('../../src/handlers/check.js')>['buildCheckHandler']>;
  const keys = new Map<string, Credentials>();
  const secretArns = new Map<string, string>();
  const alarmName = (n: string) => `${STACK}-${n}`;
  let policyFor: (arns: string[]) => string;

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    sqs = new SQSClient({});
    const sns = new SNSClient({});
    const sm = new SecretsManagerClient({});
    await createStateTable('verified-state');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'verified-notifications', Attributes: { VisibilityTimeout: '0' } }))).QueueUrl as string;
    queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'] as string;
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'verified-dead-letters' }))).QueueUrl as string;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'] as string;
    const topic = (await sns.send(new CreateTopicCommand({ Name: 'verified-alerts' }))).TopicArn as string;
    await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'email', Endpoint: 'ops@example.com' }));
    await sm.send(new CreateSecretCommand({ Name: 'verified/channels', SecretString: '{}' }));
    for (const name of ['trading', 'hedge']) {
      const creds = sandbox.mint('healthy');
      keys.set(name, creds);
      secretArns.set(name, (await sm.send(new CreateSecretCommand({ Name: `verified/${name}`, SecretString: JSON.stringify(creds) }))).ARN as string);
    }
    await new EventBridgeClient({}).send(new PutRuleCommand({ Name: 'verified-schedule', ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' }));
    await new EventBridgeClient({}).send(new PutTargetsCommand({ Rule: 'verified-schedule', Targets: [{ Id: 'Check', Arn: CHECK_ARN }] }));
    putAlarm = (n) =>
      new CloudWatchClient({}).send(
        new PutMetricAlarmCommand({
          AlarmName: alarmName(n),
          MetricName: n,
          Namespace: 'ExchangeKeyMonitor',
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmActions: [topic],
          ActionsEnabled: true,
        }),
      );
    for (const n of MONITOR_ALARM_NAMES) await putAlarm(n);
    const outputs = {
      StateTableName: 'verified-state',
      NotificationQueueUrl: queueUrl,
      DeadLetterQueueArn: dlqArn,
      AlertTopicArn: topic,
      ChannelsSecretName: 'verified/channels',
      CheckFunctionName: 'Verified-Check',
      RotationFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Verified-Rotation',
      EgressIps: EGRESS,
      EgressMode: 'own-nat',
      ScheduleRuleName: 'verified-schedule',
    };
    const template = {
      Resources: { Marker: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
    };
    stackId = (await new CloudFormationClient({}).send(new CreateStackCommand({ StackName: STACK, TemplateBody: JSON.stringify(template) }))).StackId as string;
    // The policy Lambda keeps for the stack's permissions: one statement per monitored secret (or its prefix pattern).
    policyFor = (arns) =>
      JSON.stringify({
        Version: '2012-10-17',
        Id: 'default',
        Statement: arns.map((arn, i) => ({
          Sid: `RotationInvoke${i}`,
          Effect: 'Allow',
          Principal: { Service: 'secretsmanager.amazonaws.com' },
          Action: 'lambda:InvokeFunction',
          Resource: outputs.RotationFunctionArn,
          Condition: { StringEquals: { 'AWS:SourceAccount': '123456789012' }, ArnLike: { 'AWS:SourceArn': arn } },
        })),
      });

    const config = loadRuntimeConfig({
      MONITORED_KEYS: JSON.stringify([...keys.keys()].map((name) => ({ name, secretId: `verified/${name}`, expectTrade: true }))),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: EGRESS,
    });
    const { buildCheckHandler } = await import('../../src/handlers/check.js');
    check = buildCheckHandler(() => ({
      config,
      secrets: new CachedSecrets(new SecretsManagerClient({}), 1),
      target: lambdaCheckTarget(config),
      now: Date.now,
      incidents: {
        store: new DynamoIncidentStore(new DynamoDBClient({}), 'verified-state', 30),
        sink: new SqsNotificationQueue(sqs, queueUrl),
        policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 3_600_000, keyMaxAgeDays: 90 },
        messages: { source: STACK, expectedIps: config.expectedIps, links: () => [] },
        maintenance: null,
      },
    }));
    sender = createHttpSender({ timeoutMs: 2_000 });
    notify = buildNotifyHandler(() => ({
      source: STACK,
      emailTopicArn: topic,
      channelsSecret: new CachedChannelsSecret(sm, 'verified/channels'),
      ledger: new DynamoDeliveryLedger(dynamoDbCall(), 'verified-state'),
      send: { http: sender, sns: new SnsPublisher(sns), nowMs: Date.now },
      visibility: new SqsMessageVisibility(sqs, (arn) => (arn === queueArn ? queueUrl : null)),
    }));
  });

  afterAll(async () => {
    await sender?.close();
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  beforeEach(async () => {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    for (const [, creds] of keys) sandbox.setBehaviour(creds.apiKey, 'healthy');
  });

  /** The deployed notifier's work, while verify waits for delivery records. */
  async function workQueue(until: () => boolean): Promise<void> {
    while (!until()) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) continue;
      const event = sqsEventOf(messages, queueArn);
      await captureOutput(() => notify(event, context('notify')) as Promise<SQSBatchResponse>);
      for (const m of messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle as string }));
    }
  }

  async function verify(over: Partial<DeploymentReads> = {}, json = false, stack = STACK) {
    const invoked: unknown[] = [];
    const reads: DeploymentReads = {
      ...awsDeploymentReads(5_000),
      invokeCheck: async (name) => {
        invoked.push(name);
        // What Lambda hands back: the handler's result, through JSON.
        const { value } = await captureOutput(() => check(DEPLOYMENT_CHECK_EVENT, context(name)) as Promise<unknown>);
        return JSON.parse(JSON.stringify(value)) as unknown;
      },
      invokePolicy: async () => policyFor([...secretArns.values()]),
      ...over,
    };
    let out = '';
    let finished = false;
    const run = verifyCommand(
      { command: 'verify', stack, json, waitSeconds: 20, timeoutMs: 5_000 },
      { out: (t) => (out += t), err: (t) => (out += t) },
      { reads, pollMs: 200 },
    ).finally(() => (finished = true));
    await workQueue(() => finished);
    const code = await run;
    return {
      code,
      out,
      invoked,
      steps: json ? (JSON.parse(out) as { ok: boolean; steps: { step: string; status: string; lines: string[]; fix: string | null }[] }).steps : [],
    };
  }

  it('a healthy deployment: every step passes, each with its progress line; the check ran every probe now; exit 0', async () => {
    sandbox.requests.length = 0;
    const r = await verify();
    expect(r.out).toContain(`Verifying ${STACK}…`);
    expect(r.invoked).toEqual(['Verified-Check']);
    for (const line of [
      '✅ Check every key now',
      '✅ Egress IP',
      '✅ A test alert through every channel',
      '✅ The schedule',
      '✅ The monitor’s own alarms',
      '✅ The dead-letter queue',
      '✅ Secrets Manager may start each key’s rotation',
      '✅ The exchange’s own answers',
    ])
      expect(r.out).toContain(line);
    expect(r.out).toContain(`left from ${EGRESS}; the stack says ${EGRESS} (EgressIps)`);
    expect(r.out).toMatch(/trading trade-permission: HTTP \d+, code \d+ — Trade enabled/);
    expect(r.out).toMatch(/hedge withdraw-permission: HTTP \d+, code \d+ — cannot withdraw/);
    expect(r.out).toContain('The deployment is verified: every step passed.');
    // docs/deploy.md shows this run's output: the sandbox's random key prefixes are the only difference.
    const shown = r.out.replace(/key sbx.…/g, 'key Ab3x…').trimEnd();
    const doc = readFileSync(DEPLOY_DOC, 'utf8');
    const marker = 'keeps this copy the real output):\n\n```text\n';
    const at = doc.indexOf(marker) + marker.length;
    if (process.env['WRITE_DOCS'] === '1') writeFileSync(DEPLOY_DOC, doc.slice(0, at) + shown + '\n' + doc.slice(doc.indexOf('```', at)));
    else expect(doc.slice(at, doc.indexOf('```', at)).trimEnd()).toBe(shown);
    // The README shows an excerpt: each of its lines is a line of the real output.
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const excerpt = /4\. \*\*Verify the deployment\*\*[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const lines = excerpt
      .split('\n')
      .map((l) => l.replace(/^ {3}/, ''))
      .filter((l) => l.trim() !== '' && l.trim() !== '…');
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) expect(shown.split('\n'), l).toContain(l);
    for (const [name, creds] of keys) {
      for (const method of ['private/user-balance', 'private/cancel-order', 'private/get-accounts', 'private/get-deposit-address'])
        expect(sandbox.requests.filter((q) => q.method === method && q.apiKey === creds.apiKey).length, `${name} ${method}`).toBe(1);
    }
    expect(r.code).toBe(0);
  });

  it('an egress IP that is not the whitelisted one names the fix for the stack’s egress mode', async () => {
    const r = await verify({}, true);
    expect(r.steps.find((s) => s.step === 'egress')?.status).toBe('pass');
    const other = await verify(
      {
        invokeCheck: async (name) => {
          const { value } = await captureOutput(() => check(DEPLOYMENT_CHECK_EVENT, context(name)) as unknown as Promise<{ keys: { egressIp: string }[] }>);
          return { ...value, keys: value.keys.map((k) => ({ ...k, egressIp: '198.51.100.23' })) };
        },
      },
      true,
    );
    const egress = other.steps.find((s) => s.step === 'egress');
    expect(egress).toMatchObject({ status: 'fail', lines: [`left from 198.51.100.23; the stack says ${EGRESS} (EgressIps)`] });
    expect(egress?.fix).toContain('route 0.0.0.0/0 to the NAT holding the Elastic IP');
    expect(other.code).toBe(1);
  });

  it('a check function that fails: named, the steps judged by its answer not passed, the others still run', async () => {
    const r = await verify(
      {
        invokeCheck: async () => {
          throw new FunctionAnswerError('the check function failed (Unhandled)');
        },
      },
      true,
    );
    const by = Object.fromEntries(r.steps.map((s) => [s.step, s]));
    expect(by['check']).toMatchObject({ status: 'fail', lines: ['the check function failed (Unhandled): see its log in CloudWatch Logs'] });
    for (const s of ['egress', 'rotation', 'probe-answers']) expect(by[s]?.status, s).toBe('fail');
    for (const s of ['channels', 'schedule', 'alarms', 'dead-letters']) expect(by[s]?.status, s).toBe('pass');
    expect(r.code).toBe(1);
  });

  it('a key that fails its check fails the step with its own fix', async () => {
    sandbox.setBehaviour(keys.get('hedge')!.apiKey, 'read-only');
    const r = await verify();
    expect(r.out).toMatch(/❌ Check every key now[^\n]*\n {3}✅ trading[^\n]*\n {3}❌ hedge \(key sbx.…\): TRADE_PERMISSION_MISSING[^\n]*\n {5}Fix: /);
    expect(r.code).toBe(1);
  });

  it('an email subscription still pending confirmation fails the channels step with the fix', async () => {
    const r = await verify(
      {
        subscriptions: async () => ({ ok: true, subscriptions: [{ protocol: 'email', endpoint: 'ops@example.com', pendingConfirmation: true }] }),
      },
      true,
    );
    const channels = r.steps.find((s) => s.step === 'channels');
    expect(channels?.status).toBe('fail');
    expect(channels?.lines).toContain('email subscription pending confirmation: ops@example.com');
    expect(channels?.fix).toContain('click Confirm subscription');
  });

  it('a disabled schedule, a missing alarm, dead letters and a secret rotation may not start for: each named with its fix', async () => {
    const eb = new EventBridgeClient({});
    const cw = new CloudWatchClient({});
    await eb.send(new DisableRuleCommand({ Name: 'verified-schedule' }));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: [alarmName('HEARTBEAT')] }));
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: '{}' }));
    try {
      const r = await verify({ invokePolicy: async () => policyFor([secretArns.get('trading') as string]) }, true);
      const by = Object.fromEntries(r.steps.map((s) => [s.step, s]));
      expect(by['schedule']).toMatchObject({
        status: 'fail',
        lines: ['verified-schedule is DISABLED: no check runs', 'verified-schedule runs Verified-Check'],
        fix: 'aws events enable-rule --name verified-schedule',
      });
      expect(by['alarms']).toMatchObject({ status: 'fail', lines: [`❌ ${alarmName('HEARTBEAT')} is missing`] });
      expect(by['alarms']?.fix).toContain('redeploy the stack');
      expect(by['dead-letters']).toMatchObject({ status: 'fail', lines: ['1 notification could not be delivered (dead-letter queue)'] });
      expect(by['rotation']?.status).toBe('fail');
      expect(by['rotation']?.lines).toEqual(['✅ trading: Secrets Manager may start its rotation', '❌ hedge: Secrets Manager may not start its rotation']);
      expect(r.code).toBe(1);
    } finally {
      await eb.send(new EnableRuleCommand({ Name: 'verified-schedule' }));
      await sqs.send(new PurgeQueueCommand({ QueueUrl: dlqUrl }));
      await putAlarm('HEARTBEAT');
    }
  });

  it('an enabled schedule that no longer runs the check function fails: enabled is not proof that checks run', async () => {
    const eb = new EventBridgeClient({});
    await eb.send(new RemoveTargetsCommand({ Rule: 'verified-schedule', Ids: ['Check'] }));
    await eb.send(
      new PutTargetsCommand({
        Rule: 'verified-schedule',
        Targets: [{ Id: 'Other', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:Verified-Check-Old' }],
      }),
    );
    try {
      const r = await verify({}, true);
      const schedule = r.steps.find((s) => s.step === 'schedule');
      expect(schedule).toMatchObject({
        status: 'fail',
        lines: [
          'verified-schedule is enabled',
          'verified-schedule does not run Verified-Check (its targets: arn:aws:lambda:us-east-1:123456789012:function:Verified-Check-Old)',
        ],
      });
      expect(schedule?.fix).toContain('redeploy the stack');
      expect(r.code).toBe(1);
      await eb.send(new RemoveTargetsCommand({ Rule: 'verified-schedule', Ids: ['Other'] }));
      const bare = (await verify({}, true)).steps.find((s) => s.step === 'schedule');
      expect(bare?.lines).toContain('verified-schedule does not run Verified-Check (it has no target)');
    } finally {
      await eb.send(new RemoveTargetsCommand({ Rule: 'verified-schedule', Ids: ['Other'] }));
      await eb.send(new PutTargetsCommand({ Rule: 'verified-schedule', Targets: [{ Id: 'Check', Arn: CHECK_ARN }] }));
    }
  });

  it('a stack given by its ARN is named and its alarms found by the stack’s own name', async () => {
    const r = await verify({}, false, stackId);
    expect(r.out).toContain(`Verifying ${STACK}…`);
    expect(r.out).toContain('✅ The monitor’s own alarms');
    expect(r.code).toBe(0);
  });
});
