import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { BOT_LOG_GROUPS_ENV } from '../contract/trigger.js';
import { ENV } from '../contract/env.js';
import { ConfigError } from '../monitor/runtime-config.js';
import { parseBotLogGroups } from '../monitor/verify-trigger.js';
import { verifyKey, type VerifyKeyDeps } from '../monitor/verify-key.js';
import { dynamoDbClient } from '../aws/dynamodb-call.js';
import { log, logger } from '../aws/powertools.js';
import { DynamoTriggerGate } from '../aws/trigger-gate.js';
import { lambdaWarmDeps } from './check-deps.js';
import { lazily } from './lazily.js';

/**
 * The verify Lambda: wiring only. A bot's log line (through a subscription filter) or a nudge asks
 * for one key to be checked now; monitor/verify-key.ts does it. It writes no run metrics: the fixed
 * set describes the scheduled runs, which see every key.
 */
export type VerifyDeps = Omit<VerifyKeyDeps, 'log'>;

export function lambdaVerifyDeps(env: NodeJS.ProcessEnv): () => Promise<VerifyDeps> {
  const warm = lambdaWarmDeps(env);
  const fixed = lazily(async () => {
    const deps = await warm();
    if (!deps.incidents) throw new ConfigError(ENV.stateTable, 'not set: the verify function records what it finds as incidents');
    return {
      deps,
      incidents: deps.incidents,
      gate: new DynamoTriggerGate(dynamoDbClient(), deps.incidents.table),
      logGroups: parseBotLogGroups(
        env[BOT_LOG_GROUPS_ENV],
        deps.config.keys.map((k) => k.name),
      ),
    };
  });
  return async () => {
    const { deps, incidents, gate, logGroups } = await fixed();
    return {
      config: deps.config,
      logGroups,
      secrets: deps.secrets,
      target: await deps.targets(),
      now: Date.now,
      gate,
      store: incidents.store,
      sink: incidents.sink,
      policy: incidents.policy,
      messages: incidents.messages,
    };
  };
}

const defaultDeps = lambdaVerifyDeps(process.env);

export function buildVerifyHandler(getDeps: () => VerifyDeps | Promise<VerifyDeps> = defaultDeps) {
  return middy(async (event: unknown, context: Context) => verifyKey({ ...(await getDeps()), log }, event, context.getRemainingTimeInMillis())).use(
    injectLambdaContext(logger, { resetKeys: true }),
  );
}

export const handler = buildVerifyHandler();
