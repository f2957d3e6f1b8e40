import { isJsonObject, type JsonObject } from '../contract/json.js';
import type { Notification } from '../contract/notification.js';
import type { KeyState, MonitorState, OpenIncident } from './incident-state.js';
import { validateNotification } from './queue-message.js';
import { CHECK_NAMES, DIAGNOSES } from './types.js';

/**
 * Stored incident state read back from the store, checked field by field before the rules see it.
 * A state the rules cannot trust (a hand edit, a truncated write, a field of the wrong type) must not
 * crash the run or be retried forever: what is unreadable is named and reset to the new-state default,
 * what is readable is kept. Fields a document lacks (an older layout) take their default silently.
 */
export interface Rebuilt<T> {
  readonly value: T;
  /** What could not be read, one short phrase each; empty when the document was whole. */
  readonly problems: readonly string[];
}

type Check = (v: unknown) => boolean;

const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isCount: Check = (v) => isNumber(v) && Number.isInteger(v) && (v as number) >= 0;
const isString: Check = (v) => typeof v === 'string';
const isBoolean: Check = (v) => typeof v === 'boolean';
const orNull =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);
const isDiagnosis: Check = (v) => typeof v === 'string' && (DIAGNOSES as readonly string[]).includes(v);
const listOf =
  (check: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(check);
const shaped =
  (fields: Readonly<Record<string, Check>>): Check =>
  (v) =>
    isJsonObject(v) && Object.entries(fields).every(([f, check]) => check(v[f]));

const isFact = shaped({ label: isString, value: isString });
const isKeyRun: Check = shaped({
  key: isString,
  keyPrefix: orNull(isString),
  diagnosis: isDiagnosis,
  code: orNull(isNumber),
  httpStatus: orNull(isNumber),
  egressIp: orNull(isString),
  advice: isString,
  facts: listOf(isFact),
  keyAgeDays: orNull(isNumber),
});
const INCIDENT_FIELDS = {
  id: isString,
  openedAt: isNumber,
  since: isNumber,
  diagnosis: isDiagnosis,
  transitions: isCount,
  lastNotifiedAt: isNumber,
  failedRuns: isCount,
  duringMaintenance: isBoolean,
};
const isWithdraw: Check = shaped({ at: isNumber, allowed: (v) => v === null || isBoolean(v) });
const isWindow: Check = shaped({ id: isString, start: isNumber, end: isNumber, title: isString, impacted: listOf(isString) });
const isMute: Check = shaped({ since: isNumber, until: isNumber, reason: isString, suppressed: isCount, suppressedLines: listOf(isString) });

/**
 * An open incident: its core fields must all be readable, or there is no incident to continue. Its
 * evidence (the last run that showed it, quoted by reminders) is optional: unreadable, it is dropped.
 */
function readIncident(v: unknown, problems: string[]): OpenIncident | null {
  if (v === null) return null;
  if (!shaped(INCIDENT_FIELDS)(v)) {
    problems.push('incident: not an open-incident record (dropped)');
    return null;
  }
  const incident: JsonObject = { ...(v as JsonObject) };
  // Optional parts: unreadable, each is dropped and named (an owed list that is not check names could
  // never be proven and would keep the incident open for ever; one that is not a list would crash the rules).
  const optional: Readonly<Record<string, Check>> = {
    evidence: isKeyRun,
    owed: listOf((c) => typeof c === 'string' && (CHECK_NAMES as readonly string[]).includes(c)),
    recheck: orNull(shaped({ since: isNumber, why: isString })),
    confirmedAt: isNumber,
    ack: orNull(shaped({ by: isString, at: isNumber, note: orNull(isString), via: (v) => v === 'cli' || v === 'link' || v === 'telegram' })),
  };
  for (const [field, check] of Object.entries(optional)) {
    if (incident[field] === undefined || check(incident[field])) continue;
    problems.push(`incident.${field}: ${describe(incident[field])} (dropped)`);
    delete incident[field];
  }
  return incident as unknown as OpenIncident;
}

/** Top-level fields checked one by one against the defaults; `special` fields have their own reader. */
function rebuild<T extends { version: number }>(
  doc: unknown,
  defaults: T,
  checks: Readonly<Partial<Record<keyof T, Check>>>,
  special: (d: JsonObject, problems: string[]) => Partial<T>,
): Rebuilt<Omit<T, 'version'>> {
  const { version: _v, ...base } = defaults;
  if (!isJsonObject(doc)) return { value: base, problems: [`the document is ${describe(doc)}, not a state object (reset)`] };
  const problems: string[] = [];
  // Only the fields the state has: one a document carries from an older layout is left behind, so
  // the rebuilt state compares equal to what this version writes.
  const out: JsonObject = {};
  for (const field of Object.keys(base)) {
    const check = (checks as Readonly<Record<string, Check>>)[field];
    if (!(field in doc)) out[field] = (base as JsonObject)[field];
    else if (check && !check(doc[field])) {
      problems.push(`${field}: ${describe(doc[field])} (reset)`);
      out[field] = (base as JsonObject)[field];
    } else out[field] = doc[field];
  }
  return { value: { ...(out as Omit<T, 'version'>), ...special(doc, problems) }, problems };
}

/** What a value is, in a few words, never quoting it (a state may hold text from the exchange). */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object of the wrong shape' : `a ${typeof v} of the wrong kind`;
}

const KEY_CHECKS: Partial<Record<keyof KeyState, Check>> = {
  consecutiveFailures: isCount,
  consecutiveOks: isCount,
  failingSince: orNull(isNumber),
  failedRuns: isCount,
  lastDiagnosis: orNull(isDiagnosis),
  streak: isCount,
  ageNotifiedAt: orNull(isNumber),
  withdraw: orNull(isWithdraw),
  withdrawUnanswered: orNull(shaped({ count: isCount, at: isNumber, seen: isString })),
};

const isAck: Check = orNull(shaped({ by: isString, at: isNumber, note: orNull(isString), via: (v) => v === 'cli' || v === 'link' || v === 'telegram' }));
const isFinding: Check = shaped({
  diagnosis: isDiagnosis,
  identity: isString,
  severity: (v) => v === 'critical' || v === 'warning',
  detail: isString,
  facts: listOf(isFact),
});
const isSecurityIncident: Check = (v) =>
  shaped({
    id: isString,
    openedAt: isNumber,
    since: isNumber,
    failedRuns: isCount,
    duringMaintenance: isBoolean,
    diagnosis: isDiagnosis,
    severity: (s) => s === 'critical' || s === 'warning',
    transitions: isCount,
    lastNotifiedAt: isNumber,
    lastFindingAt: isNumber,
    findings: isCount,
    latest: isFinding,
  })(v) &&
  isJsonObject(v) &&
  (v['ack'] === undefined || isAck(v['ack']));

/** The security incident: unreadable, it is dropped and named (the findings it reported stay remembered in securitySeen). */
function readSecurity(d: JsonObject, problems: string[]): Partial<KeyState> {
  const out: { security?: KeyState['security']; securitySeen?: readonly string[] } = {};
  if ('security' in d) {
    const v = d['security'];
    if (v === null || isSecurityIncident(v)) out.security = v as KeyState['security'];
    else {
      problems.push('security: not a security-incident record (dropped)');
      out.security = null;
    }
  }
  if ('securitySeen' in d) {
    if (listOf(isString)(d['securitySeen'])) out.securitySeen = d['securitySeen'] as string[];
    else problems.push(`securitySeen: ${describe(d['securitySeen'])} (dropped)`);
  }
  return out;
}

export function readKeyState(doc: unknown, defaults: KeyState): Rebuilt<Omit<KeyState, 'version'>> {
  return rebuild(doc, defaults, KEY_CHECKS, (d, problems) => ({
    incident: 'incident' in d ? readIncident(d['incident'], problems) : null,
    ...readSecurity(d, problems),
  }));
}

const MONITOR_CHECKS: Partial<Record<keyof MonitorState, Check>> = {
  sharedDiagnosis: orNull(isDiagnosis),
  sharedSince: orNull(isNumber),
  consecutiveShared: isCount,
  consecutiveClear: isCount,
  sharedKeys: isCount,
  mute: orNull(isMute),
  maintenance: shaped({ fetchedAt: isNumber, windows: listOf(isWindow), notified: listOf(isString) }),
};

export function readMonitorState(doc: unknown, defaults: MonitorState): Rebuilt<Omit<MonitorState, 'version'>> {
  return rebuild(doc, defaults, MONITOR_CHECKS, (d, problems) => ({ incident: 'incident' in d ? readIncident(d['incident'], problems) : null }));
}

/** The notifications a state still owes: each one must be a whole notification, or it is dropped. */
export function readOutbox(raw: string | undefined): Rebuilt<Notification[]> {
  if (raw === undefined) return { value: [], problems: [] };
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return { value: [], problems: ['outbox: not JSON (dropped)'] };
  }
  if (!Array.isArray(list)) return { value: [], problems: [`outbox: ${describe(list)}, not a list (dropped)`] };
  const kept: Notification[] = [];
  for (const entry of list) {
    try {
      kept.push(validateNotification(entry));
    } catch {
      // counted below: the entry is not a notification the queue could carry
    }
  }
  const dropped = list.length - kept.length;
  return { value: kept, problems: dropped > 0 ? [`outbox: ${dropped} entr${dropped === 1 ? 'y is' : 'ies are'} not notifications (dropped)`] : [] };
}

/** The key list `status` shows and retirement is judged against: names, or nothing. */
export function readKeyNames(doc: unknown): Rebuilt<string[]> {
  if (isJsonObject(doc) && listOf(isString)(doc['names'])) return { value: doc['names'] as string[], problems: [] };
  return { value: [], problems: ['names: not a list of key names (reset)'] };
}
