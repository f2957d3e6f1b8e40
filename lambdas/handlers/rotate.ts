import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SNSClient } from '@aws-sdk/client-sns';
import { ENV } from '../contract/env.js';
import { SERVICE_NAME } from '../contract/service.js';
import { rotate, type RotationDeps, type RotationEvent } from '../monitor/rotation.js';
import { loadRuntimeConfig } from '../monitor/runtime-config.js';
import { awsClientOptions } from '../aws/aws-calls.js';
import { SnsNotifier } from '../aws/notifications.js';
import { logger } from '../aws/powertools.js';
import { SecretVersions } from '../aws/secret-versions.js';
import { secretsManagerClient } from '../aws/secrets.js';
import { lazily } from './lazily.js';
import { lambdaCheckTarget } from './wiring.js';

/** Wiring only: the rotation rules live in monitor/rotation.ts and monitor/rotation-rules.ts. */
const defaultDeps = lazily((): RotationDeps => {
  const config = loadRuntimeConfig(process.env);
  const sm = secretsManagerClient();
  const dashboard = process.env[ENV.dashboardUrl];
  return {
    keys: config.keys,
    target: lambdaCheckTarget(config),
    store: (secretId) => new SecretVersions(sm, secretId),
    notifier: new SnsNotifier(new SNSClient(awsClientOptions()), config.alertTopicArn),
    source: process.env[ENV.monitorName] || SERVICE_NAME,
    links: dashboard ? [{ label: 'Dashboard', url: dashboard }] : [],
    now: Date.now,
    warn: (message, fields) => logger.warn(message, fields),
  };
});

export function buildRotationHandler(getDeps: () => RotationDeps = defaultDeps) {
  return middy(async (event: RotationEvent) => {
    logger.info('rotation step', { step: event.Step, secretId: event.SecretId, token: event.ClientRequestToken });
    await rotate(event, getDeps());
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}

export const handler = buildRotationHandler();
