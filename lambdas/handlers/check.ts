import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { internalErrorReport, lambdaCheckTarget, runChecks, type CheckTarget, type ExchangeApi } from '../monitor/checks.js';
import { lazily } from './lazily.js';
import { loadRuntimeConfig, type MonitoredKey, type RuntimeConfig } from '../monitor/runtime-config.js';
import type { Report } from '../monitor/types.js';
import { recordKeyMetrics } from '../aws/key-metrics.js';
import { METRIC } from '../contract/metrics.js';
import { logger, metrics } from '../aws/powertools.js';
import { CachedSecrets } from '../aws/secrets.js';

export interface CheckDeps {
  readonly config: RuntimeConfig;
  readonly secrets: Pick<CachedSecrets, 'get'>;
  readonly target: CheckTarget;
  readonly now: () => number;
}

export interface KeyOutcome {
  readonly key: string;
  readonly diagnosis: Report['diagnosis'];
  readonly healthy: boolean;
}

const DAY_MS = 86_400_000;

/** The IP echo and the ticker answer the same for every key: ask them once per run. */
function sharedPerRun(exchange: ExchangeApi): ExchangeApi {
  const calls = new Map<string, Promise<unknown>>();
  const once = <T>(id: string, call: () => Promise<T>): Promise<T> => {
    if (!calls.has(id)) calls.set(id, call());
    return calls.get(id) as Promise<T>;
  };
  return {
    getText: (url) => once(`text ${url}`, () => exchange.getText(url)),
    publicGet: (method, query) => once(`get ${method}?${new URLSearchParams(query).toString()}`, () => exchange.publicGet(method, query)),
    privatePost: (method, params, credentials) => exchange.privatePost(method, params, credentials),
  };
}

async function checkKey(key: MonitoredKey, deps: CheckDeps, target: CheckTarget): Promise<{ report: Report; keyAgeDays: number | null }> {
  try {
    const secret = await deps.secrets.get(key.secretId);
    const report = await runChecks({ ...target, credentials: secret.verdict, expectTrade: key.expectTrade });
    const keyAgeDays = secret.createdDate ? Math.floor((deps.now() - secret.createdDate.getTime()) / DAY_MS) : null;
    return { report, keyAgeDays };
  } catch (err) {
    // One key's bug must not hide the others' results; it still shows up as unhealthy.
    logger.error('key check crashed', { key: key.name, errorName: (err as Error)?.name, errorMessage: (err as Error)?.message });
    return { report: internalErrorReport(err), keyAgeDays: null };
  }
}

/** Check every key concurrently, then record one metric document and one log line per key. */
export async function checkAllKeys(deps: CheckDeps): Promise<{ keys: KeyOutcome[] }> {
  const target = { ...deps.target, exchange: sharedPerRun(deps.target.exchange) };
  const results = await Promise.all(deps.config.keys.map((key) => checkKey(key, deps, target)));
  const outcomes = deps.config.keys.map((key, i) => {
    const { report, keyAgeDays } = results[i] as { report: Report; keyAgeDays: number | null };
    recordKeyMetrics(metrics, key.name, report, keyAgeDays);
    const fields = {
      key: key.name,
      keyPrefix: report.keyPrefix,
      diagnosis: report.diagnosis,
      healthy: report.healthy,
      egressIp: report.egressIp,
      keyAgeDays,
      ...(report.healthy ? {} : { title: report.title, advice: report.advice }),
      checks: report.checks.map(({ name, status, code, httpStatus, latencyMs, detail }) => ({ name, status, code, httpStatus, latencyMs, detail })),
    };
    if (report.healthy) logger.info('key healthy', fields);
    else logger.warn(`key unhealthy: ${report.diagnosis}`, fields);
    return { key: key.name, diagnosis: report.diagnosis, healthy: report.healthy };
  });
  // The heartbeat: its absence (not its value) is what the monitor-the-monitor alarm watches.
  metrics.addMetric(METRIC.keysChecked, MetricUnit.Count, outcomes.length);
  return { keys: outcomes };
}

/** Kept warm: keep-alive connections and the secret cache survive invocations. */
const defaultDeps = lazily((): CheckDeps => {
  const config = loadRuntimeConfig(process.env);
  return {
    config,
    secrets: new CachedSecrets(new SecretsManagerClient({}), config.secretCacheTtlMs),
    target: lambdaCheckTarget(config),
    now: Date.now,
  };
});

export function buildCheckHandler(getDeps: () => CheckDeps = defaultDeps) {
  return middy(() => checkAllKeys(getDeps()))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = buildCheckHandler();
