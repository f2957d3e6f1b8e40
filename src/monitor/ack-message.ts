import {
  MAX_SUBJECT_LENGTH,
  NOTIFICATION_SCHEMA_VERSION,
  SEVERITY_EMOJI,
  type Notification,
  type NotificationFact,
  type NotificationLink,
} from '../contract/notification.js';
import { DIAGNOSIS_TABLE } from './diagnosis-table.js';
import { incidentFacts, utc } from './incident-messages.js';
import type { OpenIncident, Scope } from './incident-state.js';

/** A security incident (security-rules.ts) is not made of failed runs: its facts say when it opened and what it found. */
function factsOf(scope: Scope, incident: OpenIncident & { readonly findings?: unknown }, at: number): NotificationFact[] {
  if (typeof incident.findings !== 'number') return incidentFacts(scope, null, incident, at);
  const { by, note } = incident.ack as NonNullable<OpenIncident['ack']>;
  return [
    { label: 'Key', value: scope.type === 'key' ? scope.key : `all ${scope.keys} keys` },
    { label: 'Security incident', value: `open since ${utc(incident.openedAt)}; ${incident.findings} finding${incident.findings === 1 ? '' : 's'}` },
    { label: 'Acknowledged', value: `${by} is on it (since ${utc(at)})${note ? `: ${note}` : ''}` },
  ];
}

/**
 * The `acknowledged` notification: every channel hears who is on an incident, through the same queue
 * and delivery ledger as the alerts. Its id is the incident's and the transition it was made at, so a
 * retried write sends it once, and an acknowledgement after a change of diagnosis is a new message.
 */
export function acknowledgedNotification(
  scope: Scope,
  incident: OpenIncident,
  ctx: { readonly source: string; readonly links: readonly NotificationLink[] },
): Notification {
  const ack = incident.ack;
  if (!ack) throw new Error('acknowledgedNotification: the incident carries no acknowledgement');
  const spec = DIAGNOSIS_TABLE[incident.diagnosis];
  const whom = scope.type === 'key' ? scope.key : `all ${scope.keys} keys`;
  const line = `${SEVERITY_EMOJI.info} ${whom}: ${ack.by} is on it — ${spec.title}`.replace(/\s+/g, ' ');
  const how = ack.via === 'cli' ? 'key-monitor ack' : ack.via === 'link' ? 'the link in an alert' : 'Telegram';
  return {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    id: `${incident.id}#ack:${incident.transitions}`,
    kind: 'acknowledged',
    severity: 'info',
    subject: line.length > MAX_SUBJECT_LENGTH ? `${line.slice(0, MAX_SUBJECT_LENGTH - 1)}…` : line,
    summary:
      `${ack.by} acknowledged the incident on ${whom} (${spec.title}) with ${how}${ack.note ? `: "${ack.note}"` : ''}. ` +
      'Reminders stop while it is acknowledged (or slow, where acknowledgedRemindEveryHours is set); a change of diagnosis alerts again, and its resolution is announced as usual.',
    fix: null,
    facts: [...factsOf(scope, incident, ack.at), { label: 'Incident', value: incident.id }],
    links: [...ctx.links],
    scope: scope.type === 'key' ? { type: 'key', key: scope.key } : { type: 'monitor' },
    occurredAt: new Date(ack.at).toISOString(),
    source: ctx.source,
  };
}
