import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import { CachedSecrets } from '../../src/aws/secrets.js';
import type { CheckDeps } from '../../src/handlers/check.js';
import { lambdaCheckTarget } from '../../src/handlers/wiring.js';
import type { MessageContext } from '../../src/monitor/incident-messages.js';
import type { IncidentRunDeps } from '../../src/monitor/incident-run.js';
import type { RuntimeConfig } from '../../src/monitor/runtime-config.js';
import { captureOutput } from './moto.js';

const HOUR = 3_600_000;

export interface EmulatedIncidents {
  /** The state table (createStateTable) and the notification queue, both on moto_server. */
  readonly table: string;
  readonly queueUrl: string;
  /** The alerts' source, as a stack name would be. */
  readonly source: string;
  readonly sqs?: SQSClient;
  readonly remindEveryMs?: number;
  readonly links?: MessageContext['links'];
  readonly maintenance?: IncidentRunDeps['maintenance'];
}

/**
 * The check Lambda's handler as a deployment wires it, on the emulators: the config's keys read from
 * Secrets Manager, the exchange at the config's base URL, and (given `incidents`) the incident layer
 * on a DynamoDB table and an SQS queue, with the policy the tests share (open after 2 runs, resolve
 * after 1). `now` is the test's clock, for the run and the store alike.
 */
export function emulatedCheckDeps(config: RuntimeConfig, now: () => number, incidents: EmulatedIncidents | null, over: Partial<CheckDeps> = {}): CheckDeps {
  return {
    config,
    secrets: new CachedSecrets(new SecretsManagerClient({}), 1),
    target: lambdaCheckTarget(config),
    now,
    incidents: incidents && {
      store: new DynamoIncidentStore(new DynamoDBClient({}), incidents.table, 30, now),
      sink: new SqsNotificationQueue(incidents.sqs ?? new SQSClient({}), incidents.queueUrl),
      policy: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryMs: incidents.remindEveryMs ?? 4 * HOUR, keyMaxAgeDays: 90 },
      messages: { source: incidents.source, expectedIps: config.expectedIps, links: incidents.links ?? (() => []) },
      maintenance: incidents.maintenance ?? null,
    },
    ...over,
  };
}

export const CHECK_CONTEXT = { functionName: 'check', awsRequestId: 'req', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/**
 * One scheduled run of that handler: its result and what it logged. The handler module is loaded on
 * the first run, after the test pointed the SDK at the emulator (its logger and metrics read the
 * environment when loaded).
 */
export function emulatedCheckRun(deps: CheckDeps): () => Promise<{ value: unknown; raw: string; docs: Record<string, unknown>[] }> {
  let handler: ((event: unknown, context: Context) => Promise<unknown>) | undefined;
  return async () => {
    handler ??= (await import('../../src/handlers/check.js')).buildCheckHandler(() => deps);
    const run = handler;
    return captureOutput(() => run({}, CHECK_CONTEXT));
  };
}
