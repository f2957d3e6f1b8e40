/**
 * The scheduled check run: every key checked (each with its withdraw-probe plan), one log line per
 * key, the run's metrics, then the incident rules. The use case behind the check Lambda, over ports
 * (secrets, exchange, incident store, queue, log, metrics), no AWS import.
 */
import { EXPOSURE_MAX_AGE_MINUTES, KEY_CONCURRENCY, keyDeadlineMs } from '../contract/defaults.js';
import { checkKeys, type KeyOutcome, type SecretSource } from './check-run.js';
import type { CheckInput, CheckTarget } from './checks.js';
import type { KeyState } from './incident-state.js';
import type { RunEntry } from './run-records.js';
import { recordRun, type IncidentRunDeps, type IncidentRunSummary } from './incident-run.js';
import type { MonitoredKey, RuntimeConfig } from './runtime-config.js';
import { planWithdrawProbe, type WithdrawPlan } from './withdraw-schedule.js';
import { daySlotDue, EVERY_PROBE, expectationsOf, planProbes } from './cadence.js';
import { withdrawalPlanForRun } from './security-watch.js';
import { UNDOCUMENTED_PROBES, type KeyVerdict } from '../contract/deployment-check.js';

/** Leave this much of the run's time to record metrics and logs after the checks. */
export const RUN_MARGIN_MS = 3_000;

/** Log lines carry key names, prefixes and diagnoses, never a secret. */
export interface RunLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface CheckAllKeysDeps {
  readonly config: RuntimeConfig;
  readonly secrets: SecretSource;
  readonly target: CheckTarget;
  readonly now: () => number;
  /** The incident layer; null runs the checks, metrics and log lines only. */
  readonly incidents: Omit<IncidentRunDeps, 'now' | 'log'> | null;
  readonly log: RunLog;
  /** The run's fixed metric set, from every key's outcome. */
  readonly recordMetrics: (outcomes: readonly KeyOutcome[]) => void;
}

export interface CheckRunResult {
  readonly checked: number;
  readonly unhealthy: readonly { key: string; diagnosis: string }[];
  readonly notified: readonly string[];
  readonly suppressed: readonly string[];
  /** A deployment check's answer: every key's verdict and the probes' own answers. */
  readonly keys?: readonly KeyVerdict[];
}

/** How a run goes: on the schedule, or as a deployment check (every probe for every key, each verdict returned). */
export interface RunMode {
  readonly deploymentCheck: boolean;
}

/** A key's verdict as a deployment check or a verification answers it. */
export function verdictOf({ key, report }: KeyOutcome): KeyVerdict {
  return {
    key: key.name,
    secretId: key.secretId,
    keyPrefix: report.keyPrefix,
    diagnosis: report.diagnosis,
    healthy: report.healthy,
    title: report.title,
    advice: report.advice,
    egressIp: report.egressIp,
    probes: UNDOCUMENTED_PROBES.map((probe) => {
      const c = report.checks.find((x) => x.name === probe);
      return { probe, status: c?.status ?? 'skip', httpStatus: c?.httpStatus ?? null, code: c?.code ?? null, detail: c?.detail ?? 'not run' };
    }),
  };
}

/**
 * One line per key. A healthy key's checks are one short text each ("pass 41 ms", "carried from
 * 12:03"): a thousand of them a run are read only to see that they passed and how fast, and the full
 * shape (codes, attempts, every detail) costs a third of a healthy run's CPU in logging alone. A key
 * that is not healthy gets the full shape, with the title and the advice.
 */
export function logOutcome(log: RunLog, { key, report, keyAgeDays, elapsedMs }: KeyOutcome): void {
  const base = {
    key: key.name,
    keyPrefix: report.keyPrefix,
    diagnosis: report.diagnosis,
    healthy: report.healthy,
    egressIp: report.egressIp,
    keyAgeDays,
    elapsedMs,
  };
  if (report.healthy) {
    const checks: Record<string, string> = {};
    for (const c of report.checks) {
      checks[c.name] =
        c.carriedFrom !== undefined
          ? `${c.status}, carried from ${new Date(c.carriedFrom).toISOString()}`
          : c.attempts > 0
            ? `${c.status} ${c.latencyMs} ms${c.attempts > 1 ? ` (${c.attempts} attempts)` : ''}`
            : c.status;
    }
    const read = report.checks.find((c) => c.name === 'signed-read');
    log.info('key healthy', { ...base, checks, ...(read ? { read: read.detail } : {}) });
    return;
  }
  log.warn(`key unhealthy: ${report.diagnosis}`, {
    ...base,
    title: report.title,
    advice: report.advice,
    checks: report.checks.map(({ name, status, code, httpStatus, latencyMs, attempts, detail }) => ({
      name,
      status,
      code,
      httpStatus,
      latencyMs,
      attempts,
      detail,
    })),
  });
}

/** A verdict not tied to this API key (the secret changed by hand, or a run record that is gone) says nothing about it. */
export function withdrawPlanOf(name: string, keyId: string | null, state: KeyState | null, last: RunEntry | undefined, now: number): WithdrawPlan {
  if (keyId !== null && last?.keyId !== keyId) return { kind: 'now' };
  return planWithdrawProbe(state, now, daySlotDue(name, last?.at, now));
}

/**
 * The last snapshot stands while the balance shows the same things in use, for at most an hour (the
 * spaced probes' period when shorter: orders the bot did not place are looked for there, so they
 * are not left to the 3-hour probe cadence); one taken with another API key says nothing about this one.
 */
export function exposurePlanOf(last: RunEntry | undefined, keyId: string | null, spacedProbeMs: number): NonNullable<CheckInput['exposure']> {
  return { last: last?.keyId === keyId ? last?.exposure : undefined, maxAgeMs: Math.min(spacedProbeMs, EXPOSURE_MAX_AGE_MINUTES * 60_000) };
}

/** Check every key, record the fixed metric set and one log line per key, then run the incident rules. */
export async function checkAllKeys(deps: CheckAllKeysDeps, remainingMs: number, mode: RunMode = { deploymentCheck: false }): Promise<CheckRunResult> {
  const { log } = deps;
  // The stored state is read alongside the secrets, not before them: only each key's withdraw plan
  // waits for it (its last probe). A failed read still fails the whole run.
  const loading = deps.incidents ? deps.incidents.store.load(deps.config.keys.map((k) => k.name)) : Promise.resolve(null);
  loading.catch(() => {}); // observed below; keeps an early failure from being an unhandled rejection
  const outcomes = await checkKeys({
    withdrawPlan: async (key, keyId) => {
      if (mode.deploymentCheck) return { kind: 'now' as const };
      const loaded = await loading;
      return withdrawPlanOf(key.name, keyId, loaded?.keys.get(key.name)?.state ?? null, loaded?.runs.get(key.name), deps.now());
    },
    // Without the incident layer there is no run record to carry answers in: every probe, every run.
    ...(deps.incidents
      ? {
          probePlan: async (key: MonitoredKey, keyId: string | null) => {
            if (mode.deploymentCheck) return EVERY_PROBE;
            const loaded = await loading;
            const state = loaded?.keys.get(key.name)?.state;
            return planProbes({
              name: key.name,
              expectations: expectationsOf(key, keyId),
              last: loaded?.runs.get(key.name),
              settled: state !== undefined && state.incident === null && state.lastDiagnosis === 'OK',
              monitorIncident: (loaded?.monitor.state.incident ?? null) !== null,
              now: deps.now(),
              periodMs: deps.config.spacedProbeMs,
            });
          },
          exposurePlan: async (key: MonitoredKey, keyId: string | null) =>
            exposurePlanOf((await loading)?.runs.get(key.name), keyId, deps.config.spacedProbeMs),
          withdrawalPlan: async (key: MonitoredKey, keyId: string | null) => {
            return withdrawalPlanForRun(key.name, key.securityWatch !== false, (await loading)?.runs.get(key.name), keyId, deps.now());
          },
        }
      : {}),
    keys: deps.config.keys,
    secrets: deps.secrets,
    target: deps.target,
    now: deps.now,
    concurrency: KEY_CONCURRENCY,
    keyDeadlineMs: keyDeadlineMs(deps.config.timeoutMs),
    runDeadline: deps.now() + remainingMs - RUN_MARGIN_MS,
    onCrash: (key, err) => log.error('key check crashed', { key: key.name, errorName: (err as Error | null)?.name }),
  });
  for (const outcome of outcomes) logOutcome(log, outcome);
  deps.recordMetrics(outcomes);
  let summary: IncidentRunSummary | null = null;
  const loaded = await loading;
  if (deps.incidents) {
    summary = await recordRun(
      outcomes,
      { ...deps.incidents, now: deps.now, log: { warn: (m, f) => log.warn(m, f), error: (m, f) => log.error(m, f) } },
      loaded ?? undefined,
    );
    for (const n of summary.sent) log.info('notification queued', { id: n.id, kind: n.kind, subject: n.subject });
    for (const line of summary.suppressed) log.info('notification suppressed: alerts are muted', { suppressed: line });
    // A lost notification must not pass silently: the outbox keeps it, and the run fails visibly.
    if (summary.enqueueFailed) throw new Error('notifications could not be enqueued; they are kept and retried on the next run');
  }
  return {
    checked: outcomes.length,
    unhealthy: outcomes.filter((o) => !o.report.healthy).map((o) => ({ key: o.key.name, diagnosis: o.report.diagnosis })),
    notified: summary?.sent.map((n) => n.id) ?? [],
    suppressed: summary?.suppressed ?? [],
    ...(mode.deploymentCheck ? { keys: outcomes.map(verdictOf) } : {}),
  };
}
