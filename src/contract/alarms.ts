/** The monitor's own alarms by name: the stack creates `<prefix>-<name>` for each; `key-monitor verify` checks they exist. */
export const MONITOR_ALARM_NAMES = [
  'HEARTBEAT',
  'CHECK_FUNCTION_ERRORS',
  'NOTIFICATIONS_UNDELIVERED',
  'DELIVERIES_FAILED',
  'NOTIFIER_ERRORS',
  'ROTATION_FAILED',
] as const;
export type MonitorAlarmName = (typeof MONITOR_ALARM_NAMES)[number];

/** The prefix is the stack's name. */
export const monitorAlarmName = (prefix: string, name: MonitorAlarmName) => `${prefix}-${name}`;
