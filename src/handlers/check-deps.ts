import type { CheckAllKeysDeps } from '../monitor/check-all-keys.js';
import { notificationLinks } from '../monitor/links.js';
import { loadIncidentConfig, loadRuntimeConfig } from '../monitor/runtime-config.js';
import type { MaintenanceWindow } from '../monitor/incident-state.js';
import { dynamoDbClient } from '../aws/dynamodb-call.js';
import { DynamoIncidentStore } from '../aws/incident-store.js';
import { SqsNotificationQueue, lazySqsClient } from '../aws/notification-queue.js';
import { logger } from '../aws/powertools.js';
import { CachedSecrets, secretsManagerClient } from '../aws/secrets.js';
import { lazily } from './lazily.js';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ackKeyReader } from '../aws/ack-key.js';
import { ENV } from '../contract/env.js';
import type { AckLinkMaker } from '../monitor/incident-messages.js';
import { lambdaTargets } from './wiring.js';

/** What the check handler is given; the log and the metrics are Powertools'. */
export type CheckDeps = Omit<CheckAllKeysDeps, 'log' | 'recordMetrics'>;

/**
 * The deployed wiring shared by the check and verify functions, from the Lambda's environment. Kept
 * warm: keep-alive connections, AWS clients and the secret cache survive invocations.
 */
export function lambdaWarmDeps(env: NodeJS.ProcessEnv) {
  return lazily(async () => {
    const config = loadRuntimeConfig(env);
    const incident = loadIncidentConfig(env);
    const sm = secretsManagerClient();
    const incidents = incident && {
      store: new DynamoIncidentStore(dynamoDbClient(), incident.table, incident.historyDays),
      table: incident.table,
      sink: new SqsNotificationQueue(lazySqsClient(), incident.queueUrl),
      policy: {
        openAfterRuns: incident.openAfterRuns,
        resolveAfterRuns: incident.resolveAfterRuns,
        remindEveryMs: incident.remindEveryHours * 3_600_000,
        acknowledgedRemindEveryMs: incident.acknowledgedRemindEveryHours * 3_600_000,
        keyMaxAgeDays: incident.keyMaxAgeDays,
      },
      messages: {
        source: incident.monitorName,
        expectedIps: config.expectedIps,
        links: (key: string | null) =>
          notificationLinks({ region: incident.region, dashboardUrl: incident.dashboardUrl, checkLogGroup: incident.checkLogGroup }, key),
        ackLinks: ackLinksFrom(env, sm),
      },
      announcementsUrl: incident.announcementsUrl,
    };
    return { config, targets: lambdaTargets(config, (m, f) => logger.warn(m, f), sm), secrets: new CachedSecrets(sm, config.secretCacheTtlMs), incidents };
  });
}

/** Alerts carry an Acknowledge link where the stack has the endpoint: its URL and the secret that signs links. */
function ackLinksFrom(env: NodeJS.ProcessEnv, sm: SecretsManagerClient): (() => Promise<AckLinkMaker>) | undefined {
  const url = env[ENV.ackUrl];
  const secretId = env[ENV.ackSecretId];
  if (!url || !secretId) return undefined;
  const key = ackKeyReader(secretId, sm);
  return async () => (await import('../monitor/ack-token.js')).ackLinkMaker(url, await key());
}

/** The check target is asked for afresh on each invocation (it is made again when the proxy token has to be read again). */
export function lambdaCheckDeps(env: NodeJS.ProcessEnv): () => Promise<CheckDeps> {
  const warm = lambdaWarmDeps(env);
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
