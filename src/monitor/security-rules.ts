/**
 * The security incident of a key: a second slot beside the health incident, for findings that are
 * events (a withdrawal, money gone, orders the bot did not place), not states the next healthy run
 * undoes. Pure: the slot, this run's findings and the clock in; the slot and what to say out.
 *
 * - A finding not reported before (by its identity) opens the incident, or, while one is open, is a
 *   `changed` notification with the new evidence. The same finding seen again says nothing.
 * - Reminders while it is open: every `remindEveryMs`, or `acknowledgedRemindEveryMs` once someone
 *   acknowledged it.
 * - A healthy run never resolves it: it closes once it is acknowledged and `quietMs` passed since its
 *   last finding.
 */
import type { Scope, SecurityIncident, SecuritySlot } from './incident-state.js';
import type { SecurityFinding } from './security-findings.js';

/** Identities remembered per key: far more than a key's findings in the life of an incident. */
export const SEEN_KEPT = 50;
export const SECURITY_QUIET_MS = 24 * 3_600_000;

export interface SecurityPolicy {
  /** 0 = no reminders. */
  readonly remindEveryMs: number;
  /** Reminders once acknowledged; absent or 0 = none. */
  readonly acknowledgedRemindEveryMs?: number;
  /** How long after its last finding an acknowledged incident closes. */
  readonly quietMs: number;
}

export interface SecurityEvent {
  readonly kind: 'security';
  readonly transition: 'opened' | 'changed' | 'reminder' | 'resolved';
  readonly scope: Scope;
  readonly incident: SecurityIncident;
  /** The new findings (opened, changed); the latest one (reminder); none (resolved). */
  readonly findings: readonly SecurityFinding[];
  /** resolved only: the key was removed from the monitor's keys, so nobody watches it any more. */
  readonly reason?: 'unmonitored';
}

const higher = (a: 'critical' | 'warning', b: 'critical' | 'warning') => (a === 'critical' || b === 'critical' ? 'critical' : 'warning');

export function stepSecurity(
  prior: SecuritySlot | undefined,
  key: string,
  findings: readonly SecurityFinding[],
  now: number,
  policy: SecurityPolicy,
): { slot: SecuritySlot | undefined; events: SecurityEvent[] } {
  const scope: Scope = { type: 'key', key };
  const seen = new Set(prior?.seen ?? []);
  const fresh: SecurityFinding[] = [];
  for (const f of findings) {
    if (seen.has(f.identity)) continue;
    seen.add(f.identity);
    fresh.push(f);
  }
  const open = prior?.incident ?? null;
  const remembered = [...(prior?.seen ?? []), ...fresh.map((f) => f.identity)].slice(-SEEN_KEPT);
  const latest = fresh[fresh.length - 1];
  if (latest) {
    const severity = fresh.reduce((s, f) => higher(s, f.severity), open?.severity ?? latest.severity);
    const incident: SecurityIncident = open
      ? {
          ...open,
          diagnosis: latest.diagnosis,
          severity,
          transitions: open.transitions + 1,
          lastNotifiedAt: now,
          lastFindingAt: now,
          findings: open.findings + fresh.length,
          latest,
          // New evidence needs someone to look again.
          ack: null,
        }
      : {
          id: `security:${key}:${now}`,
          openedAt: now,
          since: now,
          failedRuns: 0,
          duringMaintenance: false,
          diagnosis: latest.diagnosis,
          severity,
          transitions: 1,
          lastNotifiedAt: now,
          lastFindingAt: now,
          findings: fresh.length,
          latest,
          ack: null,
        };
    return { slot: { incident, seen: remembered }, events: [{ kind: 'security', transition: open ? 'changed' : 'opened', scope, incident, findings: fresh }] };
  }
  if (!open) return { slot: prior, events: [] };
  if (open.ack && now - open.lastFindingAt >= policy.quietMs) {
    const closed = { ...open, transitions: open.transitions + 1, lastNotifiedAt: now };
    return { slot: { incident: null, seen: remembered }, events: [{ kind: 'security', transition: 'resolved', scope, incident: closed, findings: [] }] };
  }
  const every = open.ack ? (policy.acknowledgedRemindEveryMs ?? 0) : policy.remindEveryMs;
  if (every > 0 && now - open.lastNotifiedAt >= every) {
    const reminded = { ...open, transitions: open.transitions + 1, lastNotifiedAt: now };
    return {
      slot: { incident: reminded, seen: remembered },
      events: [{ kind: 'security', transition: 'reminder', scope, incident: reminded, findings: [open.latest] }],
    };
  }
  return { slot: prior, events: [] };
}
