import { isJsonObject } from '../contract/json.js';
import type { Acknowledgement, OpenIncident } from './incident-state.js';
import type { Diagnosis } from './types.js';

/**
 * The acknowledgement rules: which open incident of a state item an acknowledgement is for, and
 * whether it may be written. Pure, so the CLI, the link endpoint and Telegram's button share one rule.
 * A state item may hold several open incidents (a key's health incident and others beside it): every
 * top-level field that is an open incident counts, so a slot added later is acknowledged the same way.
 */
export interface IncidentSlot {
  /** The state field that holds it (`incident`, …). */
  readonly slot: string;
  readonly incident: OpenIncident;
}

const isOpenIncident = (v: unknown): v is OpenIncident =>
  isJsonObject(v) &&
  typeof v['id'] === 'string' &&
  typeof v['diagnosis'] === 'string' &&
  typeof v['openedAt'] === 'number' &&
  typeof v['transitions'] === 'number';

export function openIncidents(state: object): IncidentSlot[] {
  return Object.entries(state)
    .filter((e): e is [string, OpenIncident] => isOpenIncident(e[1]))
    .map(([slot, incident]) => ({ slot, incident }));
}

export type AckRefusal =
  /** Nothing open (or not the incident named: it was resolved, or never existed here). */
  | { readonly reason: 'no-open-incident' }
  /** More than one incident is open in the item: name one by its id. */
  | { readonly reason: 'ambiguous'; readonly ids: readonly string[] }
  | { readonly reason: 'already-acknowledged'; readonly incidentId: string; readonly ack: Acknowledgement }
  /** The incident's diagnosis is no longer the one the request was made for: the new state needs its own acknowledgement. */
  | { readonly reason: 'changed'; readonly incidentId: string; readonly diagnosis: Diagnosis };

export interface AckRequest {
  /** null: the one open incident of the item. */
  readonly incidentId: string | null;
  /** The diagnosis the request was made for (a link's); null: whatever it is now. */
  readonly diagnosis: Diagnosis | null;
  /** A security incident's findings the request was made for (a link's); absent or null: whatever they are now. */
  readonly findings?: number | null;
  readonly ack: Acknowledgement;
}

export type AckDecision<S> =
  { readonly ok: true; readonly state: S; readonly slot: string; readonly incident: OpenIncident } | { readonly ok: false; readonly refusal: AckRefusal };

/**
 * The state with the acknowledgement set, if the request may have it: the same incident, still with the
 * diagnosis it was made for, and nobody's acknowledgement on it yet (a replayed link is refused).
 */
export function acknowledgeIn<S extends object>(state: S, req: AckRequest): AckDecision<S> {
  const open = openIncidents(state);
  const chosen = req.incidentId === null ? open : open.filter((o) => o.incident.id === req.incidentId);
  const [one] = chosen;
  if (!one) return { ok: false, refusal: { reason: 'no-open-incident' } };
  if (chosen.length > 1) return { ok: false, refusal: { reason: 'ambiguous', ids: chosen.map((o) => o.incident.id) } };
  const { slot, incident } = one;
  const findings = (incident as { readonly findings?: unknown }).findings;
  if (
    (req.diagnosis !== null && incident.diagnosis !== req.diagnosis) ||
    (req.findings !== undefined && req.findings !== null && typeof findings === 'number' && findings !== req.findings)
  )
    return { ok: false, refusal: { reason: 'changed', incidentId: incident.id, diagnosis: incident.diagnosis } };
  if (incident.ack) return { ok: false, refusal: { reason: 'already-acknowledged', incidentId: incident.id, ack: incident.ack } };
  const acknowledged: OpenIncident = { ...incident, ack: req.ack };
  return { ok: true, state: { ...state, [slot]: acknowledged }, slot, incident: acknowledged };
}

/** A name or note as stored and shown: one line, no control characters, bounded. */
export function ackText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return text
    .replace(/[\x00-\x1f\x7f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max);
}

export const MAX_ACK_BY = 60;
export const MAX_ACK_NOTE = 200;
