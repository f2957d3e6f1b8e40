import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { internalErrorReport, runChecks, type ExchangeApi } from '../core/checks.js';
import { clientForLambda } from '../core/exchange-client.js';
import { loadRuntimeConfig, type MonitoredKey, type RuntimeConfig } from '../core/runtime-config.js';
import type { Report } from '../core/types.js';
import { recordKeyMetrics } from '../aws/key-metrics.js';
import { METRIC } from '../aws/metric-names.js';
import { logger, metrics } from '../aws/powertools.js';
import { CachedSecrets } from '../aws/secrets.js';

export interface CheckDeps {
  readonly config: RuntimeConfig;
  readonly secrets: Pick<CachedSecrets, 'get'>;
  readonly exchange: ExchangeApi;
  readonly now: () => number;
}

export interface KeyOutcome {
  readonly key: string;
  readonly diagnosis: Report['diagnosis'];
  readonly healthy: boolean;
}

const DAY_MS = 86_400_000;

async function checkKey(key: MonitoredKey, deps: CheckDeps): Promise<{ report: Report; keyAgeDays: number | null }> {
  try {
    const secret = await deps.secrets.get(key.secretId);
    const report = await runChecks({
      credentials: secret.verdict,
      expectTrade: key.expectTrade,
      expectedIps: deps.config.expectedIps,
      ipEchoUrl: deps.config.ipEchoUrl,
      exchange: deps.exchange,
    });
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
  const results = await Promise.all(deps.config.keys.map((key) => checkKey(key, deps)));
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

let defaultDeps: CheckDeps | undefined;

/** Built on first use and kept warm: keep-alive connections and the secret cache survive invocations. */
function lazyDeps(): CheckDeps {
  if (!defaultDeps) {
    const config = loadRuntimeConfig(process.env);
    defaultDeps = {
      config,
      secrets: new CachedSecrets(new SecretsManagerClient({}), config.secretCacheTtlMs),
      exchange: clientForLambda(config),
      now: Date.now,
    };
  }
  return defaultDeps;
}

export function buildCheckHandler(getDeps: () => CheckDeps = lazyDeps) {
  return middy(() => checkAllKeys(getDeps()))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = buildCheckHandler();
