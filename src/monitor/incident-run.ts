import { jsonEqual } from '../contract/json.js';
import type { Notification } from '../contract/notification.js';
import type { KeyOutcome } from './check-run.js';
import type { MessageContext } from './incident-messages.js';
import type { ExposureSnapshot } from './exposure.js';
import { decideRun, eventLine, type IncidentEvent, type IncidentPolicy } from './incident-rules.js';
import { NEW_KEY_STATE, type KeyRun, type KeyState, type MonitorState } from './incident-state.js';
import type { IncidentStore, LoadedStates, NotificationSink, RunRecord, Stored } from './ports.js';
import { reportFacts } from './report-facts.js';
import { securityFindings, securitySettingsOf } from './security-watch.js';
import type { DatedBalance } from './balance-summary.js';
import { countDay, shardsOf, type RunEntry } from './run-records.js';
import type { CheckResult } from './types.js';

/**
 * After the checks: load the incident state, decide (incident-rules), save each state that changed
 * with the notifications it owes (an outbox, written in the same conditional write), enqueue them,
 * clear the outbox, then write the run records (one item per RUN_SHARD_SIZE keys) and the history of
 * the keys that were not healthy or changed. A steady healthy run writes no item per key. If enqueuing fails, the outbox stays and the next run sends it again; the notifier
 * sends each notification id once per channel, so a repeat is harmless. A run that loses a
 * state write to an overlapping run sends nothing for that key: the other run already did.
 */
export interface MaintenanceSource {
  /** Refresh the announced maintenance windows (the caller decides how often). */
  windows(): Promise<MonitorState['maintenance']['windows']>;
}

export interface IncidentRunDeps {
  readonly store: IncidentStore;
  readonly sink: NotificationSink;
  readonly policy: IncidentPolicy;
  readonly messages: MessageContext;
  readonly now: () => number;
  readonly maintenance: MaintenanceSource | null;
  readonly log: { warn(message: string, fields: Record<string, unknown>): void; error(message: string, fields: Record<string, unknown>): void };
}

export interface IncidentRunSummary {
  readonly sent: readonly Notification[];
  readonly suppressed: readonly string[];
  /** Keys whose state another run wrote first (their transitions are that run's). */
  readonly conflicts: readonly string[];
  readonly enqueueFailed: boolean;
}

/** Undelivered notifications kept per state item (about 1–2 KB each), and their total size. */
export const MAX_OUTBOX = 50;
export const MAX_OUTBOX_BYTES = 200_000;

/** The newest notifications that fit both bounds. */
export function boundedOutbox(all: readonly Notification[]): Notification[] {
  const kept: Notification[] = [];
  let bytes = 0;
  for (let i = all.length - 1; i >= 0 && kept.length < MAX_OUTBOX; i--) {
    const size = Buffer.byteLength(JSON.stringify(all[i]), 'utf8');
    if (bytes + size > MAX_OUTBOX_BYTES) break;
    bytes += size;
    kept.unshift(all[i] as Notification);
  }
  return kept;
}

/** Read announcements at most this often: they change rarely and the call is not free. */
export const MAINTENANCE_REFRESH_MS = 60 * 60_000;

const proves = (c: CheckResult) => c.status === 'pass' && c.ok === true && c.carriedFrom === undefined;

export function keyRun(outcome: KeyOutcome, expectedIps: readonly string[]): KeyRun {
  const { report } = outcome;
  const failing = report.checks.find((c) => c.status === 'fail' && c.failure === report.diagnosis);
  return {
    key: outcome.key.name,
    keyPrefix: report.keyPrefix,
    diagnosis: report.diagnosis,
    code: failing?.code ?? null,
    httpStatus: failing?.httpStatus ?? null,
    egressIp: report.egressIp,
    advice: report.advice,
    facts: reportFacts(report, expectedIps),
    keyAgeDays: outcome.keyAgeDays,
    // Only a pass of a call sent in this run is evidence: a warning that proved nothing, a skip, a
    // failure or an earlier answer carried forward proves no cause gone.
    verified: report.checks.filter(proves).map((c) => c.name),
    unverified: Object.fromEntries(report.checks.filter((c) => !proves(c)).map((c) => [c.name, c.detail])),
    ...(report.withdrawProbe ? { withdraw: report.withdrawProbe } : {}),
  };
}

export function runRecord(outcome: KeyOutcome, at: number): RunRecord {
  const { report } = outcome;
  const failing = report.checks.find((c) => c.status === 'fail' && c.failure === report.diagnosis);
  const read = report.checks.find((c) => c.name === 'signed-read');
  return {
    key: outcome.key.name,
    at,
    diagnosis: report.diagnosis,
    code: failing?.code ?? null,
    httpStatus: failing?.httpStatus ?? null,
    latencyMs: read && read.status !== 'skip' ? read.latencyMs : null,
    egressIp: report.egressIp,
    balances: report.checks.find((c) => c.balances)?.balances?.count ?? null,
    keyAgeDays: outcome.keyAgeDays,
  };
}

/** What was open on the key's account after this run: read now, or as of its last good check with the same API key. */
export function exposureAfter(prior: RunEntry | undefined, outcome: KeyOutcome | undefined): ExposureSnapshot | undefined {
  if (outcome?.report.exposure) return outcome.report.exposure;
  return prior?.keyId === (outcome?.keyId ?? prior?.keyId) ? prior?.exposure : undefined;
}

/** The account's balances after this run: read now, or as of the last good read with the same API key. */
export function balanceAfter(prior: RunEntry | undefined, outcome: KeyOutcome, now: number): DatedBalance | undefined {
  const read = outcome.report.checks.find((c) => c.name === 'signed-read');
  if (read?.status === 'pass' && read.balances?.summary) return { at: now, ...read.balances.summary };
  return prior?.keyId === (outcome.keyId ?? prior?.keyId) ? prior?.balance : undefined;
}

/** A key's run record after this run. */
export function runEntry(prior: RunEntry | undefined, outcome: KeyOutcome, now: number, countedOk: boolean): RunEntry {
  const carried = outcome.carried ?? prior?.carried;
  const keyId = outcome.keyId ?? prior?.keyId;
  const exposure = exposureAfter(prior, outcome);
  const balance = balanceAfter(prior, outcome, now);
  const withdrawals = outcome.report.withdrawalWatch?.cursor ?? prior?.withdrawals;
  return {
    at: now,
    diagnosis: outcome.report.diagnosis,
    days: countDay(prior?.days ?? {}, now, countedOk),
    ...(carried ? { carried } : {}),
    ...(keyId ? { keyId } : {}),
    ...(exposure ? { exposure } : {}),
    ...(balance ? { balance } : {}),
    ...(withdrawals ? { withdrawals } : {}),
  };
}

/** Two states the same but for their version: then there is nothing to write. */
export function sameState(prior: { version: number } | undefined, next: { version: number }): boolean {
  if (!prior) return false;
  const { version: _a, ...a } = prior;
  const { version: _b, ...b } = next;
  return jsonEqual(a, b);
}

async function refreshMaintenance(monitor: MonitorState, deps: IncidentRunDeps, now: number): Promise<MonitorState> {
  if (!deps.maintenance || now - monitor.maintenance.fetchedAt < MAINTENANCE_REFRESH_MS) return monitor;
  try {
    const windows = await deps.maintenance.windows();
    return { ...monitor, maintenance: { ...monitor.maintenance, fetchedAt: now, windows } };
  } catch (err) {
    // Not knowing about maintenance must not stop incidents: keep the windows we had, try again next run.
    deps.log.warn('could not read exchange maintenance announcements', { errorName: (err as Error | null)?.name });
    return { ...monitor, maintenance: { ...monitor.maintenance, fetchedAt: now } };
  }
}

const scopeKey = (e: IncidentEvent): string | null => ('scope' in e && e.scope.type === 'key' ? e.scope.key : null);

/** The stored states a run starts from (loaded before the checks, which need the last withdraw probe). */
export type { LoadedStates };

export async function recordRun(outcomes: readonly KeyOutcome[], deps: IncidentRunDeps, preloaded?: LoadedStates): Promise<IncidentRunSummary> {
  const now = deps.now();
  const names = outcomes.map((o) => o.key.name);
  const loaded = preloaded ?? (await deps.store.load(names));
  for (const { scope, problems } of loaded.unreadable ?? []) deps.log.warn(`state unreadable, rebuilt: ${scope}`, { scope, problems });
  const monitorRead = loaded.monitor;
  const monitorIn = await refreshMaintenance(monitorRead.state, deps, now);
  const keyStates = new Map<string, KeyState>(names.map((n) => [n, loaded.keys.get(n)?.state ?? NEW_KEY_STATE]));
  // Keys removed from the configuration: close what they left open (only those with an open incident need a write).
  const retired = [...loaded.retired].filter(([, s]) => s.state.incident !== null || Boolean(s.state.security));
  const decision = decideRun({
    now,
    policy: deps.policy,
    runs: outcomes.map((o) => {
      const prior = loaded.runs.get(o.key.name);
      const sameKey = prior?.keyId === o.keyId;
      const security = securityFindings({
        settings: securitySettingsOf(o.key),
        report: o.report,
        now,
        lastBalance: sameKey ? prior?.balance : undefined,
        lastCursor: sameKey ? prior?.withdrawals : undefined,
        keyId: o.keyId,
      });
      const look = o.report.withdrawalWatch;
      // Said once per key, not every run: the run record remembers it.
      if (look?.kind === 'not-read' && look.cursor?.skipped && !(sameKey && prior?.withdrawals?.skipped))
        deps.log.warn('security watch: withdrawal history not read', { key: o.key.name, why: look.cursor.skipped });
      return { ...keyRun(o, deps.messages.expectedIps), ...(security.length > 0 ? { security } : {}) };
    }),
    keyStates,
    monitor: monitorIn,
    retired: new Map(retired.map(([k, s]) => [k, s.state])),
  });

  const owed = new Map<string | null, Notification[]>();
  if (decision.events.length > 0) {
    // The message texts are loaded only by a run that has something to say.
    const { notificationFor, withAckLinks } = await import('./incident-messages.js');
    const byName = new Map(outcomes.map((o) => [o.key.name, o]));
    const messages = { ...(await withAckLinks(deps.messages, deps.log)), exposure: (key: string) => exposureAfter(loaded.runs.get(key), byName.get(key)) };
    for (const e of decision.events) {
      const k = scopeKey(e);
      owed.set(k, [...(owed.get(k) ?? []), notificationFor(e, now, messages)]);
    }
  }

  const conflicts: string[] = [];
  const unchanged = new Set<string>();
  const saved: { scope: { key: string } | 'monitor'; version: number; outbox: readonly Notification[] }[] = [];
  const write = async (
    scope: { key: string } | 'monitor',
    prior: Stored<KeyState> | Stored<MonitorState> | undefined,
    next: KeyState | MonitorState,
    save: (outbox: Notification[]) => Promise<boolean>,
    fresh: Notification[],
  ) => {
    const readVersion = prior?.state.version ?? 0;
    const all = [...(prior?.outbox ?? []), ...fresh];
    if (all.length === 0 && sameState(prior?.state, next)) {
      unchanged.add(scope === 'monitor' ? 'monitor' : scope.key);
      return;
    }
    // The queue has been unreachable for a long time: keep the newest (a DynamoDB item holds 400 KB; a state that cannot be written loses more).
    const outbox = boundedOutbox(all);
    if (outbox.length < all.length)
      deps.log.warn('outbox full: dropped the oldest undelivered notifications', {
        scope: scope === 'monitor' ? 'monitor' : scope.key,
        dropped: all.length - outbox.length,
      });
    if (await save(outbox)) saved.push({ scope, version: readVersion + 1, outbox });
    else conflicts.push(scope === 'monitor' ? 'monitor' : scope.key);
  };
  await Promise.all([
    write(
      'monitor',
      monitorRead,
      decision.monitor,
      (outbox) => deps.store.saveMonitor(monitorRead.state.version, { ...decision.monitor, version: monitorRead.state.version + 1 }, outbox),
      owed.get(null) ?? [],
    ),
    ...[...names, ...retired.map(([k]) => k)].map((name) => {
      const prior = loaded.keys.get(name) ?? loaded.retired.get(name);
      const state = decision.keyStates.get(name) as KeyState;
      const readVersion = prior?.state.version ?? 0;
      return write(
        { key: name },
        prior,
        state,
        (outbox) => deps.store.saveKey(name, readVersion, { ...state, version: readVersion + 1 }, outbox),
        owed.get(name) ?? [],
      );
    }),
  ]);
  if (conflicts.length > 0) deps.log.warn('another run wrote first; its transitions stand', { conflicts: conflicts.slice(0, 20), count: conflicts.length });
  // The key list moves on only once every retired key's incident is closed: else the next run retries them.
  if (loaded.keyListChanged && !retired.some(([k]) => conflicts.includes(k))) {
    await deps.store.saveKeyList(names).catch((err: unknown) => deps.log.warn('could not save the key list', { errorName: (err as Error | null)?.name }));
  }

  const pending = saved.filter((s) => s.outbox.length > 0);
  const sent = pending.flatMap((s) => s.outbox);
  let enqueueFailed = false;
  if (sent.length > 0) {
    try {
      await deps.sink.send(sent);
      await Promise.all(pending.map((s) => deps.store.clearOutbox(s.scope, s.version)));
    } catch (err) {
      enqueueFailed = true;
      deps.log.error('could not enqueue notifications; they stay in the outbox for the next run', {
        count: sent.length,
        errorName: (err as Error | null)?.name,
      });
    }
  }
  // Run records, history and incident records are for `status`, the probe schedule and audits: a
  // failure here must not undo the above. A run record not written reads as an older last check
  // (status says stale sooner; the schedule sends more probes, never fewer).
  const entries = new Map<string, RunEntry>(
    outcomes.map((o) => {
      const name = o.key.name;
      return [name, runEntry(loaded.runs.get(name), o, now, decision.countedOk.get(name) ?? false)];
    }),
  );
  const history = outcomes.filter((o) => o.report.diagnosis !== 'OK' || !unchanged.has(o.key.name)).map((o) => runRecord(o, now));
  await Promise.all([
    deps.store.saveRuns(shardsOf(names, entries, now)),
    deps.store.appendHistory(history),
    deps.store.recordIncidents(decision.records),
  ]).catch((err: unknown) => {
    deps.log.warn('could not write run records or history', { errorName: (err as Error | null)?.name });
  });
  return { sent: enqueueFailed ? [] : sent, suppressed: decision.suppressed.map(eventLine), conflicts, enqueueFailed };
}
