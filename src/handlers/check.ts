import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { checkAllKeys } from '../monitor/check-all-keys.js';
import { isDeploymentCheck } from '../contract/deployment-check.js';
import { log, logger, metrics } from '../aws/powertools.js';
import { recordRunMetrics } from '../aws/run-metrics.js';
import { lambdaCheckDeps, type CheckDeps } from './check-deps.js';

export { lambdaCheckDeps, type CheckDeps };

/**
 * The check Lambda: wiring only. The run itself (checks, withdraw-probe plans, log lines, metrics,
 * incidents) is monitor/check-all-keys.ts.
 */

const defaultDeps = lambdaCheckDeps(process.env);

export function buildCheckHandler(getDeps: () => CheckDeps | Promise<CheckDeps> = defaultDeps) {
  return middy(async (event: unknown, context: Context) =>
    checkAllKeys(
      { ...(await getDeps()), log, recordMetrics: (outcomes) => recordRunMetrics(metrics, outcomes) },
      context.getRemainingTimeInMillis(),
      // `key-monitor verify` right after a deploy; the schedule sends an EventBridge event.
      { deploymentCheck: isDeploymentCheck(event) },
    ),
  )
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = buildCheckHandler();
