import { isTransient, provenBy } from './diagnosis.js';
import { DIAGNOSIS_TABLE } from './diagnosis-table.js';
import {
  NEW_KEY_STATE,
  type IncidentRecord,
  type KeyRun,
  type KeyState,
  type MaintenanceWindow,
  type MonitorState,
  type Mute,
  type OpenIncident,
  type Scope,
  type SecurityIncident,
  type SecuritySlot,
} from './incident-state.js';
import type { CheckName, Diagnosis } from './types.js';
import { afterProbe } from './withdraw-schedule.js';
import { SECURITY_QUIET_MS, stepSecurity, type SecurityEvent } from './security-rules.js';

/**
 * The incident rules: this run's outcomes + the stored state + the clock → the new state and what
 * to tell the operator. Pure: no I/O and no clock of its own, so reminders, durations, mutes and
 * maintenance windows are tested by moving time, not by sleeping.
 *
 * - A key verdict (40101, 40103, Trade, credentials…) opens an incident at once; a transient class
 *   (429, outages) only after `openAfterRuns` failing runs in a row. `resolveAfterRuns` OK runs close it.
 * - An incident resolves only on a conclusive healthy answer for what it was about: an OK run counts
 *   only when the check that proves its diagnosis gone (the diagnosis table's `provenBy`), and that of
 *   every diagnosis it showed before and that has not passed since, passed in that run. An OK run
 *   whose proving check proved nothing (a 503, a timeout, an answer without the flags) leaves it open
 *   and says "could not re-check", with why and the last definite verdict.
 * - One notification when an incident opens, one when its diagnosis changes, reminders every
 *   `remindEveryMs` while open, one when it resolves (with its duration and failed runs).
 * - One alert per root cause: when every key fails for the same shared cause (exchange down or in
 *   maintenance, egress IP, clock, rate limit everywhere), one monitor-level incident, not one per key.
 * - Failures an announced exchange maintenance could explain are held while the window lasts.
 * - A mute suppresses notifications (and counts them) until it ends, then says what it suppressed.
 */

export interface IncidentPolicy {
  readonly openAfterRuns: number;
  readonly resolveAfterRuns: number;
  /** 0 = no reminders. */
  readonly remindEveryMs: number;
  /** Reminders while someone has acknowledged the incident; absent or 0 = none. */
  readonly acknowledgedRemindEveryMs?: number;
  /** A key whose secret version is this old gets a rotation reminder (then every 30 days); 0 = never. */
  readonly keyMaxAgeDays: number;
  /** How long after its last finding an acknowledged security incident closes (default SECURITY_QUIET_MS). */
  readonly securityQuietMs?: number;
}

export type IncidentEvent =
  | { readonly kind: 'opened'; readonly scope: Scope; readonly incident: OpenIncident; readonly run: KeyRun }
  | { readonly kind: 'changed'; readonly scope: Scope; readonly incident: OpenIncident; readonly previous: Diagnosis; readonly run: KeyRun }
  | { readonly kind: 'reminder'; readonly scope: Scope; readonly incident: OpenIncident; readonly run: KeyRun }
  /** `unmonitored`: closed because the key left the configuration, not because it recovered. */
  | { readonly kind: 'resolved'; readonly scope: Scope; readonly incident: OpenIncident; readonly resolvedAt: number; readonly reason?: 'unmonitored' }
  | { readonly kind: 'maintenance'; readonly window: MaintenanceWindow }
  | { readonly kind: 'key-age'; readonly scope: Scope; readonly ageDays: number; readonly maxDays: number }
  /** The key's security incident (security-rules.ts): opened, changed with new evidence, reminded, closed. */
  | SecurityEvent
  /** Many keys left the configuration at once with incidents open: one notification, not one per key. */
  | { readonly kind: 'unmonitored'; readonly closed: readonly { readonly key: string; readonly incident: OpenIncident }[]; readonly at: number }
  | {
      readonly kind: 'mute-ended';
      readonly mute: Mute;
      readonly endedAt: number;
      readonly stillOpen: readonly { readonly scope: Scope; readonly incident: OpenIncident }[];
    };

export interface RunInput {
  readonly now: number;
  readonly policy: IncidentPolicy;
  readonly runs: readonly KeyRun[];
  readonly keyStates: ReadonlyMap<string, KeyState>;
  readonly monitor: MonitorState;
  /** States of keys no longer configured: an incident they left open is closed as "no longer monitored". */
  readonly retired?: ReadonlyMap<string, KeyState>;
}

export interface RunDecision {
  readonly keyStates: ReadonlyMap<string, KeyState>;
  readonly monitor: MonitorState;
  /** To send. */
  readonly events: readonly IncidentEvent[];
  /** Would have been sent, but alerts are muted: counted on the mute, logged, shown by status. */
  readonly suppressed: readonly IncidentEvent[];
  readonly records: readonly IncidentRecord[];
  /** Per key of this run: whether the run counts as OK for uptime (healthy, and its incident, if any, proven gone). */
  readonly countedOk: ReadonlyMap<string, boolean>;
}

/**
 * Counters stop here: past the largest threshold they are compared with, a higher count decides
 * nothing, and a steady key's state stays the same from run to run (so it is not written).
 */
const cap = (n: number, policy: IncidentPolicy) => Math.min(n, Math.max(policy.openAfterRuns, policy.resolveAfterRuns, 1));

/**
 * Says nothing about a shared cause: a verdict about one key (neither OK, nor a fault that clears on
 * its own, nor one that is everyone's: a revoked key, an empty secret), or the monitor's own crash.
 */
function keyLocal(d: Diagnosis): boolean {
  const spec = DIAGNOSIS_TABLE[d];
  return d === 'MONITOR_ERROR' || (d !== 'OK' && !spec.transient && !spec.sharedCause);
}

/**
 * The run's shared cause, if any: with two keys or more, every key that got as far as the exchange
 * (keys with their own verdict aside) failed for the same shared-cause diagnosis, and at least two did. Once a shared cause is
 * established (`current`), it holds while at least half of those keys still show it: an outage that
 * recovers key by key ends as one incident, not as one per key still waiting.
 */
export function sharedCause(runs: readonly KeyRun[], current: Diagnosis | null = null): Diagnosis | null {
  if (runs.length < 2) return null;
  // A key with its own verdict (revoked, not whitelisted…) is reported on its own and neither makes
  // nor breaks a shared cause: one revoked key must not split an outage into an incident per key.
  const reaching = runs.filter((r) => !keyLocal(r.diagnosis));
  if (current !== null) {
    const still = reaching.filter((r) => r.diagnosis === current).length;
    if (still >= 2 && still * 2 >= reaching.length) return current;
  }
  const first = reaching[0];
  if (reaching.length < 2 || !first || !DIAGNOSIS_TABLE[first.diagnosis].sharedCause) return null;
  return reaching.every((r) => r.diagnosis === first.diagnosis) ? first.diagnosis : null;
}

export function activeWindow(windows: readonly MaintenanceWindow[], at: number): MaintenanceWindow | null {
  return windows.find((w) => w.start <= at && at <= w.end) ?? null;
}

function shouldRemind(incident: OpenIncident, now: number, policy: IncidentPolicy): boolean {
  const every = incident.ack ? (policy.acknowledgedRemindEveryMs ?? 0) : policy.remindEveryMs;
  return every > 0 && now - incident.lastNotifiedAt >= every;
}

function opens(d: Diagnosis, consecutiveFailures: number, policy: IncidentPolicy): boolean {
  return !isTransient(d) || consecutiveFailures >= policy.openAfterRuns;
}

const notify = (incident: OpenIncident, now: number): OpenIncident => ({ ...incident, transitions: incident.transitions + 1, lastNotifiedAt: now });

function record(scope: Scope, incident: OpenIncident, resolvedAt: number | null): IncidentRecord {
  return {
    scope,
    id: incident.id,
    openedAt: incident.openedAt,
    since: incident.since,
    diagnosis: incident.diagnosis,
    resolvedAt,
    failedRuns: incident.failedRuns,
    duringMaintenance: incident.duringMaintenance,
  };
}

interface Step<S> {
  readonly state: S;
  readonly events: IncidentEvent[];
  readonly records: IncidentRecord[];
}

/**
 * The one rule for "is it gone": the checks a run must pass conclusively before it may count toward
 * resolving `incident` — the proving check of its diagnosis and of every earlier diagnosis it still
 * owes. Returns the first such check `verified` lacks (null: the run proves it gone).
 */
function unproven(incident: OpenIncident, verified: ReadonlySet<CheckName>): CheckName | null {
  const needed = [provenBy(incident.diagnosis), ...(incident.owed ?? [])];
  return needed.find((c): c is CheckName => c !== null && !verified.has(c)) ?? null;
}

/** Earlier diagnoses' proving checks still to pass, after a run that verified `verified`. */
function stillOwed(owed: readonly CheckName[], verified: ReadonlySet<CheckName>, also: Diagnosis | null = null): CheckName[] {
  const extra = also === null ? null : provenBy(also);
  return [...new Set([...owed, ...(extra === null ? [] : [extra])])].filter((c) => !verified.has(c));
}

/** "could not re-check" in words: the check that proved nothing and what it saw. */
function whyUnproven(check: CheckName, runs: readonly KeyRun[]): string {
  const seen = runs.map((r) => r.unverified?.[check]).find((d) => d !== undefined);
  return `${check}: ${seen ?? 'the check did not run'}`;
}

/** The incident after a run that neither showed its diagnosis nor proved it gone. */
function couldNotRecheck(incident: OpenIncident, check: CheckName, runs: readonly KeyRun[], now: number): OpenIncident {
  return { ...incident, recheck: { since: incident.recheck?.since ?? now, why: whyUnproven(check, runs) } };
}

/** One key's run. `covered`: a monitor-level shared cause explains this run's failure. */
function stepKey(prior: KeyState, run: KeyRun, now: number, policy: IncidentPolicy, covered: boolean, windows: readonly MaintenanceWindow[]): Step<KeyState> {
  const scope: Scope = { type: 'key', key: run.key };
  const verified = new Set(run.verified);
  const open = prior.incident;
  const missing = open ? unproven(open, verified) : null;
  const base = {
    version: prior.version,
    lastDiagnosis: run.diagnosis,
    streak: prior.lastDiagnosis === run.diagnosis ? cap(prior.streak + 1, policy) : 1,
    ageNotifiedAt: prior.ageNotifiedAt,
    ...afterProbe(prior, run.withdraw),
  };
  if (run.diagnosis === 'OK' && open && missing !== null) {
    // Healthy as far as this run could tell, but the check that would prove the incident's cause
    // gone proved nothing: it stays open, neither counted toward resolving nor against it.
    const incident = { ...couldNotRecheck(open, missing, [run], now), owed: stillOwed(open.owed ?? [], verified) };
    const state = { ...prior, ...base, consecutiveFailures: 0 };
    if (shouldRemind(incident, now, policy)) {
      const reminded = notify(incident, now);
      return {
        state: { ...state, incident: reminded },
        events: [{ kind: 'reminder', scope, incident: reminded, run: evidenceOf(reminded, run) }],
        records: [],
      };
    }
    return { state: { ...state, incident }, events: [], records: [] };
  }
  if (run.diagnosis === 'OK') {
    const consecutiveOks = cap(prior.consecutiveOks + 1, policy);
    if (open && consecutiveOks < policy.resolveAfterRuns) {
      return { state: { ...prior, ...base, consecutiveOks, consecutiveFailures: 0, incident: { ...open, owed: [], recheck: null } }, events: [], records: [] };
    }
    const done = open ? { kind: 'resolved' as const, scope, incident: notify(open, now), resolvedAt: now } : null;
    return {
      state: { ...base, consecutiveOks, consecutiveFailures: 0, failingSince: null, failedRuns: 0, incident: null },
      events: done ? [done] : [],
      records: done ? [record(scope, done.incident, now)] : [],
    };
  }
  // Runs a shared cause explains do not count toward this key's own incident: when the shared
  // incident ends, a key still failing must prove it on its own (no storm of 999 openings at once).
  const consecutiveFailures = covered ? prior.consecutiveFailures : prior.consecutiveFailures + 1;
  const failingSince = prior.failingSince ?? now;
  const failedRuns = prior.failedRuns + 1;
  const next = { ...base, consecutiveFailures, consecutiveOks: 0, failingSince, failedRuns };
  if (open) {
    const seenAgain = run.diagnosis === open.diagnosis;
    const counted = { ...open, failedRuns: open.failedRuns + 1, owed: stillOwed(open.owed ?? [], verified) };
    const gap = unproven(counted, verified);
    const incident: OpenIncident = seenAgain
      ? { ...counted, evidence: run, confirmedAt: now, recheck: null }
      : gap === null
        ? { ...counted, recheck: null }
        : couldNotRecheck(counted, gap, [run], now);
    // A shared cause (the exchange is down for everyone) says nothing new about this key.
    if (covered) return { state: { ...next, incident }, events: [], records: [] };
    // A transient reading inside a verdict incident (one 502 during a 40101 incident) is a blip until it persists.
    const settled = !isTransient(run.diagnosis) || next.streak >= policy.openAfterRuns;
    if (!seenAgain && settled) {
      // What the incident was about before stays owed until its proving check passes.
      const owed = stillOwed(counted.owed, verified, open.diagnosis).filter((c) => c !== provenBy(run.diagnosis));
      const changed = notify({ ...counted, diagnosis: run.diagnosis, evidence: run, confirmedAt: now, recheck: null, owed, ack: null }, now);
      return { state: { ...next, incident: changed }, events: [{ kind: 'changed', scope, incident: changed, previous: open.diagnosis, run }], records: [] };
    }
    if (shouldRemind(incident, now, policy)) {
      const reminded = notify(incident, now);
      return { state: { ...next, incident: reminded }, events: [{ kind: 'reminder', scope, incident: reminded, run: evidenceOf(reminded, run) }], records: [] };
    }
    return { state: { ...next, incident }, events: [], records: [] };
  }
  const held = DIAGNOSIS_TABLE[run.diagnosis].maintenanceMayCause && activeWindow(windows, now) !== null;
  if (covered || held || !opens(run.diagnosis, consecutiveFailures, policy)) return { state: { ...next, incident: null }, events: [], records: [] };
  const incident: OpenIncident = {
    id: `key:${run.key}:${failingSince}`,
    openedAt: now,
    since: failingSince,
    diagnosis: run.diagnosis,
    transitions: 1,
    lastNotifiedAt: now,
    failedRuns,
    duringMaintenance: activeWindow(windows, failingSince) !== null,
    evidence: run,
    confirmedAt: now,
    owed: [],
    recheck: null,
  };
  return { state: { ...next, incident }, events: [{ kind: 'opened', scope, incident, run }], records: [record(scope, incident, null)] };
}

/** What a reminder shows: this run if it shows the incident's diagnosis, else the last run that did. */
function evidenceOf(incident: OpenIncident, run: KeyRun): KeyRun {
  return run.diagnosis === incident.diagnosis ? run : (incident.evidence ?? run);
}

/**
 * The monitor-level incident for a cause every key shares. A run with no shared cause clears it only
 * when some key's check proved the cause gone (the same rule as a key's, over all keys' checks).
 */
function stepMonitor(prior: MonitorState, runs: readonly KeyRun[], shared: Diagnosis | null, now: number, policy: IncidentPolicy): Step<MonitorState> {
  const affected = shared ? runs.filter((r) => r.diagnosis === shared) : [];
  const scope: Scope = { type: 'monitor', keys: affected.length || prior.sharedKeys };
  const sample = affected[0];
  const verified = new Set(runs.flatMap((r) => r.verified));
  const open = prior.incident;
  if (!shared || !sample) {
    const cleared = { ...prior, sharedDiagnosis: null, sharedSince: null, consecutiveShared: 0 };
    const missing = open ? unproven(open, verified) : null;
    if (open && missing !== null) {
      const incident = { ...couldNotRecheck(open, missing, runs, now), owed: stillOwed(open.owed ?? [], verified) };
      const run = incident.evidence ?? runs[0];
      if (run && shouldRemind(incident, now, policy)) {
        const reminded = notify(incident, now);
        return { state: { ...cleared, incident: reminded }, events: [{ kind: 'reminder', scope, incident: reminded, run }], records: [] };
      }
      return { state: { ...cleared, incident }, events: [], records: [] };
    }
    const consecutiveClear = cap(prior.consecutiveClear + 1, policy);
    if (open && consecutiveClear >= policy.resolveAfterRuns) {
      const incident = notify(open, now);
      return {
        state: { ...cleared, consecutiveClear, incident: null },
        events: [{ kind: 'resolved', scope, incident, resolvedAt: now }],
        records: [record(scope, incident, now)],
      };
    }
    return { state: { ...cleared, consecutiveClear, incident: open ? { ...open, owed: [], recheck: null } : null }, events: [], records: [] };
  }
  const consecutiveShared = cap(prior.consecutiveShared + 1, policy);
  const sharedSince = prior.sharedSince ?? now;
  const next = { ...prior, sharedDiagnosis: shared, sharedSince, consecutiveShared, consecutiveClear: 0, sharedKeys: affected.length };
  if (open) {
    const incident = {
      ...open,
      failedRuns: open.failedRuns + 1,
      evidence: sample,
      confirmedAt: now,
      recheck: null,
      owed: stillOwed(open.owed ?? [], verified),
    };
    if (shared !== incident.diagnosis) {
      const owed = stillOwed(incident.owed, verified, open.diagnosis).filter((c) => c !== provenBy(shared));
      const changed = notify({ ...incident, diagnosis: shared, owed, ack: null }, now);
      return {
        state: { ...next, incident: changed },
        events: [{ kind: 'changed', scope, incident: changed, previous: incident.diagnosis, run: sample }],
        records: [],
      };
    }
    if (shouldRemind(incident, now, policy)) {
      const reminded = notify(incident, now);
      return { state: { ...next, incident: reminded }, events: [{ kind: 'reminder', scope, incident: reminded, run: sample }], records: [] };
    }
    return { state: { ...next, incident }, events: [], records: [] };
  }
  const held = DIAGNOSIS_TABLE[shared].maintenanceMayCause && activeWindow(prior.maintenance.windows, now) !== null;
  if (held || !opens(shared, consecutiveShared, policy)) return { state: next, events: [], records: [] };
  const incident: OpenIncident = {
    id: `monitor:${sharedSince}`,
    openedAt: now,
    since: sharedSince,
    diagnosis: shared,
    transitions: 1,
    lastNotifiedAt: now,
    failedRuns: consecutiveShared,
    duringMaintenance: activeWindow(prior.maintenance.windows, sharedSince) !== null,
    evidence: sample,
    confirmedAt: now,
    owed: [],
    recheck: null,
  };
  return { state: { ...next, incident }, events: [{ kind: 'opened', scope, incident, run: sample }], records: [record(scope, incident, null)] };
}

const AGE_REMINDER_EVERY_MS = 30 * 86_400_000;

/** A key past its maximum age: remind once, then every 30 days while it stays that old. */
function ageReminder(state: KeyState, run: KeyRun, now: number, policy: IncidentPolicy): IncidentEvent | null {
  if (policy.keyMaxAgeDays <= 0 || run.keyAgeDays === null || run.keyAgeDays < policy.keyMaxAgeDays) return null;
  if (state.ageNotifiedAt !== null && now - state.ageNotifiedAt < AGE_REMINDER_EVERY_MS) return null;
  return { kind: 'key-age', scope: { type: 'key', key: run.key }, ageDays: run.keyAgeDays, maxDays: policy.keyMaxAgeDays };
}

/** A one-line description of an event, for the mute's tally and the log. */
export function eventLine(e: IncidentEvent): string {
  const where = (s: Scope) => (s.type === 'key' ? s.key : `all ${s.keys} keys`);
  switch (e.kind) {
    case 'maintenance':
      return `exchange maintenance announced: ${e.window.title}`;
    case 'mute-ended':
      return 'mute ended';
    case 'unmonitored':
      return `${e.closed.length} keys no longer monitored: their incidents closed`;
    case 'key-age':
      return `${where(e.scope)}: key is ${e.ageDays} days old`;
    case 'security':
      return `${where(e.scope)}: security ${e.transition} ${e.incident.diagnosis}`;
    default:
      return `${where(e.scope)}: ${e.kind} ${e.incident.diagnosis}`;
  }
}

const securityPolicy = (policy: IncidentPolicy) => ({
  remindEveryMs: policy.remindEveryMs,
  ...(policy.acknowledgedRemindEveryMs !== undefined ? { acknowledgedRemindEveryMs: policy.acknowledgedRemindEveryMs } : {}),
  quietMs: policy.securityQuietMs ?? SECURITY_QUIET_MS,
});

/** A key's security slot as the security rules read it; undefined before its first finding. */
function securitySlot(state: KeyState): SecuritySlot | undefined {
  return state.security === undefined && state.securitySeen === undefined ? undefined : { incident: state.security ?? null, seen: state.securitySeen ?? [] };
}

/** A key's state with its security slot (the health step does not carry it). */
function withSecurity(state: KeyState, slot: SecuritySlot | undefined): KeyState {
  const { security: _incident, securitySeen: _seen, ...rest } = state;
  return slot ? { ...rest, security: slot.incident, securitySeen: slot.seen } : rest;
}

const MAX_SUPPRESSED_LINES = 20;
/** Keys removed with open incidents that are each told on their own; more make one summary. */
const UNMONITORED_ONE_BY_ONE = 5;

export function decideRun(input: RunInput): RunDecision {
  const { now, policy, runs } = input;
  const prior = input.monitor;
  const windows = prior.maintenance.windows;
  // Hysteresis only holds an incident that exists: before one opens, every reaching key must agree.
  const shared = sharedCause(runs, prior.incident?.diagnosis ?? null);
  const monitorStep = stepMonitor(prior, runs, shared, now, policy);
  // Newly announced maintenance first (once per window): it is the context for what follows.
  const upcoming = windows.filter((w) => w.end > now && !prior.maintenance.notified.includes(w.id));
  const events: IncidentEvent[] = [...upcoming.map((window) => ({ kind: 'maintenance' as const, window })), ...monitorStep.events];
  const records: IncidentRecord[] = [...monitorStep.records];
  const keyStates = new Map<string, KeyState>();
  const countedOk = new Map<string, boolean>();
  for (const run of runs) {
    const priorKey = input.keyStates.get(run.key) ?? NEW_KEY_STATE;
    // Uptime counts a run as OK only on a conclusive healthy answer for what its open incident (if any) was about.
    countedOk.set(run.key, run.diagnosis === 'OK' && (priorKey.incident === null || unproven(priorKey.incident, new Set(run.verified)) === null));
    // The findings are the security slot's; the health incident keeps no copy of them as its evidence.
    const { security: found, ...healthRun } = run;
    const step = stepKey(priorKey, healthRun, now, policy, shared !== null && run.diagnosis === shared, windows);
    const aged = ageReminder(step.state, run, now, policy);
    const security = stepSecurity(securitySlot(priorKey), run.key, found ?? [], now, securityPolicy(policy));
    keyStates.set(run.key, withSecurity(aged ? { ...step.state, ageNotifiedAt: now } : step.state, security.slot));
    events.push(...step.events, ...(aged ? [aged] : []), ...security.events);
    records.push(...step.records);
  }
  const closed: { key: string; incident: OpenIncident }[] = [];
  // A removed key's security incident is closed the same way: left open, nobody would see it again.
  const closedSecurity: { key: string; incident: SecurityIncident }[] = [];
  for (const [key, state] of input.retired ?? []) {
    if (!state.incident && !state.security) continue;
    let next: KeyState = state;
    if (state.incident) {
      const incident = notify(state.incident, now);
      next = { ...next, incident: null, consecutiveFailures: 0, failingSince: null };
      closed.push({ key, incident });
      records.push(record({ type: 'key', key }, incident, now));
    }
    if (state.security) {
      closedSecurity.push({ key, incident: { ...state.security, transitions: state.security.transitions + 1, lastNotifiedAt: now } });
      next = { ...next, security: null };
    }
    keyStates.set(key, next);
  }
  if (closed.length + closedSecurity.length > UNMONITORED_ONE_BY_ONE) events.push({ kind: 'unmonitored', closed: [...closed, ...closedSecurity], at: now });
  else {
    for (const c of closed) events.push({ kind: 'resolved', scope: { type: 'key', key: c.key }, incident: c.incident, resolvedAt: now, reason: 'unmonitored' });
    for (const c of closedSecurity)
      events.push({ kind: 'security', transition: 'resolved', scope: { type: 'key', key: c.key }, incident: c.incident, findings: [], reason: 'unmonitored' });
  }
  const notified = [...prior.maintenance.notified.filter((id) => windows.some((w) => w.id === id)), ...upcoming.map((w) => w.id)];
  let monitor: MonitorState = { ...monitorStep.state, maintenance: { ...prior.maintenance, notified } };

  const mute = prior.mute;
  if (mute && now < mute.until) {
    const lines = [...mute.suppressedLines, ...events.map(eventLine)].slice(0, MAX_SUPPRESSED_LINES);
    monitor = { ...monitor, mute: { ...mute, suppressed: mute.suppressed + events.length, suppressedLines: lines } };
    return { keyStates, monitor, events: [], suppressed: events, records, countedOk };
  }
  if (mute) {
    const stillOpen = [
      ...(monitor.incident ? [{ scope: { type: 'monitor', keys: monitor.sharedKeys } as Scope, incident: monitor.incident }] : []),
      ...[...keyStates.entries()].flatMap(([key, s]) => (s.incident ? [{ scope: { type: 'key', key } as Scope, incident: s.incident }] : [])),
      ...[...keyStates.entries()].flatMap(([key, s]) => (s.security ? [{ scope: { type: 'key', key } as Scope, incident: s.security }] : [])),
    ];
    events.unshift({ kind: 'mute-ended', mute, endedAt: now, stillOpen });
    monitor = { ...monitor, mute: null };
  }
  return { keyStates, monitor, events, suppressed: [], records, countedOk };
}

export interface VerificationInput {
  readonly now: number;
  readonly policy: IncidentPolicy;
  readonly run: KeyRun;
  readonly keyState: KeyState;
  /** Read, never written: a verification of one key decides nothing about the monitor. */
  readonly monitor: MonitorState;
}

export interface VerificationDecision {
  readonly keyState: KeyState;
  readonly events: readonly IncidentEvent[];
  readonly suppressed: readonly IncidentEvent[];
  readonly records: readonly IncidentRecord[];
  readonly countedOk: boolean;
}

/**
 * One key checked outside the schedule (a bot's log line or a nudge asked for it): the key's own
 * step of a run, and nothing else. Shared causes, maintenance notices, retired keys and the end of
 * a mute are the scheduled run's, which sees every key; an open monitor incident still covers this
 * key when it fails for the same reason, as it would in a run.
 */
export function decideVerification(input: VerificationInput): VerificationDecision {
  const { now, policy, run, keyState, monitor } = input;
  const covered = monitor.incident !== null && run.diagnosis === monitor.incident.diagnosis;
  const countedOk = run.diagnosis === 'OK' && (keyState.incident === null || unproven(keyState.incident, new Set(run.verified)) === null);
  const step = stepKey(keyState, run, now, policy, covered, monitor.maintenance.windows);
  const aged = ageReminder(step.state, run, now, policy);
  // The security slot is the scheduled run's: it compares run to run.
  const state = withSecurity(aged ? { ...step.state, ageNotifiedAt: now } : step.state, securitySlot(keyState));
  const events = [...step.events, ...(aged ? [aged] : [])];
  const muted = monitor.mute !== null && now < monitor.mute.until;
  return { keyState: state, events: muted ? [] : events, suppressed: muted ? events : [], records: step.records, countedOk };
}
