import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { checkAllKeys, type CheckAllKeysDeps } from '../monitor/check-all-keys.js';
import { notificationLinks } from '../monitor/links.js';
import { loadIncidentConfig, loadRuntimeConfig } from '../monitor/runtime-config.js';
import { dynamoDbClient } from '../aws/dynamodb-call.js';
import { DynamoIncidentStore } from '../aws/incident-store.js';
import { SqsNotificationQueue, lazySqsClient } from '../aws/notification-queue.js';
import { log, logger, metrics } from '../aws/powertools.js';
import { recordRunMetrics } from '../aws/run-metrics.js';
import { CachedSecrets, secretsManagerClient } from '../aws/secrets.js';
import { lazily } from './lazily.js';
import type { MaintenanceWindow } from '../monitor/incident-state.js';
import { lambdaTargets } from './wiring.js';

/**
 * The check Lambda: wiring only. The run itself (checks, withdraw-probe plans, log lines, metrics,
 * incidents) is monitor/check-all-keys.ts.
 */

/** What the handler is given; the log and the metrics are Powertools'. */
export type CheckDeps = Omit<CheckAllKeysDeps, 'log' | 'recordMetrics'>;

/**
 * The deployed wiring, from the Lambda's environment. Kept warm: keep-alive connections, AWS clients
 * and the secret cache survive invocations; the check target is asked for afresh on each one (it is
 * made again when the proxy token has to be read again).
 */
export function lambdaCheckDeps(env: NodeJS.ProcessEnv): () => Promise<CheckDeps> {
  const warm = lazily(async () => {
    const config = loadRuntimeConfig(env);
    const incident = loadIncidentConfig(env);
    const sm = secretsManagerClient();
    const incidents = incident && {
      store: new DynamoIncidentStore(dynamoDbClient(), incident.table, incident.historyDays),
      sink: new SqsNotificationQueue(lazySqsClient(), incident.queueUrl),
      policy: {
        openAfterRuns: incident.openAfterRuns,
        resolveAfterRuns: incident.resolveAfterRuns,
        remindEveryMs: incident.remindEveryHours * 3_600_000,
        keyMaxAgeDays: incident.keyMaxAgeDays,
      },
      messages: {
        source: incident.monitorName,
        expectedIps: config.expectedIps,
        links: (key: string | null) =>
          notificationLinks({ region: incident.region, dashboardUrl: incident.dashboardUrl, checkLogGroup: incident.checkLogGroup }, key),
      },
      announcementsUrl: incident.announcementsUrl,
    };
    return { config, targets: lambdaTargets(config, (m, f) => logger.warn(m, f), sm), secrets: new CachedSecrets(sm, config.secretCacheTtlMs), incidents };
  });
  return async () => {
    const { config, targets, secrets, incidents } = await warm();
    // The run's one target, announcements included: a client made for a later run is not this run's.
    const target = await targets();
    return {
      config,
      secrets,
      target,
      now: Date.now,
      incidents: incidents && {
        store: incidents.store,
        sink: incidents.sink,
        policy: incidents.policy,
        messages: incidents.messages,
        // The announcement parser is loaded on the hourly refresh that uses it, not at cold start.
        maintenance: incidents.announcementsUrl ? lazyAnnouncements(target.exchange, incidents.announcementsUrl) : null,
      },
    };
  };
}

function lazyAnnouncements(exchange: CheckDeps['target']['exchange'], url: string): { windows(): Promise<MaintenanceWindow[]> } {
  return { windows: async () => (await import('../monitor/maintenance.js')).announcementWindows(exchange, url).windows() };
}

const defaultDeps = lambdaCheckDeps(process.env);

export function buildCheckHandler(getDeps: () => CheckDeps | Promise<CheckDeps> = defaultDeps) {
  return middy(async (_event: unknown, context: Context) =>
    checkAllKeys({ ...(await getDeps()), log, recordMetrics: (outcomes) => recordRunMetrics(metrics, outcomes) }, context.getRemainingTimeInMillis()),
  )
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = buildCheckHandler();
