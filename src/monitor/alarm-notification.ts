/**
 * A CloudWatch alarm state change, as it reaches the notification queue through SNS, turned into a
 * Notification, so monitor-the-monitor alarms (heartbeat, errors, dead letters) arrive on every
 * channel in the same format as key incidents. Pure: the text comes from outside (an alarm's
 * description and reason are whatever the account put there) and is made display-safe here.
 *
 * The stack writes each AlarmDescription as `<headline>. <runbook>`: the first sentence says what
 * happened, the rest is the fix.
 */
import { MAX_SUBJECT_LENGTH, NOTIFICATION_SCHEMA_VERSION, SEVERITY_EMOJI, type Notification, type NotificationLink } from '../contract/notification.js';
import { cleanLine, fit } from '../channels/text.js';
import { displaySafe } from '../exchange/text-safety.js';
import { isJsonObject, type JsonObject } from '../contract/json.js';
import { SERVICE_NAME } from '../contract/service.js';

export interface AlarmContext {
  /** MONITOR_NAME: the deployment every notification says it comes from. */
  readonly source: string;
  /** DASHBOARD_URL, linked when set. */
  readonly dashboardUrl?: string | undefined;
}

/** Why a message is not a usable alarm. Never quotes the message: it is shown in logs. */
export interface AlarmProblem {
  readonly problem: string;
}

export type AlarmParse =
  | { readonly kind: 'notification'; readonly notification: Notification }
  /** INSUFFICIENT_DATA and the like: nothing an operator should be told. */
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'invalid'; readonly problem: AlarmProblem };

const str = (o: JsonObject, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

/** An alarm's own text, once: escapes and controls out, one line, signature-like runs redacted. */
const safe = (text: string, max: number) => displaySafe(cleanLine(text.slice(0, 20_000)), max);

/** Does this JSON object look like an alarm state change (the Message of the SNS envelope)? */
export function looksLikeAlarm(doc: unknown): doc is JsonObject {
  return isJsonObject(doc) && 'AlarmName' in doc && 'NewStateValue' in doc;
}

/** `<headline>. <runbook>`: the first sentence, and the rest. A `.` inside an IP or a number does not split. */
export function splitDescription(description: string): { headline: string; runbook: string | null } {
  const text = cleanLine(description.slice(0, 20_000));
  const m = /^(.*?[.!?])\s+(\S.*)$/.exec(text);
  if (!m) return { headline: text.replace(/[.!?]+$/, ''), runbook: null };
  return { headline: m[1]!.replace(/[.!?]+$/, ''), runbook: m[2]!.trim() || null };
}

/** `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:name` → its console page, or null. */
function alarmConsoleLink(alarmArn: string | undefined, alarmName: string): NotificationLink | null {
  const m = alarmArn ? /^arn:(aws[a-z-]*):cloudwatch:([a-z0-9-]+):\d{12}:alarm:/.exec(alarmArn) : null;
  if (!m) return null;
  const [, partition, region] = m;
  const host =
    partition === 'aws-cn'
      ? `${region}.console.amazonaws.cn`
      : partition === 'aws-us-gov'
        ? `${region}.console.amazonaws-us-gov.com`
        : `${region}.console.aws.amazon.com`;
  return { label: 'Alarm', url: `https://${host}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}` };
}

/** The alarm JSON (the SNS envelope's Message, already parsed) as a Notification. */
export function alarmToNotification(alarm: unknown, context: AlarmContext): AlarmParse {
  if (!isJsonObject(alarm)) return { kind: 'invalid', problem: { problem: 'the alarm message is not a JSON object' } };
  const name = str(alarm, 'AlarmName');
  const state = str(alarm, 'NewStateValue');
  const changed = str(alarm, 'StateChangeTime');
  if (!name || name.trim() === '') return { kind: 'invalid', problem: { problem: 'AlarmName is missing or not a string' } };
  if (state === undefined) return { kind: 'invalid', problem: { problem: 'NewStateValue is missing or not a string' } };
  if (!changed || !Number.isFinite(Date.parse(changed))) return { kind: 'invalid', problem: { problem: 'StateChangeTime is missing or not a time' } };
  if (state === 'INSUFFICIENT_DATA') return { kind: 'ignored', why: 'alarm state INSUFFICIENT_DATA is not reported' };
  if (state !== 'ALARM' && state !== 'OK') return { kind: 'invalid', problem: { problem: 'NewStateValue is not ALARM, OK or INSUFFICIENT_DATA' } };

  const firing = state === 'ALARM';
  const alarmName = safe(name, 255);
  const source = safe(context.source, 128) || SERVICE_NAME;
  const { headline: rawHeadline, runbook } = splitDescription(str(alarm, 'AlarmDescription') ?? '');
  const headline = safe(rawHeadline, MAX_SUBJECT_LENGTH) || alarmName;
  const fix = firing && runbook ? safe(runbook, 1_000) || null : null;
  const reason = safe(str(alarm, 'NewStateReason') ?? '', 1_000);
  const since = new Date(Date.parse(changed)).toISOString();
  const region = safe(str(alarm, 'Region') ?? '', 60);
  const oldState = str(alarm, 'OldStateValue');
  const stateFact = oldState && /^(ALARM|OK|INSUFFICIENT_DATA)$/.test(oldState) ? `${state} (was ${oldState})` : state;

  const links: NotificationLink[] = [];
  const alarmLink = alarmConsoleLink(str(alarm, 'AlarmArn'), name);
  if (alarmLink) links.push(alarmLink);
  if (context.dashboardUrl) links.push({ label: 'Dashboard', url: context.dashboardUrl });

  const subject = firing ? `${SEVERITY_EMOJI.critical} ${source}: ${headline}` : `${SEVERITY_EMOJI.resolved} ${source}: resolved — ${headline}`;
  return {
    kind: 'notification',
    notification: {
      schemaVersion: NOTIFICATION_SCHEMA_VERSION,
      // Name and time as CloudWatch wrote them: the same transition redelivered gets the same id, and the
      // ALARM and its OK share the thread `alarm:<name>` (channels thread on the part before `#`).
      id: `alarm:${fit(cleanLine(name), 255)}#${fit(cleanLine(changed), 40)}`,
      kind: firing ? 'monitor-alarm' : 'monitor-alarm-resolved',
      severity: firing ? 'critical' : 'resolved',
      subject: fit(subject, MAX_SUBJECT_LENGTH),
      summary: reason || (firing ? `The alarm ${alarmName} is in ALARM.` : `The alarm ${alarmName} is back to OK.`),
      fix,
      facts: [
        { label: 'Alarm name', value: alarmName },
        { label: 'State', value: stateFact },
        { label: 'Since', value: since },
        ...(region ? [{ label: 'Region', value: region }] : []),
      ],
      links,
      scope: { type: 'monitor' },
      occurredAt: since,
      source,
    },
  };
}
