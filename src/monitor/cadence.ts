import type { AccountEvidence } from './types.js';

/**
 * How often the scheduled check sends each exchange call. The signed balance read is the check and
 * runs every time; Trade permission and the account's state change rarely, so each key's trade probe
 * and account read run once an hour, in a slot fixed by a hash of the key's name (the load spreads
 * over the hour, and no stored time is needed: a slot is due when it falls between the key's last run
 * and this one). They run every time while the key is not healthy, while an incident is open, after
 * an answer that proved nothing, and on a key's first run; the CLI, rotation and a triggered
 * verification always run everything. Pure: names and times in, a plan out.
 */

/** A probe's last conclusive pass, shown (never counted as proof) on runs that do not send it. */
export interface CarriedCheck {
  readonly at: number;
  readonly detail: string;
  readonly tradeAllowed?: boolean;
  readonly account?: AccountEvidence;
}

/** How often the trade probe and the account read run for a healthy key. */
export const HOURLY_PROBE_MS = 3_600_000;

/** A stable position of `name` inside a period of `periodMs` (FNV-1a: cheap, and the same on every run). */
export function slotOf(name: string, periodMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % periodMs;
}

/** Whether a slot of `name` (one per period) falls in (since, now]: "due since the key's last run". */
export function slotDue(name: string, periodMs: number, since: number, now: number): boolean {
  if (now - since >= periodMs) return true;
  const slot = slotOf(name, periodMs);
  const last = now - ((((now - slot) % periodMs) + periodMs) % periodMs);
  return last > since;
}
