/**
 * The monitor's own alarms: the fixed set that fires when our code does not run, whatever the number
 * of keys. Each text is `<what happened>. <the fix>` (the notifier shows the first sentence as the
 * headline); the alarm table in docs/incidents.md is generated from this list.
 */
import type { MonitorAlarmName } from '../../src/contract/alarms.js';

export const MAX_DELIVERY_ATTEMPTS = 8;

export interface MonitorAlarmText {
  readonly name: MonitorAlarmName;
  /** When it fires, in a few words (docs/incidents.md). */
  readonly firesWhen: string;
  /** Where it goes (docs/incidents.md). */
  readonly goesTo: string;
  readonly description: string;
}

export const MONITOR_ALARMS: readonly MonitorAlarmText[] = [
  {
    name: 'HEARTBEAT',
    firesWhen: 'no check run completed in 2 of the last 3 schedule periods (missing data counts)',
    goesTo: 'every channel',
    description:
      'No key check completed in 2 of the last 3 schedule periods, so key faults would go unnoticed. ' +
      'Check the CheckFunction log group for errors or timeouts, that the EventBridge schedule rule is enabled, and that the function is not throttled.',
  },
  {
    name: 'CHECK_FUNCTION_ERRORS',
    firesWhen: 'the check Lambda crashed or timed out instead of reporting a diagnosis',
    goesTo: 'every channel',
    description:
      'The key check Lambda failed (an error or a timeout) instead of reporting a diagnosis. ' +
      'Its log group has the error; a configuration error names the field (EXCHANGE_BASE_URL, the key list…). Redeploy after fixing.',
  },
  {
    name: 'NOTIFICATIONS_UNDELIVERED',
    firesWhen: `a channel kept answering "try later" (rate limits, 5xx, timeouts, unreachable) through ${MAX_DELIVERY_ATTEMPTS} attempts, so its notification sits in the dead-letter queue`,
    goesTo: 'every channel (the failing one may miss it)',
    description:
      `A notification was still undelivered on a channel after ${MAX_DELIVERY_ATTEMPTS} attempts and waits in the dead-letter queue. ` +
      'Only a channel that keeps asking to be tried later (rate limits, 5xx, timeouts, unreachable) or an unavailable delivery ledger ends here; a channel that refuses for good is not retried (DELIVERIES_FAILED). ' +
      'The NotifierFunction log names the channel and why (redacted). Once it answers again, move the messages back: ' +
      'aws sqs start-message-move-task --source-arn <DeadLetterQueueArn output>; channels that already have a message are not sent it again.',
  },
  {
    name: 'DELIVERIES_FAILED',
    firesWhen:
      'a channel refused a notification for good (a revoked webhook, a removed bot, a deleted topic) or the channels secret left it out (a broken section, JSON that does not parse): DeliveriesFailed ≥ 1 in 5 minutes',
    goesTo: 'email straight from SNS, and every channel (the refusing one refuses it too); ALARM only, no OK',
    description:
      'A channel refused a notification for good, or the channels secret left it out, so alerts may no longer reach it. ' +
      'The other channels got "<channel> stopped accepting alerts" naming it, its answer and the fix (at most once per channel every 6 hours); the NotifierFunction log says the same (delivery failed permanently). ' +
      'Fix the channel as it says (a new webhook URL or bot token goes in the channels secret, no deploy needed), then run npx key-monitor test-alert. ' +
      'No OK follows: 5 quiet minutes only mean nothing was refused, not that the channel works; test-alert tells.',
  },
  {
    name: 'NOTIFIER_ERRORS',
    firesWhen: 'the notifier Lambda itself failed',
    goesTo: 'email only, straight from SNS (the notifier is what is broken)',
    description:
      'The notifier Lambda failed, so alerts may not reach your chat channels. This alarm goes straight to email because the notifier is what is broken. ' +
      'Its log group names the error; queued notifications are delivered once it works again.',
  },
  {
    name: 'ROTATION_FAILED',
    firesWhen: 'a rotation step failed for a reason not already reported (a refused, missing or stale key is reported on its own)',
    goesTo: 'every channel',
    description:
      'A key rotation step failed for a reason other than a refused, missing or stale key (those are reported on their own, with the fix). The current key is untouched. ' +
      'The RotationFunction log names the error; fix it and run key-monitor rotate again.',
  },
];

export function alarmText(name: MonitorAlarmText['name']): string {
  return (MONITOR_ALARMS.find((a) => a.name === name) as MonitorAlarmText).description;
}
