/**
 * The incident state the rules read and write, and the store keeps between runs: each key's state
 * (its open incident, counters, withdraw verdict), the monitor's (a shared-cause
 * incident, the mute, maintenance windows), and the incidents recorded for `key-monitor status`.
 * Types and starting values only: the rules are incident-rules.ts, the stored shape state-shape.ts.
 */
import type { NotificationFact } from '../contract/notification.js';
import type { WithdrawVerdict } from './account-checks.js';
import type { CheckName, Diagnosis, WithdrawProbeOutcome } from './types.js';
import type { UnansweredProbes } from './withdraw-schedule.js';
import type { SecurityFinding } from './security-findings.js';

/** One key's outcome in this run: what the rules decide on, and the evidence messages quote. */
export interface KeyRun {
  readonly key: string;
  readonly keyPrefix: string | null;
  readonly diagnosis: Diagnosis;
  readonly code: number | null;
  readonly httpStatus: number | null;
  readonly egressIp: string | null;
  readonly advice: string;
  readonly facts: readonly NotificationFact[];
  /** Days since the key's current secret version was written; null when unknown. */
  readonly keyAgeDays: number | null;
  /** Checks that passed conclusively in this run: only such a pass proves an incident's cause gone. */
  readonly verified: readonly CheckName[];
  /** What each check that did not pass conclusively saw instead: the "could not re-check" reason. */
  readonly unverified?: Readonly<Partial<Record<CheckName, string>>> | undefined;
  /** The withdraw probe this run sent, with its own answer; absent when it carried the last verdict. */
  readonly withdraw?: WithdrawProbeOutcome | undefined;
  /** What the security watch found in this run (security-findings.ts). */
  readonly security?: readonly SecurityFinding[] | undefined;
}

/** Someone said "I'm on it": it holds for the incident state it was made for, and a change of diagnosis clears it. */
export interface Acknowledgement {
  readonly by: string;
  readonly at: number;
  readonly note: string | null;
  readonly via: 'cli' | 'link' | 'telegram';
}

/** Someone said "I'm on it": it holds for the incident state it was made for, and a change of diagnosis clears it. */
export interface Acknowledgement {
  readonly by: string;
  readonly at: number;
  readonly note: string | null;
  readonly via: 'cli' | 'link' | 'telegram';
}

export interface OpenIncident {
  /** `key:<name>:<first failing run, ms>` or `monitor:<…>`: stable, so a retried run reuses it. */
  readonly id: string;
  readonly openedAt: number;
  /** The first failing run: durations count from here. */
  readonly since: number;
  readonly diagnosis: Diagnosis;
  /** Notifications sent for it so far (1 = opened): the second half of every notification id. */
  readonly transitions: number;
  readonly lastNotifiedAt: number;
  /** Absent or null: nobody has acknowledged it. */
  readonly ack?: Acknowledgement | null;
  readonly failedRuns: number;
  /** It began inside an announced exchange maintenance window. */
  readonly duringMaintenance: boolean;
  /**
   * The latest run that showed this incident's diagnosis: a reminder that falls on a blip run (one
   * 502 inside a 40101 incident) states the incident's evidence and fix, not the blip's.
   */
  readonly evidence?: KeyRun;
  /** When that run was: the last definite verdict. */
  readonly confirmedAt?: number;
  /**
   * Proving checks of diagnoses it showed before its current one that have not passed since (a
   * suspension that turned into an outage still needs the account read to clear).
   */
  readonly owed?: readonly CheckName[];
  /** Set while runs could not prove its cause gone nor show it again: why, and since when. */
  readonly recheck?: { readonly since: number; readonly why: string } | null;
}

/**
 * A key's state is written only when it changes, so a healthy key's state is the same from one run to
 * the next: what changes every run (when it was checked, the per-day counts) is in its run record
 * (run-records.ts), and the counters stop at the value the rules compare them with.
 */
export interface KeyState {
  /** Optimistic lock: the store writes a state only over the version it read. */
  readonly version: number;
  readonly consecutiveFailures: number;
  readonly consecutiveOks: number;
  readonly failingSince: number | null;
  readonly failedRuns: number;
  readonly lastDiagnosis: Diagnosis | null;
  /** Runs in a row with lastDiagnosis: a changed diagnosis that is transient must persist before it is reported. */
  readonly streak: number;
  readonly incident: OpenIncident | null;
  /** When the last key-age reminder went out. */
  readonly ageNotifiedAt: number | null;
  /** The last definite withdraw verdict (probed at most once a day and carried meanwhile); never an inconclusive one. */
  readonly withdraw: WithdrawVerdict | null;
  /** Withdraw probes in a row whose answer proved nothing since that verdict (they are re-tried sooner). */
  readonly withdrawUnanswered: UnansweredProbes | null;
  /**
   * The security watch's incident (security-rules.ts), beside the health incident: a top-level open
   * incident like `incident`, so an acknowledgement finds it the same way. Absent until the first finding.
   */
  readonly security?: SecurityIncident | null;
  /** Identities of security findings already reported, newest last (bounded): the same finding again is not news, even after the incident closed. */
  readonly securitySeen?: readonly string[];
}

/**
 * A key's security incident: opened by a finding (money left, a withdrawal, orders the bot did not
 * place), beside the health incident. A healthy run never resolves it: it closes once someone has
 * acknowledged it and a quiet period has passed without a new finding.
 */
export interface SecurityIncident {
  /** `security:<key>:<opened, ms>`. */
  readonly id: string;
  readonly openedAt: number;
  /** The same as openedAt: what messages about any open incident read as "since". */
  readonly since: number;
  /** Always 0 and false: a security incident is not made of failed runs (kept so it reads as an open incident everywhere). */
  readonly failedRuns: number;
  readonly duringMaintenance: boolean;
  /** The latest finding's. */
  readonly diagnosis: Diagnosis;
  /** The highest severity of its findings. */
  readonly severity: 'critical' | 'warning';
  readonly transitions: number;
  readonly lastNotifiedAt: number;
  readonly lastFindingAt: number;
  /** Findings reported in it. */
  readonly findings: number;
  /** The latest finding: what reminders repeat. */
  readonly latest: SecurityFinding;
  readonly ack?: Acknowledgement | null;
}

export interface SecuritySlot {
  readonly incident: SecurityIncident | null;
  /** Identities of findings already reported, newest last (bounded): the same finding again is not news, even after the incident closed. */
  readonly seen: readonly string[];
}

export const NEW_KEY_STATE: KeyState = {
  version: 0,
  consecutiveFailures: 0,
  consecutiveOks: 0,
  failingSince: null,
  failedRuns: 0,
  lastDiagnosis: null,
  streak: 0,
  incident: null,
  ageNotifiedAt: null,
  withdraw: null,
  withdrawUnanswered: null,
};

export interface MaintenanceWindow {
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly title: string;
  /** What the exchange says is impacted (e.g. "spot trading: PARTIAL"). */
  readonly impacted: readonly string[];
}

export interface Mute {
  readonly since: number;
  readonly until: number;
  readonly reason: string;
  /** Notifications suppressed so far, and the first few of them in one line each. */
  readonly suppressed: number;
  readonly suppressedLines: readonly string[];
}

export interface MonitorState {
  readonly version: number;
  readonly sharedDiagnosis: Diagnosis | null;
  readonly sharedSince: number | null;
  readonly consecutiveShared: number;
  readonly consecutiveClear: number;
  readonly sharedKeys: number;
  readonly incident: OpenIncident | null;
  readonly mute: Mute | null;
  readonly maintenance: { readonly fetchedAt: number; readonly windows: readonly MaintenanceWindow[]; readonly notified: readonly string[] };
}

export const NEW_MONITOR_STATE: MonitorState = {
  version: 0,
  sharedDiagnosis: null,
  sharedSince: null,
  consecutiveShared: 0,
  consecutiveClear: 0,
  sharedKeys: 0,
  incident: null,
  mute: null,
  maintenance: { fetchedAt: 0, windows: [], notified: [] },
};

export type Scope = { readonly type: 'key'; readonly key: string } | { readonly type: 'monitor'; readonly keys: number };

/** An incident as the store keeps it for `key-monitor status`: opened, and later resolved. */
export interface IncidentRecord {
  readonly scope: Scope;
  readonly id: string;
  readonly openedAt: number;
  readonly since: number;
  readonly diagnosis: Diagnosis;
  readonly resolvedAt: number | null;
  readonly failedRuns: number;
  readonly duringMaintenance: boolean;
}
