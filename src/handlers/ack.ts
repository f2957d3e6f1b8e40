import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { ackKeyReader } from '../aws/ack-key.js';
import { ackStore } from '../aws/ack-store.js';
import { dynamoDbClient } from '../aws/dynamodb-call.js';
import { DynamoIncidentStore } from '../aws/incident-store.js';
import { SqsNotificationQueue, lazySqsClient } from '../aws/notification-queue.js';
import { log, logger } from '../aws/powertools.js';
import { ENV } from '../contract/env.js';
import { handleAckRequest, type AckEndpointDeps } from '../monitor/ack-endpoint.js';
import { refusalPage } from '../monitor/ack-page.js';
import { notificationLinks } from '../monitor/links.js';
import { ConfigError, loadIncidentConfig } from '../monitor/runtime-config.js';
import { lazily } from './lazily.js';
import { CachedChannelsSecret } from '../aws/channels-secret.js';
import { secretsManagerClient } from '../aws/secrets.js';
import { parseChannelsSecret } from '../channels/config.js';
import { answerCallbackQuery, type TelegramAckConfig } from '../monitor/ack-telegram.js';

/** The Acknowledge link's endpoint (a function URL): wiring only; monitor/ack-endpoint.ts decides. */
export function lambdaAckDeps(env: NodeJS.ProcessEnv): () => Promise<Omit<AckEndpointDeps, 'log'>> {
  return lazily(async () => {
    const incident = loadIncidentConfig(env);
    if (!incident) throw new ConfigError(ENV.stateTable, 'not set: the acknowledge function writes the incident store');
    const secretId = env[ENV.ackSecretId];
    if (!secretId) throw new ConfigError(ENV.ackSecretId, 'not set: the acknowledge function checks links with it');
    return {
      key: ackKeyReader(secretId),
      store: ackStore(new DynamoIncidentStore(dynamoDbClient(), incident.table, incident.historyDays)),
      sink: new SqsNotificationQueue(lazySqsClient(), incident.queueUrl),
      source: incident.monitorName,
      links: (key: string | null) =>
        notificationLinks({ region: incident.region, dashboardUrl: incident.dashboardUrl, checkLogGroup: incident.checkLogGroup }, key),
      now: Date.now,
      telegram: telegramFrom(env),
      answer: answerCallbackQuery,
    };
  });
}

/** The bot's settings, from the channels secret, when it is set up for buttons (telegram.webhookSecretToken). */
function telegramFrom(env: NodeJS.ProcessEnv): () => Promise<TelegramAckConfig | null> {
  const secret = new CachedChannelsSecret(secretsManagerClient(), env[ENV.channelsSecretId] || undefined);
  return async () => {
    const read = await secret.read();
    if (!read.ok) throw Object.assign(new Error(`the channels secret could not be read (${read.errorName})`), { name: 'ChannelsSecretUnreadable' });
    const telegram = parseChannelsSecret(read.json).config.telegram;
    return telegram?.webhookSecretToken
      ? { secretToken: telegram.webhookSecretToken, botToken: telegram.botToken, apiBaseUrl: telegram.apiBaseUrl ?? 'https://api.telegram.org' }
      : null;
  };
}

export function buildAckHandler(getDeps: () => Promise<Omit<AckEndpointDeps, 'log'>> = lambdaAckDeps(process.env)) {
  return middy(async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    try {
      const body = event.body === undefined ? null : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      return await handleAckRequest(
        { method: event.requestContext.http.method, query: event.rawQueryString ?? '', headers, body },
        { ...(await getDeps()), log },
      );
    } catch (err) {
      // The caller sees the plain refusal; the log names the fault (never the request, which carries the token).
      log.error('acknowledge request failed', { errorName: (err as Error | null)?.name ?? 'Error' });
      return refusalPage(503);
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}

export const handler = buildAckHandler();
