/**
 * What the monitor tells an operator, in one channel-neutral shape. The incident rules and the
 * rotation and alarm adapters build it; each channel renders it in its own format. Every text field
 * is already safe to show (no secret, signature or full key; no control characters): channels only
 * escape it for their markup.
 */
export const NOTIFICATION_SCHEMA_VERSION = 1;

export type NotificationKind =
  /** A key incident (or a monitor-level one) opened. */
  | 'opened'
  /** The diagnosis changed inside an open incident. */
  | 'changed'
  /** Still failing: sent every remindEveryHours while open. */
  | 'reminder'
  /** The incident is over, with its duration and failed runs. */
  | 'resolved'
  /** Someone acknowledged an open incident: who is on it (reminders stop or slow while it holds). */
  | 'acknowledged'
  /** A monitor-the-monitor CloudWatch alarm (heartbeat, errors, dead letters) fired. */
  | 'monitor-alarm'
  /** That alarm is back to OK. */
  | 'monitor-alarm-resolved'
  /** Exchange maintenance announced or started; key incidents are held meanwhile. */
  | 'maintenance'
  /** Alerts were muted or unmuted, or a mute ended (with what it suppressed). */
  | 'mute'
  /** A key rotation promoted a new key. */
  | 'rotation-promoted'
  /** A key rotation refused the staged key; the current key is untouched. */
  | 'rotation-refused'
  /** A channel refused a notification for good; sent to the other channels (at most once per window). */
  | 'channel-failed'
  /** `key-monitor test-alert`. */
  | 'test';

/** Drives colour and emoji: 🔴 critical, 🟠 warning, ✅ resolved, ℹ️ info. */
export type Severity = 'critical' | 'warning' | 'resolved' | 'info';

export interface NotificationFact {
  readonly label: string;
  readonly value: string;
}

export interface NotificationLink {
  readonly label: string;
  readonly url: string;
}

export type NotificationScope = { readonly type: 'key'; readonly key: string } | { readonly type: 'monitor' };

export interface Notification {
  readonly schemaVersion: typeof NOTIFICATION_SCHEMA_VERSION;
  /**
   * Idempotency id: incident id + transition number (or alarm name + state change time, rotation
   * token + verdict, test run id). Delivery is at least once; a channel sends each id once.
   */
  readonly id: string;
  readonly kind: NotificationKind;
  readonly severity: Severity;
  /**
   * The one line a phone lock screen shows, at most 150 characters, emoji first:
   * `🔴 trading: IP not whitelisted (40103) — add 203.0.113.7 to the key`.
   */
  readonly subject: string;
  /** One to three sentences: what happened, since when, for how long. */
  readonly summary: string;
  /** The exact fix from the diagnosis table, or null when there is nothing to do. */
  readonly fix: string | null;
  /** What was seen, in display order: key, key prefix, diagnosis, code, HTTP status, egress IP… */
  readonly facts: readonly NotificationFact[];
  /** Dashboard, Logs Insights query for the key, runbook. */
  readonly links: readonly NotificationLink[];
  readonly scope: NotificationScope;
  /** ISO 8601 time of the transition this notification reports. */
  readonly occurredAt: string;
  /** The deployment it comes from (stack name), so several monitors can share a channel. */
  readonly source: string;
}

/** Subjects longer than this are cut with an ellipsis (lock screens show about two lines). */
export const MAX_SUBJECT_LENGTH = 150;

export const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  critical: '🔴',
  warning: '🟠',
  resolved: '✅',
  info: 'ℹ️',
};
