import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoIncidentStore } from '../../lambdas/aws/incident-store.js';
import { SqsNotificationQueue } from '../../lambdas/aws/notification-queue.js';
import { CachedSecrets } from '../../lambdas/aws/secrets.js';
import { statusCommand, type StatusReport } from '../../lambdas/cli/status.js';
import { lambdaCheckTarget } from '../../lambdas/handlers/wiring.js';
import { loadRuntimeConfig } from '../../lambdas/monitor/runtime-config.js';
import { startSandbox, type Sandbox } from '../../lambdas/sandbox/exchange.js';
import { captureOutput, createStateTable, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

/**
 * `key-monitor status` end to end: the real check handler writes runs into DynamoDB (moto_server)
 * under a moving clock, and status finds the table through the stack's outputs (CloudFormation on
 * moto_server) and computes each key's uptime from the store.
 */
const MIN = 60_000;
const context = { functionName: 'check', awsRequestId: 'req', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

describe.skipIf(toolMissing('moto_server'))('key-monitor status reads state and uptime from the store', () => {
  let moto: Moto;
  let sandbox: Sandbox;
  let clock = Date.UTC(2026, 10, 20, 10, 0, 0);
  let invoke: () => Promise<void>;
  const broken = { key: '' };

  beforeAll(async () => {
    [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
    useEmulator(moto.endpoint);
    await createStateTable('st-state');
    const queueUrl = (await new SQSClient({}).send(new CreateQueueCommand({ QueueName: 'st-queue' }))).QueueUrl as string;
    const template = {
      Resources: { Marker: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: { StateTableName: { Value: 'st-state' }, NotificationQueueUrl: { Value: queueUrl }, ScheduleMinutes: { Value: '5' } },
    };
    await new CloudFormationClient({}).send(new CreateStackCommand({ StackName: 'StatusTest', TemplateBody: JSON.stringify(template) }));
    const sm = new SecretsManagerClient({});
    const steady = sandbox.mint('healthy');
    const flaky = sandbox.mint('healthy');
    broken.key = flaky.apiKey;
    await sm.send(new CreateSecretCommand({ Name: 'st/steady', SecretString: JSON.stringify(steady) }));
    await sm.send(new CreateSecretCommand({ Name: 'st/flaky', SecretString: JSON.stringify(flaky) }));
    const config = loadRuntimeConfig({
      MONITORED_KEYS: JSON.stringify([
        { name: 'steady', secretId: 'st/steady', expectTrade: true },
        { name: 'flaky', secretId: 'st/flaky', expectTrade: true },
      ]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
    });
    const { buildCheckHandler } = await import('../../lambdas/handlers/check.js');
    const handler = buildCheckHandler(() => ({
      config,
      secrets: new CachedSecrets(new SecretsManagerClient({}), 1),
      target: lambdaCheckTarget(config),
      now: () => clock,
      incidents: {
        store: new DynamoIncidentStore(new DynamoDBClient({}), 'st-state', 30, () => clock),
        sink: new SqsNotificationQueue(new SQSClient({}), queueUrl),
        policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 4 * 60 * MIN, keyMaxAgeDays: 90 },
        messages: { source: 'StatusTest', expectedIps: config.expectedIps, links: () => [] },
        maintenance: null,
      },
    }));
    invoke = async () => {
      await captureOutput(() => handler({}, context));
    };
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), sandbox?.close()]);
  });

  async function status(): Promise<{ code: number; report: StatusReport }> {
    let out = '';
    const code = await statusCommand({ command: 'status', stack: 'StatusTest', json: true, timeoutMs: 5_000 }, { out: (t) => (out += t), err: () => {} }, () => clock);
    return { code, report: JSON.parse(out) as StatusReport };
  }

  it('ten runs, three of them failing for one key: 100 % and 70 % over 7 days, the open incident with its start', async () => {
    for (let i = 0; i < 10; i++) {
      // Runs 7, 8 and 9 of the flaky key fail: its key is revoked, then the last run is still failing.
      if (i === 7) sandbox.revoke(broken.key);
      clock += 5 * MIN;
      await invoke();
    }
    const { code, report } = await status();
    expect(code).toBe(1);
    const byName = Object.fromEntries(report.keys.map((k) => [k.key, k]));
    expect(byName['steady']).toMatchObject({ state: 'ok', uptime7d: 1, uptime30d: 1 });
    expect(byName['flaky']).toMatchObject({ state: 'open', diagnosis: 'AUTH_FAILED', uptime7d: 0.7, since: new Date(Date.UTC(2026, 10, 20, 10, 40)).toISOString() });
    expect(report.recentIncidents).toEqual([expect.objectContaining({ key: 'flaky', diagnosis: 'AUTH_FAILED', resolvedAt: null })]);
  });

  it('calls a key stale, and exits 1, once three scheduled runs are missing: an old OK is not evidence', async () => {
    clock += 16 * MIN;
    const { code, report } = await status();
    expect(code).toBe(1);
    expect(report.keys.find((k) => k.key === 'steady')).toMatchObject({ state: 'stale', uptime7d: 1 });
  });
});
