import { createHash } from 'node:crypto';
import type { AccountEvidence } from './types.js';

/**
 * Which API key a secret held when an answer was got: a short one-way hash (never the key), so a
 * secret changed by hand (a new key under the same name) is seen as a new key and probed at once.
 */
export function keyIdOf(apiKey: string): string {
  let id = KEY_IDS.get(apiKey);
  if (id === undefined) {
    id = createHash('sha256').update(apiKey).digest('hex').slice(0, 16);
    if (KEY_IDS.size >= MAX_KEY_IDS) KEY_IDS.clear();
    KEY_IDS.set(apiKey, id);
  }
  return id;
}

/** keyIdOf's answers while the process lives: a warm Lambda asks for the same keys every run (a hash each). */
const KEY_IDS = new Map<string, string>();
const MAX_KEY_IDS = 4_096;

/**
 * How often the scheduled check sends each exchange call. The signed balance read is the check and
 * runs every time; Trade permission and the account's state change rarely, so each key's trade probe
 * and account read run once per period (three hours by default), in a slot fixed by a hash of the
 * key's name (the load spreads over the period, and no stored time is needed: a slot is due when it
 * falls between the key's last run and this one). They run every time while the key is not healthy, while an incident is open, after
 * an answer that proved nothing, and on a key's first run; the CLI, rotation and a triggered
 * verification always run everything. Pure: names and times in, a plan out. The period is
 * configurable (spacedProbeMinutes; 0 sends every probe on every run).
 */

/** A probe's last conclusive pass, shown (never counted as proof) on runs that do not send it. */
export interface CarriedCheck {
  readonly at: number;
  /** The key's expectations it was judged against (expectationsOf). */
  readonly expect: string;
  readonly detail: string;
  readonly tradeAllowed?: boolean;
  readonly account?: AccountEvidence;
}

/** The withdraw probe's day, and the unit of the other slots. */
const HOUR_MS = 3_600_000;

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

/**
 * The withdraw probe's daily slot: due when it falls between the key's last run and now (always on a
 * key's first run). The withdraw schedule also keeps its own 24-hour rule, so the two together probe
 * a key at most twice on its first day and once a day after, spread over the day.
 */
export function daySlotDue(name: string, lastRunAt: number | undefined, now: number): boolean {
  return lastRunAt === undefined || slotDue(`${name}#withdraw`, 24 * HOUR_MS, lastRunAt, now);
}

/** Probe now, or show its last conclusive pass (never counted as proof: see keyRun's `verified`). */
export type ProbePlan = { readonly kind: 'now' } | { readonly kind: 'carry'; readonly last: CarriedCheck };

/** The probes the schedule spaces out, by check name. */
export const SPACED_PROBES = ['trade-permission', 'account'] as const;
export type SpacedProbe = (typeof SPACED_PROBES)[number];
export type ProbePlans = Readonly<Record<SpacedProbe, ProbePlan>>;

export const EVERY_PROBE: ProbePlans = { 'trade-permission': { kind: 'now' }, account: { kind: 'now' } };

/** What a key's carried answers were judged against: a changed expectation makes them worthless. */
export function expectationsOf(
  key: {
    expectTrade: boolean;
    expectMaster?: boolean | undefined;
    expectDerivatives?: boolean | undefined;
  },
  keyId: string | null = null,
): Record<SpacedProbe, string> {
  // The API key itself (keyIdOf) is part of it: an answer about the old key says nothing about a new one.
  const id = keyId === null ? '' : `;key=${keyId}`;
  return {
    'trade-permission': `trade=${key.expectTrade}${id}`,
    account: `master=${key.expectMaster ?? '-'},derivatives=${key.expectDerivatives ?? '-'}${id}`,
  };
}

export interface CadenceInput {
  readonly name: string;
  readonly expectations: Record<SpacedProbe, string>;
  /** The key's run record: when it was last checked, what it showed, its carried answers. */
  readonly last: { readonly at: number; readonly diagnosis: string; readonly carried?: Readonly<Record<string, CarriedCheck>> } | undefined;
  /** The key is healthy as far as its state knows: no open incident, last diagnosis OK. */
  readonly settled: boolean;
  /** A monitor-level incident is open: every probe runs until it is proven gone. */
  readonly monitorIncident: boolean;
  readonly now: number;
  /** How often a healthy key's spaced probes run (RuntimeConfig.spacedProbeMs); 0 = every run. */
  readonly periodMs: number;
}

export function planProbes(input: CadenceInput): ProbePlans {
  const { last, now } = input;
  const steady = input.periodMs > 0 && last !== undefined && last.diagnosis === 'OK' && input.settled && !input.monitorIncident;
  const due = !steady || slotDue(input.name, input.periodMs, last.at, now);
  const plan = (probe: SpacedProbe): ProbePlan => {
    const carried = last?.carried?.[probe];
    // Past two periods without a probe it is due whatever the slot says (a missed slot, a changed period).
    if (due || !carried || carried.expect !== input.expectations[probe] || now - carried.at >= 2 * input.periodMs) return { kind: 'now' };
    return { kind: 'carry', last: carried };
  };
  return { 'trade-permission': plan('trade-permission'), account: plan('account') };
}

/**
 * What to carry after this run: a conclusive pass of a probe sent now replaces the last one; a carried
 * one stays; anything else (a failure, an answer that proved nothing, a skip) leaves nothing, so the
 * next run sends the probe again.
 */
export function carriedAfter(
  checks: readonly {
    name: string;
    status: string;
    ok: boolean | null;
    detail: string;
    carriedFrom?: number;
    tradeAllowed?: boolean;
    account?: AccountEvidence;
  }[],
  plans: ProbePlans,
  expectations: Record<SpacedProbe, string>,
  now: number,
): Record<string, CarriedCheck> {
  const out: Record<string, CarriedCheck> = {};
  for (const probe of SPACED_PROBES) {
    const plan = plans[probe];
    const check = checks.find((c) => c.name === probe);
    if (!check) continue;
    if (plan.kind === 'carry' && check.carriedFrom !== undefined) out[probe] = plan.last;
    else if (check.status === 'pass' && check.ok === true && check.carriedFrom === undefined)
      out[probe] = {
        at: now,
        expect: expectations[probe],
        detail: check.detail,
        ...(check.tradeAllowed !== undefined ? { tradeAllowed: check.tradeAllowed } : {}),
        ...(check.account ? { account: check.account } : {}),
      };
  }
  return out;
}
