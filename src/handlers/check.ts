import '../aws/lean-runtime.js';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { KEY_CONCURRENCY, keyDeadlineMs } from '../contract/defaults.js';
import { checkKeys, type KeyOutcome, type SecretSource } from '../monitor/check-run.js';
import type { CheckTarget } from '../monitor/checks.js';
import { recordRun, type IncidentRunDeps, type IncidentRunSummary } from '../monitor/incident-run.js';
import { notificationLinks } from '../monitor/links.js';
import { planWithdrawProbe } from '../monitor/withdraw-schedule.js';
import { ANNOUNCEMENT_QUERY, parseAnnouncements } from '../monitor/maintenance.js';
import { loadIncidentConfig, loadRuntimeConfig, type RuntimeConfig } from '../monitor/runtime-config.js';
import { awsClientOptions } from '../aws/aws-calls.js';
import { DynamoIncidentStore } from '../aws/incident-store.js';
import { SqsNotificationQueue, lazySqsClient } from '../aws/notification-queue.js';
import { logger, metrics } from '../aws/powertools.js';
import { recordRunMetrics } from '../aws/run-metrics.js';
import { CachedSecrets, secretsManagerClient } from '../aws/secrets.js';
import { lazily } from './lazily.js';
import { lambdaTargets, RUN_MARGIN_MS } from './wiring.js';

export interface CheckDeps {
  readonly config: RuntimeConfig;
  readonly secrets: SecretSource;
  readonly target: CheckTarget;
  readonly now: () => number;
  /** The incident layer; null runs the checks, metrics and log lines only. */
  readonly incidents: Omit<IncidentRunDeps, 'now' | 'log'> | null;
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

export interface CheckRunResult {
  readonly checked: number;
  readonly unhealthy: readonly { key: string; diagnosis: string }[];
  readonly notified: readonly string[];
  readonly suppressed: readonly string[];
}

/** Check every key, record the fixed metric set and one log line per key, then run the incident rules. */
export async function checkAllKeys(deps: CheckDeps, remainingMs: number): Promise<CheckRunResult> {
  // The stored state is read alongside the secrets, not before them: only each key's withdraw plan
  // waits for it (its last probe). A failed read still fails the whole run, as it did when read first.
  const loading = deps.incidents ? deps.incidents.store.load(deps.config.keys.map((k) => k.name)) : Promise.resolve(null);
  loading.catch(() => {}); // observed below; keeps an early failure from being an unhandled rejection
  const outcomes = await checkKeys({
    withdrawPlan: async (key) => planWithdrawProbe((await loading)?.keys.get(key.name)?.state ?? null, deps.now()),
    keys: deps.config.keys,
    secrets: deps.secrets,
    target: deps.target,
    now: deps.now,
    concurrency: KEY_CONCURRENCY,
    keyDeadlineMs: keyDeadlineMs(deps.config.timeoutMs),
    runDeadline: deps.now() + remainingMs - RUN_MARGIN_MS,
    onCrash: (key, err) => logger.error('key check crashed', { key: key.name, errorName: (err as Error | null)?.name }),
  });
  for (const outcome of outcomes) logOutcome(outcome);
  recordRunMetrics(metrics, outcomes);
  let summary: IncidentRunSummary | null = null;
  const loaded = await loading;
  if (deps.incidents) {
    summary = await recordRun(outcomes, { ...deps.incidents, now: deps.now, log: { warn: (m, f) => logger.warn(m, f), error: (m, f) => logger.error(m, f) } }, loaded ?? undefined);
    for (const n of summary.sent) logger.info('notification queued', { id: n.id, kind: n.kind, subject: n.subject });
    for (const line of summary.suppressed) logger.info('notification suppressed: alerts are muted', { suppressed: line });
    // A lost notification must not pass silently: the outbox keeps it, and the run fails visibly.
    if (summary.enqueueFailed) throw new Error('notifications could not be enqueued; they are kept and retried on the next run');
  }
  return {
    checked: outcomes.length,
    unhealthy: outcomes.filter((o) => !o.report.healthy).map((o) => ({ key: o.key.name, diagnosis: o.report.diagnosis })),
    notified: summary?.sent.map((n) => n.id) ?? [],
    suppressed: summary?.suppressed ?? [],
  };
}

/**
 * The deployed wiring, from the Lambda's environment. Kept warm: keep-alive connections, AWS clients
 * and the secret cache survive invocations; the check target is asked for afresh on each one (it is
 * made again when the proxy token has to be read again).
 */
export function lambdaCheckDeps(env: NodeJS.ProcessEnv): () => Promise<CheckDeps> {
  const warm = lazily(async () => {
    const config = loadRuntimeConfig(env);
    const incident = loadIncidentConfig(env);
    const sm = secretsManagerClient();
    const incidents = incident && {
      store: new DynamoIncidentStore(new DynamoDBClient(awsClientOptions()), incident.table, incident.historyDays),
      sink: new SqsNotificationQueue(lazySqsClient(), incident.queueUrl),
      policy: {
        openAfterRuns: incident.openAfterRuns,
        resolveAfterRuns: incident.resolveAfterRuns,
        remindEveryMs: incident.remindEveryHours * 3_600_000,
        keyMaxAgeDays: incident.keyMaxAgeDays,
      },
      messages: {
        source: incident.monitorName,
        expectedIps: config.expectedIps,
        links: (key: string | null) => notificationLinks({ region: incident.region, dashboardUrl: incident.dashboardUrl, checkLogGroup: incident.checkLogGroup }, key),
      },
      announcementsUrl: incident.announcementsUrl,
    };
    return { config, targets: lambdaTargets(config, (m, f) => logger.warn(m, f), sm), secrets: new CachedSecrets(sm, config.secretCacheTtlMs), incidents };
  });
  return async () => {
    const { config, targets, secrets, incidents } = await warm();
    // The run's one target, announcements included: a client made for a later run is not this run's.
    const target = await targets();
    const maintenance = (announcementsUrl: string) => ({
      windows: async () => {
        const { text } = await target.exchange.getText(`${announcementsUrl}?${ANNOUNCEMENT_QUERY}`);
        const windows = parseAnnouncements(text, Date.now());
        if (windows === null) throw new Error('the announcements reply was not an answer');
        return windows;
      },
    });
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
        maintenance: incidents.announcementsUrl ? maintenance(incidents.announcementsUrl) : null,
      },
    };
  };
}

const defaultDeps = lambdaCheckDeps(process.env);

export function buildCheckHandler(getDeps: () => CheckDeps | Promise<CheckDeps> = defaultDeps) {
  return middy(async (_event: unknown, context: Context) => checkAllKeys(await getDeps(), context.getRemainingTimeInMillis()))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = buildCheckHandler();
