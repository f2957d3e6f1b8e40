import {
  MAX_SUBJECT_LENGTH,
  NOTIFICATION_SCHEMA_VERSION,
  SEVERITY_EMOJI,
  type Notification,
  type NotificationFact,
  type NotificationLink,
  type Severity,
} from '../contract/notification.js';
import { DIAGNOSIS_TABLE } from './diagnosis-table.js';
import type { IncidentEvent } from './incident-rules.js';
import type { SecurityEvent } from './security-rules.js';
import type { KeyRun, OpenIncident, Scope } from './incident-state.js';
import { exposureText, type ExposureSnapshot } from './exposure.js';
import type { Diagnosis } from './types.js';

/**
 * Incident events as notifications: what was seen, since when, for how long, and the exact fix
 * from the diagnosis table. Subjects are written for a phone's lock screen:
 * `🔴 trading: IP not whitelisted (40103) — add 203.0.113.7 to the key`.
 */
export interface MessageContext {
  /** The deployment's name (stack name). */
  readonly source: string;
  readonly expectedIps: readonly string[];
  /** Dashboard and log links; `key` null for monitor-level messages. */
  readonly links: (key: string | null) => NotificationLink[];
  /** What was open on a key's account as of its last good check (run records); absent where not kept. */
  readonly exposure?: (key: string) => ExposureSnapshot | undefined;
  /** What started a triggered verification; its opened or changed message says both it and the monitor's own answer. */
  readonly trigger?: TriggerNote | undefined;
  /** Loads what signs Acknowledge links (its key is a secret), once per run that has something to say; absent: alerts carry none. */
  readonly ackLinks?: (() => Promise<AckLinkMaker>) | undefined;
  /** What ackLinks loaded (withAckLinks sets it): the signed Acknowledge link of an open incident. */
  readonly ackLink?: AckLinkMaker | null | undefined;
}

/** An open incident's Acknowledge link, signed for its id and diagnosis. */
export type AckLinkMaker = (scope: Scope, incident: OpenIncident & { readonly findings?: number }, now: number) => NotificationLink;

/**
 * The context with its Acknowledge link maker loaded. A key that cannot be read costs the links, never
 * the alerts: they go out without one, and the log says why.
 */
export async function withAckLinks(ctx: MessageContext, log: { warn(message: string, fields: Record<string, unknown>): void }): Promise<MessageContext> {
  if (!ctx.ackLinks || ctx.ackLink !== undefined) return ctx;
  try {
    return { ...ctx, ackLink: await ctx.ackLinks() };
  } catch (err) {
    log.warn('alerts go out without an Acknowledge link: its signing key could not be read', { errorName: (err as Error | null)?.name });
    return { ...ctx, ackLink: null };
  }
}

/**
 * Alerts about a key that cannot trade say what it leaves unmanaged, as a paragraph of the summary:
 * every channel shows the summary whole, where a fact's value is cut far shorter.
 */
export const AT_RISK_LABEL = 'Open on the account';
function atRisk(scope: Scope, diagnosis: Diagnosis, now: number, ctx: MessageContext): string {
  if (scope.type !== 'key' || !ctx.exposure || !DIAGNOSIS_TABLE[diagnosis].stopsTrading) return '';
  return `\n\n${AT_RISK_LABEL}: ${exposureText(ctx.exposure(scope.key), now, true)}`;
}

/** A bot's log line (already display-safe and short) or a nudge: a trigger, never evidence. */
export type TriggerNote =
  | { readonly kind: 'log'; readonly logGroup: string; readonly at: number; readonly excerpt: string }
  | { readonly kind: 'nudge'; readonly reason: string | null };

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** "your bot logged … at 12:03:04 UTC (log group /ecs/bot); verified from 203.0.113.7 at 12:03:09 UTC" */
function triggerLine(t: TriggerNote, run: KeyRun, now: number): string {
  const asked =
    t.kind === 'log'
      ? `your bot logged ${t.excerpt ? `"${t.excerpt}"` : 'an authentication refusal'} at ${clock(t.at)} UTC (log group ${t.logGroup})`
      : `a nudge${t.reason ? ` ("${t.reason}")` : ''} asked for a check`;
  return `${asked}; verified from ${run.egressIp ?? 'an unknown address'} at ${clock(now)} UTC`;
}

export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** Incidents named one by one in a summary; the rest are counted. */
const MAX_LISTED = 20;

export const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function subject(severity: Severity, text: string): string {
  const line = `${SEVERITY_EMOJI[severity]} ${text}`.replace(/\s+/g, ' ');
  return line.length > MAX_SUBJECT_LENGTH ? `${line.slice(0, MAX_SUBJECT_LENGTH - 1)}…` : line;
}

const who = (scope: Scope) => (scope.type === 'key' ? scope.key : `all ${scope.keys} keys`);
const runs = (n: number) => `${n} failed run${n === 1 ? '' : 's'}`;

function headline(run: KeyRun, ctx: MessageContext): string {
  return DIAGNOSIS_TABLE[run.diagnosis].headline({ egressIp: run.egressIp, expectedIps: ctx.expectedIps, code: run.code });
}

export function incidentFacts(scope: Scope, run: KeyRun | null, incident: OpenIncident, now: number): NotificationFact[] {
  const facts: NotificationFact[] = [];
  if (scope.type === 'key') facts.push({ label: 'Key', value: run?.keyPrefix ? `${scope.key} (key ${run.keyPrefix}…)` : scope.key });
  else facts.push({ label: 'Keys', value: `all ${scope.keys} monitored keys, one root cause` });
  if (run) facts.push(...run.facts);
  facts.push({ label: 'Failing since', value: `${utc(incident.since)} (${formatDuration(now - incident.since)})` });
  facts.push({ label: 'Failed runs', value: String(incident.failedRuns) });
  if (incident.duringMaintenance) facts.push({ label: 'Maintenance', value: 'began during announced exchange maintenance' });
  if (incident.ack) {
    const { by, at, note } = incident.ack;
    facts.push({ label: 'Acknowledged', value: `${by} is on it (since ${utc(at)})${note ? `: ${note}` : ''}` });
  }
  return facts;
}

function base(
  id: string,
  kind: Notification['kind'],
  severity: Severity,
  scope: Scope | null,
  occurredAt: number,
  ctx: MessageContext,
): Omit<Notification, 'subject' | 'summary' | 'fix' | 'facts'> {
  return {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    id,
    kind,
    severity,
    scope: scope === null || scope.type === 'monitor' ? ({ type: 'monitor' } as const) : ({ type: 'key', key: scope.key } as const),
    links: ctx.links(scope?.type === 'key' ? scope.key : null),
    occurredAt: new Date(occurredAt).toISOString(),
    source: ctx.source,
  };
}

/** A security alert's findings listed one by one; the rest are counted. */
const MAX_FINDINGS_LISTED = 20;

const maintenanceNote = (incident: OpenIncident) => (incident.duringMaintenance ? ' It began during announced exchange maintenance.' : '');

/**
 * A security incident's notification: what was found (each new finding's evidence), the fix from the
 * diagnosis table, and how it ends (acknowledge it; it closes after a quiet period, never by a healthy run).
 */
function securityNotification(e: SecurityEvent, now: number, ctx: MessageContext): Notification {
  const whom = who(e.scope);
  const { incident } = e;
  const spec = DIAGNOSIS_TABLE[incident.diagnosis];
  const first = e.findings[0] ?? incident.latest;
  const severity: Severity =
    e.transition === 'resolved'
      ? 'resolved'
      : e.transition === 'reminder'
        ? incident.severity
        : e.findings.some((f) => f.severity === 'critical')
          ? 'critical'
          : 'warning';
  const id = `${incident.id}#${incident.transitions}`;
  const keyFact = { label: 'Key', value: whom };
  const ackFact = incident.ack
    ? [{ label: 'Acknowledged', value: `${incident.ack.by} is on it (since ${utc(incident.ack.at)})${incident.ack.note ? `: ${incident.ack.note}` : ''}` }]
    : [];
  const openFact = {
    label: 'Security incident',
    value: `open since ${utc(incident.openedAt)}; ${incident.findings} finding${incident.findings === 1 ? '' : 's'}`,
  };
  if (e.transition === 'resolved' && e.reason === 'unmonitored') {
    // Not "nothing new": nobody looks any more. Say what happened instead.
    return {
      ...base(id, 'resolved', 'info', e.scope, now, ctx),
      subject: subject('info', `${whom}: security incident closed, no longer monitored — was ${spec.title}`),
      summary:
        `"${whom}" was removed from the monitor's keys, so its open security incident (open since ${utc(incident.openedAt)}, ${incident.findings} finding${incident.findings === 1 ? '' : 's'}) is closed without anyone looking: the account is no longer watched with this key. ` +
        'If the key is still in use, add it back to the configuration.',
      fix: null,
      facts: [keyFact, { label: 'Was', value: `${spec.title} (${incident.diagnosis})` }, ...ackFact],
    };
  }
  if (e.transition === 'resolved') {
    return {
      ...base(id, 'resolved', 'resolved', e.scope, now, ctx),
      subject: subject('resolved', `${whom}: security incident closed — acknowledged, nothing new for ${formatDuration(now - incident.lastFindingAt)}`),
      summary: `The security incident of ${whom} (open since ${utc(incident.openedAt)}, ${incident.findings} finding${incident.findings === 1 ? '' : 's'}) is closed: it was acknowledged and nothing new was found since ${utc(incident.lastFindingAt)}.`,
      fix: null,
      facts: [keyFact, { label: 'Was', value: `${spec.title} (${incident.diagnosis})` }, ...ackFact],
    };
  }
  // A look may bring thousands of findings (a hostile or huge history): the alert names the first
  // few with their evidence and counts the rest, so it fits the queue and the outbox of its state item.
  const shown = e.findings.slice(0, MAX_FINDINGS_LISTED);
  const more = e.findings.length - shown.length;
  const moreText = more > 0 ? `; and ${more.toLocaleString('en-US')} more (key-monitor check lists the last day's)` : '';
  const heads = [...new Set(e.findings.map((f) => DIAGNOSIS_TABLE[f.diagnosis].title))];
  const text =
    e.transition === 'reminder'
      ? `${whom}: security incident open for ${formatDuration(now - incident.openedAt)} — ${spec.title}`
      : `${whom}: ${e.transition === 'changed' ? 'new security finding: ' : ''}${heads.join('; ')} — ${DIAGNOSIS_TABLE[first.diagnosis].headline({ egressIp: null, expectedIps: ctx.expectedIps, code: null })}`;
  const told =
    e.transition === 'reminder'
      ? `The security incident of ${whom} has been open since ${utc(incident.openedAt)} and nobody has closed it: ${incident.latest.detail}.`
      : `${e.transition === 'changed' ? 'New evidence in the open security incident of' : 'Security watch on'} ${whom}: ${shown.map((f) => f.detail).join('. ')}${moreText}.`;
  const ends = ' A healthy check does not close it: acknowledge it once you have looked; it closes after a quiet day with nothing new.';
  const head = base(id, e.transition, severity, e.scope, now, ctx);
  // Like every alert: the signed Acknowledge link first (a channel that must drop links keeps it), none once someone is on it.
  const ackLink = !incident.ack && ctx.ackLink ? [ctx.ackLink(e.scope, incident, now)] : [];
  return {
    ...head,
    links: [...ackLink, ...head.links],
    subject: subject(severity, text),
    summary: told + ends,
    fix: DIAGNOSIS_TABLE[first.diagnosis].advice({ egressIp: null, expectedIps: ctx.expectedIps, keyPrefix: null, detail: first.detail, site: 'aws' }),
    facts: [
      keyFact,
      ...shown.flatMap((f) => f.facts),
      ...(more > 0 ? [{ label: 'More findings', value: more.toLocaleString('en-US') }] : []),
      openFact,
      ...ackFact,
    ],
  };
}

export function notificationFor(e: IncidentEvent, now: number, ctx: MessageContext): Notification {
  switch (e.kind) {
    case 'security':
      return securityNotification(e, now, ctx);
    case 'opened':
    case 'changed':
    case 'reminder': {
      const spec = DIAGNOSIS_TABLE[e.incident.diagnosis];
      const severity = spec.severity;
      const whom = who(e.scope);
      // A reminder on a run that could not re-check must not claim "still failing": it says what it
      // could not see, and which verdict it still stands on.
      const recheck = e.kind === 'reminder' ? (e.incident.recheck ?? null) : null;
      const definite = `last definite verdict ${e.incident.diagnosis} (${spec.title}) at ${utc(e.incident.confirmedAt ?? e.incident.openedAt)}`;
      const text =
        e.kind === 'opened'
          ? `${whom}: ${spec.title} — ${headline(e.run, ctx)}`
          : e.kind === 'changed'
            ? `${whom}: now ${spec.title} — ${headline(e.run, ctx)}`
            : recheck
              ? `${whom}: open for ${formatDuration(now - e.incident.since)}, could not re-check — ${spec.title}`
              : `${whom}: still failing after ${formatDuration(now - e.incident.since)} — ${spec.title}`;
      const summary =
        e.kind === 'opened'
          ? `${e.scope.type === 'key' ? `Exchange key "${whom}"` : `Every monitored key (${e.scope.keys})`} is failing: ${spec.title}, since ${utc(e.incident.since)}.${maintenanceNote(e.incident)}`
          : e.kind === 'changed'
            ? `The diagnosis of ${whom} changed from ${DIAGNOSIS_TABLE[e.previous].title} to ${spec.title}; failing since ${utc(e.incident.since)}.`
            : recheck
              ? `${whom} has an incident open for ${formatDuration(now - e.incident.since)} (${runs(e.incident.failedRuns)}) that the latest run could not re-check: ${recheck.why}; ${definite}. It stays open until a check proves it gone.${maintenanceNote(e.incident)}`
              : `${whom} has been failing for ${formatDuration(now - e.incident.since)} (${runs(e.incident.failedRuns)}): ${spec.title}.${maintenanceNote(e.incident)}`;
      const head = base(`${e.incident.id}#${e.incident.transitions}`, e.kind, severity, e.scope, now, ctx);
      // Acknowledged already: its messages say who is on it instead of offering the link again.
      const ackLink = !e.incident.ack && ctx.ackLink ? [ctx.ackLink(e.scope, e.incident, now)] : [];
      return {
        ...head,
        // First: a channel that must drop links to fit keeps this one.
        links: [...ackLink, ...head.links],
        subject: subject(severity, text),
        summary: summary + atRisk(e.scope, e.incident.diagnosis, now, ctx),
        fix: e.run.advice,
        facts: [
          ...(ctx.trigger && e.kind !== 'reminder' ? [{ label: 'Triggered', value: triggerLine(ctx.trigger, e.run, now) }] : []),
          ...incidentFacts(e.scope, e.run, e.incident, now),
          ...(recheck ? [{ label: 'Could not re-check', value: `${recheck.why}; ${definite}` }] : []),
        ],
      };
    }
    case 'resolved': {
      const spec = DIAGNOSIS_TABLE[e.incident.diagnosis];
      const took = formatDuration(e.resolvedAt - e.incident.since);
      return {
        ...base(`${e.incident.id}#${e.incident.transitions}`, 'resolved', e.reason === 'unmonitored' ? 'info' : 'resolved', e.scope, e.resolvedAt, ctx),
        ...(e.reason === 'unmonitored'
          ? {
              // Not "healthy again": nobody saw it recover. Say what happened instead.
              subject: subject('info', `${who(e.scope)}: closed, no longer monitored — was ${spec.title} for ${took}`),
              summary:
                `"${who(e.scope)}" was removed from the monitor's keys, so its open incident is closed without a verdict: the monitor no longer checks this key ` +
                `(it was failing from ${utc(e.incident.since)}, ${runs(e.incident.failedRuns)}). If the key is still in use, add it back to the configuration.`,
            }
          : {
              subject: subject('resolved', `${who(e.scope)}: resolved after ${took}, ${runs(e.incident.failedRuns)} — was ${spec.title}`),
              summary: `${who(e.scope)} is healthy again: resolved after ${took} and ${runs(e.incident.failedRuns)} (from ${utc(e.incident.since)} to ${utc(e.resolvedAt)}).`,
            }),
        fix: null,
        facts: [
          ...(e.scope.type === 'key' ? [{ label: 'Key', value: e.scope.key }] : [{ label: 'Keys', value: `all ${e.scope.keys} monitored keys` }]),
          { label: 'Was', value: `${spec.title} (${e.incident.diagnosis})` },
          { label: 'Duration', value: took },
          { label: 'Failed runs', value: String(e.incident.failedRuns) },
        ],
      };
    }
    case 'maintenance': {
      const w = e.window;
      const window = `${utc(w.start)} – ${utc(w.end)}`;
      return {
        ...base(`maintenance:${w.id}`, 'maintenance', 'info', null, now, ctx),
        subject: subject('info', `Exchange maintenance announced: ${window}`),
        summary: `Crypto.com announced system maintenance: ${w.title}. Failures the maintenance could cause are held while it lasts; anything still failing after it is reported, marked as begun during the maintenance.`,
        fix: null,
        facts: [{ label: 'Window', value: window }, ...(w.impacted.length > 0 ? [{ label: 'Impacted', value: w.impacted.join(', ') }] : [])],
      };
    }
    case 'key-age': {
      const key = e.scope.type === 'key' ? e.scope.key : 'key';
      return {
        ...base(`key-age:${key}:${Math.floor(now / 86_400_000)}`, 'reminder', 'warning', e.scope, now, ctx),
        subject: subject('warning', `${key}: key is ${e.ageDays} days old — create a new key and rotate it in`),
        summary: `The API key in "${key}" was stored ${e.ageDays} days ago, past the ${e.maxDays}-day limit set for this monitor. It still works; rotating it limits what a leaked key can do.`,
        fix: `Create a new key on Crypto.com Exchange (same permissions, whitelist the egress IP), then: key-monitor rotate --secret-id <the key's secret> --file new-key.json. The monitor validates it from the fixed IP before it goes live.`,
        facts: [
          { label: 'Key', value: key },
          { label: 'Age', value: `${e.ageDays} days (limit ${e.maxDays})` },
        ],
      };
    }
    case 'unmonitored': {
      const listed = e.closed.slice(0, MAX_LISTED).map((c) => `${c.key} (${DIAGNOSIS_TABLE[c.incident.diagnosis].title}, since ${utc(c.incident.since)})`);
      const more = e.closed.length > MAX_LISTED ? [`and ${e.closed.length - MAX_LISTED} more`] : [];
      return {
        ...base(`unmonitored:${e.at}`, 'resolved', 'info', null, e.at, ctx),
        subject: subject('info', `${e.closed.length} keys no longer monitored: their open incidents are closed`),
        summary:
          `${e.closed.length} keys with open incidents were removed from the monitor's keys, so their incidents are closed without a verdict: the monitor no longer checks them. ` +
          'If any of them is still in use, add it back to the configuration.',
        fix: null,
        facts: [...listed, ...more].map((value, i) => ({ label: i < listed.length ? `Closed ${i + 1}` : '', value })),
      };
    }
    case 'mute-ended': {
      const listed = e.stillOpen
        .slice(0, MAX_LISTED)
        .map((o) => `${who(o.scope)}: ${DIAGNOSIS_TABLE[o.incident.diagnosis].title} since ${utc(o.incident.since)}`);
      // A thousand open incidents must not make one notification of hundreds of KB: the rest are in `status`.
      const open = e.stillOpen.length > MAX_LISTED ? [...listed, `and ${e.stillOpen.length - MAX_LISTED} more (key-monitor status lists them all)`] : listed;
      return {
        ...base(`mute:${e.mute.since}#ended`, 'mute', open.length > 0 ? 'warning' : 'info', null, e.endedAt, ctx),
        subject: subject(
          open.length > 0 ? 'warning' : 'info',
          `Alerts unmuted: ${e.mute.suppressed} suppressed while muted, ${e.stillOpen.length} incident${e.stillOpen.length === 1 ? '' : 's'} open`,
        ),
        summary:
          `Alerts were muted from ${utc(e.mute.since)} to ${utc(e.endedAt)} (${e.mute.reason}). ${e.mute.suppressed} notification${e.mute.suppressed === 1 ? ' was' : 's were'} suppressed` +
          (open.length > 0 ? `; still open now: ${open.join('; ')}.` : '; nothing is open now.'),
        fix: null,
        facts: e.mute.suppressedLines.map((line, i) => ({ label: `Suppressed ${i + 1}`, value: line })),
      };
    }
  }
}
