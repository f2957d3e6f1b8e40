/**
 * The notifier Lambda (SQS event source, ReportBatchItemFailures): wiring only. The batch's rules
 * (delivery, redelivery, what is counted) are monitor/notify-batch.ts; this builds its ports from the
 * environment and records its counts as metrics.
 */
import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createHttpSender } from '../channels/deliver.js';
import { ENV } from '../contract/env.js';
import { METRIC } from '../contract/metrics.js';
import { SERVICE_NAME } from '../contract/service.js';
import { notifyBatch, type NotifyDeps } from '../monitor/notify-batch.js';
import { CachedChannelsSecret } from '../aws/channels-secret.js';
import { DynamoDeliveryLedger } from '../aws/delivery-ledger.js';
import { dynamoDbCall } from '../aws/dynamodb-call.js';
import { SqsMessageVisibility, lazySqsClient } from '../aws/notification-queue.js';
import { log, logger, metrics } from '../aws/powertools.js';
import { secretsManagerClient } from '../aws/secrets.js';
import { SnsPublisher, snsClient } from '../aws/sns-publish.js';
import { lazily } from './lazily.js';

export type { NotifyDeps };

const optional = (value: string | undefined) => (value && value.trim() !== '' ? value.trim() : undefined);

/** Kept warm: clients, keep-alive connections and the secret cache survive invocations. */
const defaultDeps = lazily((): NotifyDeps => {
  const env = process.env;
  const table = optional(env[ENV.stateTable]);
  if (!table) throw new Error(`${ENV.stateTable} is not set: the notifier needs the delivery ledger`);
  const sns = new SnsPublisher(snsClient());
  const http = createHttpSender();
  return {
    source: optional(env[ENV.monitorName]) ?? SERVICE_NAME,
    dashboardUrl: optional(env[ENV.dashboardUrl]),
    emailTopicArn: optional(env[ENV.emailTopicArn]),
    chatbotTopicArn: optional(env[ENV.chatbotTopicArn]),
    channelsSecret: new CachedChannelsSecret(secretsManagerClient(), optional(env[ENV.channelsSecretId])),
    ledger: new DynamoDeliveryLedger(dynamoDbCall(), table),
    send: { http, sns, nowMs: Date.now },
    visibility: new SqsMessageVisibility(lazySqsClient()),
  };
});

export function buildNotifyHandler(getDeps: () => NotifyDeps = defaultDeps) {
  return middy(async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const { retry, counts } = await notifyBatch(event.Records ?? [], getDeps(), log);
    metrics.addMetric(METRIC.deliveriesSent, MetricUnit.Count, counts.sent);
    metrics.addMetric(METRIC.deliveriesFailed, MetricUnit.Count, counts.failed);
    metrics.addMetric(METRIC.deliveriesRetried, MetricUnit.Count, counts.retried);
    metrics.addMetric(METRIC.messagesRejected, MetricUnit.Count, counts.rejected);
    return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = buildNotifyHandler();
