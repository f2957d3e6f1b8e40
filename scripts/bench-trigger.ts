/**
 * The instant trigger's path, as far as this project runs it: a CloudWatch Logs subscription event
 * from the bot's log group into the verify handler (in this process, on moto_server and the sandbox
 * exchange) until the opened alert is on the notification queue. CloudWatch Logs' own delivery (a
 * few seconds) and the notifier come on top; the report says so.
 */
import { gzipSync } from 'node:zlib';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { DynamoIncidentStore } from '../src/aws/incident-store.js';
import { SqsNotificationQueue } from '../src/aws/notification-queue.js';
import { CachedSecrets } from '../src/aws/secrets.js';
import { DynamoTriggerGate } from '../src/aws/trigger-gate.js';
import { lambdaCheckTarget } from '../src/handlers/wiring.js';
import { loadRuntimeConfig } from '../src/monitor/runtime-config.js';
import type { Sandbox } from '../src/sandbox/exchange.js';
import { captureWrites, createStateTable } from '../test/support/moto.js';

const BOT_GROUP = '/ecs/bench-bot';
const context = { functionName: 'verify', awsRequestId: 'bench', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

export const TRIGGER_TARGET_MS = 60_000;

/** Milliseconds from each log event handed to the verify handler to its alert read back from the queue: [first (cold clients), later ones]. */
export async function triggerLatency(sandbox: Sandbox, rounds = 5): Promise<{ firstMs: number; warmMs: number[] }> {
  const table = 'bench-trigger-state';
  await createStateTable(table);
  const sqs = new SQSClient({});
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-trigger-queue' }))).QueueUrl as string;
  const sm = new SecretsManagerClient({});
  const names = Array.from({ length: rounds + 1 }, (_, i) => `bot${i}`);
  const keys = new Map(names.map((n) => [n, sandbox.mint('ip-not-whitelisted')]));
  for (const [n, creds] of keys) await sm.send(new CreateSecretCommand({ Name: `bench-trigger/${n}`, SecretString: JSON.stringify(creds) }));
  sm.destroy();
  const config = loadRuntimeConfig({
    ...process.env,
    MONITORED_KEYS: JSON.stringify(names.map((name) => ({ name, secretId: `bench-trigger/${name}`, expectTrade: true }))),
    EXCHANGE_BASE_URL: sandbox.baseUrl(),
    IP_ECHO_URL: sandbox.ipEchoUrl,
    EXPECTED_EGRESS_IP: sandbox.egressIp,
    CHECK_TIMEOUT_MS: '5000',
  });
  const { buildVerifyHandler } = await import('../src/handlers/verify.js');
  const handler = buildVerifyHandler(() => ({
    config,
    logGroups: new Map(names.map((n) => [`${BOT_GROUP}-${n}`, n])),
    secrets: new CachedSecrets(new SecretsManagerClient({}), 60_000),
    target: lambdaCheckTarget(config),
    now: Date.now,
    gate: new DynamoTriggerGate(new DynamoDBClient({}), table),
    store: new DynamoIncidentStore(new DynamoDBClient({}), table, 30),
    sink: new SqsNotificationQueue(sqs, queueUrl),
    policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: 3_600_000, keyMaxAgeDays: 90 },
    messages: { source: 'Bench', expectedIps: config.expectedIps, links: () => [] },
  }));
  // The handler's log lines (Powertools: stdout, and stderr for warnings) stay out of the bench's report;
  // not by log level, which Powertools sets back to the configured one at every invocation. Shown if
  // the section fails.
  const { value: times } = await captureWrites(async () => {
    const times: number[] = [];
    for (const name of names) {
      const started = Date.now();
      const body = {
        messageType: 'DATA_MESSAGE',
        logGroup: `${BOT_GROUP}-${name}`,
        logEvents: [{ id: '1', timestamp: started, message: '{"code":40103,"message":"IP_ILLEGAL"}' }],
      };
      await handler({ awslogs: { data: gzipSync(JSON.stringify(body)).toString('base64') } }, context);
      for (;;) {
        const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        if ((got.Messages ?? []).some((m) => (m.Body ?? '').includes(`"key":"${name}"`) && (m.Body ?? '').includes('"kind":"opened"'))) break;
        if (Date.now() - started > TRIGGER_TARGET_MS) throw new Error(`no alert for ${name} on the queue within ${TRIGGER_TARGET_MS} ms`);
      }
      times.push(Date.now() - started);
    }
    return times;
  }).catch((err: unknown) => {
    const captured = (err as { captured?: unknown } | null)?.captured;
    if (typeof captured === 'string') process.stderr.write(captured);
    throw err;
  });
  sqs.destroy();
  return { firstMs: times[0] as number, warmMs: times.slice(1) };
}
