import { probedAgo, type WithdrawVerdict } from './account-checks.js';
import type { WithdrawProbeOutcome } from './types.js';

/**
 * When the scheduled check probes withdraw permission, and what it keeps between probes. Pure: the
 * stored memory and the clock in, a plan out. The probe (private/get-deposit-address) moves no funds
 * but may create a deposit address, so a definite answer is carried for a day; an answer that proved
 * nothing is never kept as a verdict.
 */

/** Probes in a row that proved nothing since the last definite answer. */
export interface UnansweredProbes {
  readonly count: number;
  /** The latest of them (epoch ms). */
  readonly at: number;
  /** What it saw (display-safe, redacted). */
  readonly seen: string;
}

/** What a key's state keeps for the schedule. */
export interface WithdrawMemory {
  /** The last definite verdict; never an inconclusive one. */
  readonly withdraw: WithdrawVerdict | null;
  readonly withdrawUnanswered: UnansweredProbes | null;
}

export type WithdrawPlan =
  /** Probe now; an answer that proves nothing falls back to `last`, said as "could not re-check". */
  | { readonly kind: 'now'; readonly last?: WithdrawVerdict | null }
  /** Show `last` without probing; `unanswered` says why it is not fresh. */
  | { readonly kind: 'carry'; readonly last: WithdrawVerdict | null; readonly unanswered: UnansweredProbes | null }
  | { readonly kind: 'off' };

/** A definite verdict is carried this long before the next probe. */
export const WITHDRAW_PROBE_EVERY_MS = 24 * 3_600_000;
/** Unanswered probes re-tried on every run before falling back to UNANSWERED_RETRY_MS. */
export const UNANSWERED_BEFORE_BACKOFF = 3;
export const UNANSWERED_RETRY_MS = 3_600_000;

/** A stored verdict that is definite (items written before verdicts were kept definite may hold null). */
function definite(v: { readonly at: number; readonly allowed: boolean | null } | null | undefined): WithdrawVerdict | null {
  return v && typeof v.allowed === 'boolean' ? { at: v.at, allowed: v.allowed } : null;
}

/**
 * `slotDue`: the key's daily slot (cadence.ts) fell since its last run. A verdict at least half a day
 * old is re-probed at the slot, so keys first probed in the same run spread over the day instead of
 * all being probed again in one run a day later.
 */
export function planWithdrawProbe(memory: WithdrawMemory | null, now: number, slotDue = false): WithdrawPlan {
  const last = definite(memory?.withdraw);
  const unanswered = memory?.withdrawUnanswered ?? null;
  if (unanswered) {
    // A probe that proved nothing (503, timeout, an unreadable refusal) is retried on the next run:
    // the verdict shown meanwhile is old, and "could not re-check" should last one run, not a day.
    // A probe that keeps failing (an endpoint down for this key, a proxy that refuses it) would
    // otherwise cost a request, and perhaps a new deposit address, on every run forever: after
    // three in a row it is retried hourly until one answers, still saying "could not re-check".
    if (unanswered.count < UNANSWERED_BEFORE_BACKOFF || now - unanswered.at >= UNANSWERED_RETRY_MS) return { kind: 'now', last };
    return { kind: 'carry', last, unanswered };
  }
  if (!last || now - last.at >= WITHDRAW_PROBE_EVERY_MS || (slotDue && now - last.at >= WITHDRAW_PROBE_EVERY_MS / 2)) return { kind: 'now', last };
  return { kind: 'carry', last, unanswered: null };
}

/** The memory after this run: a definite answer replaces the verdict; any other answer only counts. */
export function afterProbe(memory: WithdrawMemory, probe: WithdrawProbeOutcome | undefined): WithdrawMemory {
  const last = definite(memory.withdraw);
  if (!probe) return { withdraw: last, withdrawUnanswered: memory.withdrawUnanswered ?? null };
  if (probe.allowed !== null) return { withdraw: { at: probe.at, allowed: probe.allowed }, withdrawUnanswered: null };
  return { withdraw: last, withdrawUnanswered: { count: (memory.withdrawUnanswered?.count ?? 0) + 1, at: probe.at, seen: probe.seen } };
}

/** Why a carried verdict is not fresh, in words. */
export function unansweredText(u: UnansweredProbes, now: number): string {
  const probes = u.count === 1 ? 'the last probe' : `the last ${u.count} probes`;
  return `${probes} proved nothing (the latest ${probedAgo(now - u.at)} ago: ${u.seen}); re-probed hourly until one answers`;
}
