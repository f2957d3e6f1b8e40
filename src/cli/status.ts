import { dynamoDbClient } from '../aws/dynamodb-call.js';
import { DynamoIncidentStore, type RecentIncident } from '../aws/incident-store.js';
import { ServerClock } from '../aws/server-clock.js';
import { displaySafe } from '../exchange/text-safety.js';
import { DIAGNOSIS_TABLE } from '../monitor/diagnosis-table.js';
import { formatDuration, utc } from '../monitor/incident-messages.js';
import { activeWindow } from '../monitor/incident-rules.js';
import { uptime, type RunEntry } from '../monitor/run-records.js';
import type { KeyState, MonitorState, OpenIncident } from '../monitor/incident-state.js';
import type { StatusOptions } from './args.js';
import { JSON_SCHEMA_VERSION } from './format.js';
import type { Io } from './io.js';
import { findDeployedMonitor } from '../aws/stack-outputs.js';
import { DEFAULT_SCHEDULE_MINUTES } from '../contract/defaults.js';

/** What `key-monitor status` shows for one key (also its --json shape). */
export interface KeyStatus {
  readonly key: string;
  /**
   * ok; failing (counted, no incident yet, or covered by a monitor-level one); open (an incident);
   * stale (no check for three schedule periods: its last verdict is no longer evidence);
   * never-checked.
   */
  readonly state: 'ok' | 'failing' | 'open' | 'stale' | 'never-checked';
  readonly diagnosis: string | null;
  readonly since: string | null;
  readonly lastCheckedAt: string | null;
  readonly uptime7d: number | null;
  readonly uptime30d: number | null;
  readonly incidentId: string | null;
  /** Who said they are on the open incident, and when; null when nobody has. */
  readonly acknowledged: AckStatus | null;
  /** The key's open security incident (security watch), beside the health state; absent when none is open. */
  readonly security?: {
    readonly id: string;
    readonly diagnosis: string;
    readonly since: string;
    readonly findings: number;
    readonly acknowledged: AckStatus | null;
  };
}

export interface AckStatus {
  readonly by: string;
  readonly at: string;
  readonly note: string | null;
  readonly via: string;
}

const ackStatus = (incident: OpenIncident | null | undefined): AckStatus | null =>
  incident?.ack ? { by: incident.ack.by, at: new Date(incident.ack.at).toISOString(), note: incident.ack.note, via: incident.ack.via } : null;

export interface StatusReport {
  readonly schemaVersion: number;
  readonly stack: string;
  /**
   * Whose clock ages and staleness are measured by: AWS's (from its replies' Date header) when this
   * machine's differs from it by more than CLOCK_TOLERANCE_MS, else this machine's. `skewMs`: this
   * machine's clock minus AWS's (negative: behind); null when no reply said AWS's time.
   */
  readonly clock: { readonly source: 'aws' | 'local'; readonly skewMs: number | null };
  readonly keys: readonly KeyStatus[];
  readonly monitorIncident: {
    readonly diagnosis: string;
    readonly since: string;
    readonly keys: number;
    readonly incidentId: string;
    readonly acknowledged: AckStatus | null;
  } | null;
  readonly mutedUntil: string | null;
  readonly maintenance: readonly { readonly title: string; readonly start: string; readonly end: string; readonly active: boolean }[];
  readonly recentIncidents: readonly {
    readonly key: string | null;
    readonly diagnosis: string;
    readonly openedAt: string;
    readonly resolvedAt: string | null;
    readonly durationMs: number;
    readonly failedRuns: number;
  }[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Missed runs after which a key's last verdict no longer counts as evidence. */
export const STALE_AFTER_RUNS = 3;

/** A difference between this machine's clock and AWS's that is said and corrected (Date headers have whole seconds). */
export const CLOCK_TOLERANCE_MS = 60_000;

/**
 * The time status measures by: a caller's clock an hour behind would show a monitor stopped 50 min
 * ago as checked "under a minute ago". AWS's time (the store's own) wins when the two differ.
 */
export function referenceTime(localMs: number, awsMs: number | null): { readonly now: number; readonly clock: StatusReport['clock'] } {
  if (awsMs === null) return { now: localMs, clock: { source: 'local', skewMs: null } };
  const skewMs = localMs - awsMs;
  return Math.abs(skewMs) > CLOCK_TOLERANCE_MS ? { now: awsMs, clock: { source: 'aws', skewMs } } : { now: localMs, clock: { source: 'local', skewMs } };
}

/** A clock difference in words, to the minute: "1 h 0 min", "3 min", "14 d 8 h". */
function skewWords(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes >= 48 * 60) return formatDuration(minutes * 60_000);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

/** One key's status from its state (written when it changes) and its run record (when it was last checked, uptime). */
export function statusOf(key: string, state: KeyState | undefined, run: RunEntry | undefined, now: number, staleAfterMs: number): KeyStatus {
  if (!state && !run)
    return {
      key,
      state: 'never-checked',
      diagnosis: null,
      since: null,
      lastCheckedAt: null,
      uptime7d: null,
      uptime30d: null,
      incidentId: null,
      acknowledged: null,
    };
  const lastDiagnosis = state?.lastDiagnosis ?? run?.diagnosis ?? null;
  const failing = lastDiagnosis !== null && lastDiagnosis !== 'OK';
  const lastRunAt = run?.at ?? null;
  const stale = lastRunAt === null || now - lastRunAt > staleAfterMs;
  return {
    key,
    state: state?.incident ? 'open' : failing ? 'failing' : stale ? 'stale' : 'ok',
    diagnosis: state?.incident?.diagnosis ?? (failing ? lastDiagnosis : null),
    since: iso(state?.incident?.since ?? state?.failingSince ?? null),
    lastCheckedAt: iso(lastRunAt),
    uptime7d: uptime(run, now, 7),
    uptime30d: uptime(run, now, 30),
    incidentId: state?.incident?.id ?? null,
    acknowledged: ackStatus(state?.incident),
    ...(state?.security
      ? {
          security: {
            id: state.security.id,
            diagnosis: state.security.diagnosis,
            since: iso(state.security.openedAt) as string,
            findings: state.security.findings,
            acknowledged: ackStatus(state.security),
          },
        }
      : {}),
  };
}

export function buildStatus(
  stack: string,
  keyStates: ReadonlyMap<string, KeyState>,
  runs: ReadonlyMap<string, RunEntry>,
  names: readonly string[],
  monitor: MonitorState,
  recent: readonly RecentIncident[],
  now: number,
  scheduleMinutes: number,
  clock: StatusReport['clock'] = { source: 'local', skewMs: null },
): StatusReport {
  const staleAfterMs = STALE_AFTER_RUNS * scheduleMinutes * 60_000;
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    stack,
    clock,
    keys: names.map((n) => statusOf(n, keyStates.get(n), runs.get(n), now, staleAfterMs)),
    monitorIncident: monitor.incident
      ? {
          diagnosis: monitor.incident.diagnosis,
          since: iso(monitor.incident.since) as string,
          keys: monitor.sharedKeys,
          incidentId: monitor.incident.id,
          acknowledged: ackStatus(monitor.incident),
        }
      : null,
    mutedUntil: monitor.mute && monitor.mute.until > now ? iso(monitor.mute.until) : null,
    maintenance: monitor.maintenance.windows
      .filter((w) => w.end > now)
      .map((w) => ({ title: w.title, start: iso(w.start) as string, end: iso(w.end) as string, active: activeWindow([w], now) !== null })),
    recentIncidents: recent.map((r) => ({
      key: r.key,
      diagnosis: r.diagnosis,
      openedAt: iso(r.openedAt) as string,
      resolvedAt: iso(r.resolvedAt),
      durationMs: (r.resolvedAt ?? now) - r.since,
      failedRuns: r.failedRuns,
    })),
  };
}

const pct = (u: number | null) => (u === null ? '—' : `${(Math.floor(u * 1000) / 10).toFixed(1)} %`);
const MARK = { ok: '✅ ok', failing: '🟠 failing', open: '🔴 open', stale: '⚪ stale', 'never-checked': '➖ not yet' } as const;

/** "👤 acknowledged by Ann at 2026-12-01 10:01 UTC: rotating now" (names and notes are shown display-safe). */
function ackLine(a: AckStatus): string {
  return `👤 acknowledged by ${displaySafe(a.by, 60)} at ${utc(Date.parse(a.at))}${a.note ? `: ${displaySafe(a.note, 200)}` : ''}`;
}

export function renderStatus(s: StatusReport, now: number): string {
  const lines: string[] = [];
  const last = s.keys.map((k) => (k.lastCheckedAt ? Date.parse(k.lastCheckedAt) : 0)).reduce((a, b) => Math.max(a, b), 0);
  lines.push(
    `Exchange key monitor ${s.stack} — ${s.keys.length} key${s.keys.length === 1 ? '' : 's'}, last checked ${last ? `${formatDuration(now - last)} ago` : 'never'}`,
  );
  if (s.clock.source === 'aws' && s.clock.skewMs !== null) {
    lines.push(`⏱  Your clock is ${skewWords(s.clock.skewMs)} ${s.clock.skewMs < 0 ? 'behind' : 'ahead of'} AWS; ages use AWS's time`);
  } else if (s.clock.skewMs === null) {
    // Ages are only as right as this machine's clock: say so rather than vouch for them.
    lines.push(`⏱  AWS's replies did not say its time; ages use this machine's clock`);
  }
  if (s.mutedUntil) lines.push(`🔕 Alerts are muted until ${utc(Date.parse(s.mutedUntil))} (key-monitor unmute ends it now)`);
  for (const w of s.maintenance)
    lines.push(`🛠  Exchange maintenance${w.active ? ' NOW' : ''}: ${displaySafe(w.title, 120)}, ${utc(Date.parse(w.start))} – ${utc(Date.parse(w.end))}`);
  if (s.monitorIncident) {
    lines.push(
      `🔴 All ${s.monitorIncident.keys} keys: ${DIAGNOSIS_TABLE[s.monitorIncident.diagnosis as keyof typeof DIAGNOSIS_TABLE]?.title ?? s.monitorIncident.diagnosis} since ${utc(Date.parse(s.monitorIncident.since))}`,
    );
    if (s.monitorIncident.acknowledged) lines.push(`   ${ackLine(s.monitorIncident.acknowledged)}`);
  }
  lines.push('');
  const width = Math.max(4, ...s.keys.map((k) => k.key.length));
  lines.push(
    `  ${'KEY'.padEnd(width)}  ${'STATE'.padEnd(11)}  ${'DIAGNOSIS'.padEnd(28)}  ${'FOR'.padEnd(14)}  ${'7 DAYS'.padStart(7)}  ${'30 DAYS'.padStart(7)}`,
  );
  for (const k of s.keys) {
    const since = k.since ? formatDuration(now - Date.parse(k.since)) : '—';
    lines.push(
      `  ${k.key.padEnd(width)}  ${MARK[k.state].padEnd(11)}  ${(k.diagnosis ?? '—').padEnd(28)}  ${since.padEnd(14)}  ${pct(k.uptime7d).padStart(7)}  ${pct(k.uptime30d).padStart(7)}`,
    );
  }
  const open = s.keys.filter((k) => k.incidentId !== null);
  if (open.length > 0) lines.push('', 'Open incidents:');
  const ids = open.map((k) => displaySafe(k.incidentId ?? '', 120));
  const idWidth = Math.max(0, ...ids.map((id) => id.length));
  open.forEach((k, i) =>
    lines.push(
      // With a security incident open too, `ack <key>` would be ambiguous: name the incident by its id.
      `  ${k.key.padEnd(width)}  ${(ids[i] ?? '').padEnd(idWidth)}  ${k.acknowledged ? ackLine(k.acknowledged) : `not acknowledged (key-monitor ack ${k.security ? (ids[i] ?? k.key) : k.key})`}`,
    ),
  );
  const secured = s.keys.filter((k) => k.security);
  if (secured.length > 0) lines.push('', 'Security incidents (closed once acknowledged and a quiet day passes, never by a healthy check):');
  for (const k of secured) {
    const sec = k.security as NonNullable<KeyStatus['security']>;
    const title = DIAGNOSIS_TABLE[sec.diagnosis as keyof typeof DIAGNOSIS_TABLE]?.title ?? sec.diagnosis;
    lines.push(
      `  🛡  ${k.key}: ${title}, open since ${utc(Date.parse(sec.since))}; ${sec.findings} finding${sec.findings === 1 ? '' : 's'} (${displaySafe(sec.id, 120)})`,
      `     ${sec.acknowledged ? ackLine(sec.acknowledged) : `not acknowledged (key-monitor ack ${displaySafe(sec.id, 120)})`}`,
    );
  }
  lines.push('', s.recentIncidents.length > 0 ? 'Last incidents:' : 'No incidents recorded yet.');
  for (const r of s.recentIncidents.slice(0, 15)) {
    const who = r.key ?? 'all keys';
    const how = r.resolvedAt
      ? `resolved after ${formatDuration(r.durationMs)}, ${r.failedRuns} failed run${r.failedRuns === 1 ? '' : 's'}`
      : `open for ${formatDuration(r.durationMs)}`;
    lines.push(`  ${utc(Date.parse(r.openedAt))}  ${who.padEnd(width)}  ${r.diagnosis.padEnd(28)}  ${how}`);
  }
  return lines.join('\n') + '\n';
}

export async function statusCommand(opts: StatusOptions, io: Io, now: () => number = Date.now): Promise<number> {
  const deployed = await findDeployedMonitor(opts.stack, opts.timeoutMs);
  const db = dynamoDbClient({ timeoutMs: opts.timeoutMs });
  const aws = new ServerClock(now);
  aws.watch(db);
  const store = new DynamoIncidentStore(db, deployed.stateTable, 30);
  const names = await store.knownKeys();
  const [{ keys, monitor, runs }, recent] = await Promise.all([store.load(names), store.recentIncidents()]);
  const at = referenceTime(now(), aws.now());
  // A stack from before the ScheduleMinutes output: assume the default schedule.
  const report = buildStatus(
    deployed.stackName,
    new Map([...keys].map(([k, v]) => [k, v.state])),
    runs,
    names,
    monitor.state,
    recent,
    at.now,
    deployed.scheduleMinutes ?? DEFAULT_SCHEDULE_MINUTES,
    at.clock,
  );
  io.out(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderStatus(report, at.now));
  // 0 only with evidence: every key checked recently and OK. A key never checked, or not checked for
  // three runs (the monitor stopped), is not "all healthy".
  return report.keys.length === 0 || report.keys.some((k) => k.state !== 'ok') || report.monitorIncident ? 1 : 0;
}
