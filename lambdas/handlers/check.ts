import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { KEY_CONCURRENCY, keyDeadlineMs } from '../contract/defaults.js';
import { METRIC } from '../contract/metrics.js';
import { checkKeys, type KeyOutcome, type SecretSource } from '../monitor/check-run.js';
import type { CheckTarget } from '../monitor/checks.js';
import { loadRuntimeConfig, type RuntimeConfig } from '../monitor/runtime-config.js';
import { recordKeyMetrics } from '../aws/key-metrics.js';
import { logger, metrics } from '../aws/powertools.js';
import { CachedSecrets, secretsManagerClient } from '../aws/secrets.js';
import { lazily } from './lazily.js';
import { lambdaCheckTarget, RUN_MARGIN_MS } from './wiring.js';

export interface CheckDeps {
  readonly config: RuntimeConfig;
  readonly secrets: SecretSource;
  readonly target: CheckTarget;
  readonly now: () => number;
}

function logOutcome({ key, report, keyAgeDays, elapsedMs }: KeyOutcome): void {
  const fields = {
    key: key.name,
    keyPrefix: report.keyPrefix,
    diagnosis: report.diagnosis,
    healthy: report.healthy,
    egressIp: report.egressIp,
    keyAgeDays,
    elapsedMs,
    ...(report.healthy ? {} : { title: report.title, advice: report.advice }),
    checks: report.checks.map(({ name, status, code, httpStatus, latencyMs, attempts, detail }) => ({ name, status, code, httpStatus, latencyMs, attempts, detail })),
  };
  if (report.healthy) logger.info('key healthy', fields);
  else logger.warn(`key unhealthy: ${report.diagnosis}`, fields);
}

/** Check every key, then record one metric document and one log line per key. */
export async function checkAllKeys(deps: CheckDeps, remainingMs: number): Promise<{ checked: number; unhealthy: { key: string; diagnosis: string }[] }> {
  const outcomes = await checkKeys({
    keys: deps.config.keys,
    secrets: deps.secrets,
    target: deps.target,
    now: deps.now,
    concurrency: KEY_CONCURRENCY,
    keyDeadlineMs: keyDeadlineMs(deps.config.timeoutMs),
    runDeadline: deps.now() + remainingMs - RUN_MARGIN_MS,
    onCrash: (key, err) => logger.error('key check crashed', { key: key.name, errorName: (err as Error | null)?.name }),
  });
  for (const outcome of outcomes) {
    recordKeyMetrics(metrics, outcome.key.name, outcome.report, outcome.keyAgeDays);
    logOutcome(outcome);
  }
  // The heartbeat: its absence (not its value) is what the monitor-the-monitor alarm watches.
  metrics.addMetric(METRIC.keysChecked, MetricUnit.Count, outcomes.length);
  const unhealthy = outcomes.filter((o) => !o.report.healthy).map((o) => ({ key: o.key.name, diagnosis: o.report.diagnosis }));
  return { checked: outcomes.length, unhealthy };
}

/** Kept warm: keep-alive connections and the secret cache survive invocations. */
const defaultDeps = lazily((): CheckDeps => {
  const config = loadRuntimeConfig(process.env);
  return {
    config,
    secrets: new CachedSecrets(secretsManagerClient(), config.secretCacheTtlMs),
    target: lambdaCheckTarget(config),
    now: Date.now,
  };
});

export function buildCheckHandler(getDeps: () => CheckDeps = defaultDeps) {
  return middy((_event: unknown, context: Context) => checkAllKeys(getDeps(), context.getRemainingTimeInMillis()))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = buildCheckHandler();
