import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import { CachedSecrets } from '../../src/aws/secrets.js';
import { DynamoTriggerGate } from '../../src/aws/trigger-gate.js';
import { main } from '../../src/cli/key-monitor.js';
import { nudgeCommand, type VerifyInvoker } from '../../src/cli/nudge.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/exchange.js';
import type { Credentials } from '../../src/monitor/types.js';
import { createStateTable, drainQueue, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

/**
 * `key-monitor nudge` against a stack on moto_server: the stack's outputs name the verify function;
 * the invoke (moto cannot run a Lambda) is the real verify handler in this process, with the sandbox.
 */
const skip = toolMissing('moto_server');
const context = { functionName: 'verify', awsRequestId: 'req', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

describe.skipIf(skip)('key-monitor nudge', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let sqs: SQSClient;
  let queueUrl: string;
  let clock = Date.UTC(2026, 11, 1, 12, 0, 0);
  const keys = new Map<string, Credentials>();
  let invoke: VerifyInvoker;
  const invoked: { name: string; payload: unknown }[] = [];

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    sqs = new SQSClient({});
    await createStateTable('nudge-state');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'nudge-queue' }))).QueueUrl as string;
    const outputs = { StateTableName: { Value: 'nudge-state' }, NotificationQueueUrl: { Value: queueUrl }, VerifyFunctionName: { Value: 'Monitor-Verify' } };
    const cf = new CloudFormationClient({});
    const marker = { Marker: { Type: 'AWS::CloudFormation::WaitConditionHandle' } };
    await cf.send(new CreateStackCommand({ StackName: 'NudgeMonitor', TemplateBody: JSON.stringify({ Resources: marker, Outputs: outputs }) }));
    const { VerifyFunctionName: _gone, ...older } = outputs;
    await cf.send(new CreateStackCommand({ StackName: 'OlderMonitor', TemplateBody: JSON.stringify({ Resources: marker, Outputs: older }) }));
    const sm = new SecretsManagerClient({});
    const creds = sandbox.mint('healthy');
    keys.set('trading', creds);
    await sm.send(new CreateSecretCommand({ Name: 'nudge/trading', SecretString: JSON.stringify(creds) }));
    const config = loadRuntimeConfig({
      MONITORED_KEYS: JSON.stringify([{ name: 'trading', secretId: 'nudge/trading', expectTrade: true }]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
    });
    const { buildVerifyHandler } = await import('../../src/handlers/verify.js');
    const handler = buildVerifyHandler(() => ({
      config,
      logGroups: new Map(),
      secrets: new CachedSecrets(new SecretsManagerClient({}), 1),
      target: lambdaCheckTarget(config),
      now: () => clock,
      gate: new DynamoTriggerGate(new DynamoDBClient({}), 'nudge-state'),
      store: new DynamoIncidentStore(new DynamoDBClient({}), 'nudge-state', 30, () => clock),
      sink: new SqsNotificationQueue(sqs, queueUrl),
      policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 3_600_000, keyMaxAgeDays: 90 },
      messages: { source: 'NudgeMonitor', expectedIps: config.expectedIps, links: () => [] },
    }));
    invoke = async (name, payload) => {
      invoked.push({ name, payload });
      // What Lambda hands back: the handler's result, through JSON.
      return JSON.parse(JSON.stringify(await handler(payload, context))) as unknown;
    };
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  async function nudge(args: Partial<Parameters<typeof nudgeCommand>[0]> = {}) {
    let out = '';
    let err = '';
    const code = await nudgeCommand(
      { command: 'nudge', key: 'trading', reason: null, json: false, stack: 'NudgeMonitor', timeoutMs: 5_000, ...args },
      { out: (t) => (out += t), err: (t) => (err += t) },
      invoke,
    );
    return { code, out, err };
  }

  it('verifies the key through the stack’s verify function and prints the verdict: 0 healthy', async () => {
    const r = await nudge({ reason: 'order refused' });
    expect(invoked.at(-1)).toEqual({ name: 'Monitor-Verify', payload: { key: 'trading', reason: 'order refused' } });
    const prefix = keys.get('trading')!.apiKey.slice(0, 4);
    expect(r).toEqual({ code: 0, out: `Verified trading (key ${prefix}…) from 203.0.113.7: OK — Key is healthy\n`, err: '' });
  });

  it('1 with the fix and the alert queued when the key is broken; 3 while a verification of it is under way', async () => {
    clock += 120_000;
    sandbox.setBehaviour(keys.get('trading')!.apiKey, 'ip-not-whitelisted');
    const broken = await nudge();
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(
      /^Verified trading \(key sbx.…\) from 203\.0\.113\.7: IP_NOT_WHITELISTED — .+\nFix: .+\nAlert queued for the channels \(1 notification\)\.\n$/,
    );
    const queued = await drainQueue<Notification>(sqs, queueUrl);
    expect(queued.map((n) => n.kind)).toEqual(['opened']);
    expect(JSON.stringify(queued[0])).toContain('a nudge asked for a check; verified from 203.0.113.7');
    const again = await nudge({ json: true });
    expect(again.code).toBe(3);
    expect(JSON.parse(again.out)).toEqual({ schemaVersion: 1, stack: 'NudgeMonitor', status: 'already-verifying', key: 'trading' });
    sandbox.setBehaviour(keys.get('trading')!.apiKey, 'healthy');
  });

  it('2 for a key the monitor does not watch, and for a stack deployed before nudge, named; 4 when the function cannot be asked', async () => {
    clock += 120_000;
    const unknown = await nudge({ key: 'hedge' });
    expect(unknown).toEqual({ code: 2, out: '', err: 'key-monitor: nudge: TriggerInputError: the key is not a monitored key\n' });
    let err = '';
    const code = await main(['nudge', '--key', 'trading', '--stack', 'OlderMonitor'], {}, { out: () => {}, err: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err).toContain('stack OlderMonitor has no VerifyFunctionName output: it was deployed before nudge existed (redeploy it)');
    const denied = await nudgeCommand(
      { command: 'nudge', key: 'trading', reason: null, json: false, stack: 'NudgeMonitor', timeoutMs: 5_000 },
      { out: () => {}, err: (t) => (err = t) },
      async () => {
        throw Object.assign(new Error('User: arn:aws:iam::123456789012:user/bot is not authorized'), { name: 'AccessDeniedException' });
      },
    );
    expect(denied).toBe(4);
    expect(err).toBe("key-monitor: nudge: access denied invoking Monitor-Verify (lambda:InvokeFunction; the construct's grantNudge gives it)\n");
  });
});
