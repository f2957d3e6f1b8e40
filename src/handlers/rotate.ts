import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ENV } from '../contract/env.js';
import { METRIC } from '../contract/metrics.js';
import { SERVICE_NAME } from '../contract/service.js';
import { notificationLinks } from '../monitor/links.js';
import { isReportedStop, rotate, type RotationDeps, type RotationEvent } from '../monitor/rotation.js';
import { loadRuntimeConfig } from '../monitor/runtime-config.js';
import { SqsNotificationQueue, lazySqsClient } from '../aws/notification-queue.js';
import { logger, metrics } from '../aws/powertools.js';
import { SecretVersions } from '../aws/secret-versions.js';
import { secretsManagerClient } from '../aws/secrets.js';
import { lazily } from './lazily.js';
import { lambdaTargets } from './wiring.js';

/**
 * Wiring only: the rotation rules live in monitor/rotation.ts and monitor/rotation-rules.ts. The check
 * target is asked for on each invocation (it is made again when the proxy token has to be read again).
 */
const warmDeps = lazily(async () => {
  const config = loadRuntimeConfig(process.env);
  const sm = secretsManagerClient();
  const queueUrl = process.env[ENV.notificationQueueUrl];
  const queue = queueUrl ? new SqsNotificationQueue(lazySqsClient(), queueUrl) : null;
  const deps: Omit<RotationDeps, 'target'> = {
    keys: config.keys,
    store: (secretId) => new SecretVersions(sm, secretId),
    // The same path as every other notification: the queue, then the notifier, then every channel.
    notifier: { send: async (n) => queue?.send([n]) },
    source: process.env[ENV.monitorName] || SERVICE_NAME,
    links: notificationLinks({ region: process.env['AWS_REGION'] ?? null, dashboardUrl: process.env[ENV.dashboardUrl] ?? null, checkLogGroup: null }, null),
    now: Date.now,
    warn: (message, fields) => logger.warn(message, fields),
  };
  return { deps, targets: lambdaTargets(config, (m, f) => logger.warn(m, f), sm) };
});

const defaultDeps = async (): Promise<RotationDeps> => {
  const { deps, targets } = await warmDeps();
  return { ...deps, target: await targets() };
};

export function buildRotationHandler(getDeps: () => RotationDeps | Promise<RotationDeps> = defaultDeps) {
  return middy(async (event: RotationEvent) => {
    logger.info('rotation step', { step: event.Step, secretId: event.SecretId, token: event.ClientRequestToken });
    try {
      await rotate(event, await getDeps());
    } catch (err) {
      // Counted apart: the failed-rotation alarm subtracts these stops.
      if (isReportedStop(err)) metrics.addMetric(METRIC.rotationsRefused, MetricUnit.Count, 1);
      throw err;
    }
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = buildRotationHandler();
