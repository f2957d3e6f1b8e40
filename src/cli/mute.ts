import { NOTIFICATION_SCHEMA_VERSION, type Notification } from '../contract/notification.js';
import { dynamoDbClient } from '../aws/dynamodb-call.js';
import { DynamoIncidentStore } from '../aws/incident-store.js';
import { SqsNotificationQueue, lazySqsClient } from '../aws/notification-queue.js';
import { utc } from '../monitor/incident-messages.js';
import type { MuteOptions, UnmuteOptions } from './args.js';
import { JSON_SCHEMA_VERSION } from './format.js';
import type { Io } from './io.js';
import { findDeployedMonitor } from '../aws/stack-outputs.js';

/**
 * `key-monitor mute | unmute`: a mute with an end time, set without a redeploy. It lives in the
 * incident store, where the check run reads it: incident alerts are suppressed and counted until it
 * ends, then one message says what was suppressed and what is still open. Setting it is announced
 * on the channels, so nobody wonders why things went quiet.
 */
export async function muteCommand(opts: MuteOptions | UnmuteOptions, io: Io, now: () => number = Date.now): Promise<number> {
  const deployed = await findDeployedMonitor(opts.stack, opts.timeoutMs);
  const store = new DynamoIncidentStore(dynamoDbClient({ timeoutMs: opts.timeoutMs }), deployed.stateTable, 30);
  if (opts.command === 'unmute') {
    const seen: { until: number | null } = { until: null };
    await store.updateMonitor((s) => {
      seen.until = s.mute && s.mute.until > now() ? s.mute.until : null;
      // Ending it (not deleting it) lets the next run send the summary of what was suppressed.
      return s.mute && seen.until !== null ? { ...s, mute: { ...s.mute, until: now() } } : s;
    });
    if (opts.json)
      io.out(
        JSON.stringify(
          {
            schemaVersion: JSON_SCHEMA_VERSION,
            stack: deployed.stackName,
            muted: false,
            wasMutedUntil: seen.until === null ? null : new Date(seen.until).toISOString(),
          },
          null,
          2,
        ) + '\n',
      );
    else
      io.out(
        seen.until === null
          ? 'Alerts are not muted.\n'
          : `Unmuted (it was set until ${utc(seen.until)}). The next check run sends what was suppressed meanwhile.\n`,
      );
    return 0;
  }
  const at = now();
  let since = at;
  await store.updateMonitor((s) => {
    // Extending a mute keeps its start and its tally.
    const current = s.mute && s.mute.until > at ? s.mute : null;
    since = current?.since ?? at;
    return {
      ...s,
      mute: { since, until: opts.until, reason: opts.reason, suppressed: current?.suppressed ?? 0, suppressedLines: current?.suppressedLines ?? [] },
    };
  });
  const notice: Notification = {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    id: `mute:${since}#set:${opts.until}`,
    kind: 'mute',
    severity: 'info',
    subject: `ℹ️ Alerts muted until ${utc(opts.until)}`,
    summary:
      `Incident alerts of ${deployed.stackName} are muted until ${utc(opts.until)} (${opts.reason}). Checks go on; what would have been sent is ` +
      'counted and summarised when the mute ends. Alarms about the monitor itself still come through.',
    fix: 'To end it early: key-monitor unmute',
    facts: [
      { label: 'Until', value: utc(opts.until) },
      { label: 'Reason', value: opts.reason },
    ],
    links: deployed.dashboardUrl ? [{ label: 'Dashboard', url: deployed.dashboardUrl }] : [],
    scope: { type: 'monitor' },
    occurredAt: new Date(at).toISOString(),
    source: deployed.stackName,
  };
  let announced = true;
  try {
    await new SqsNotificationQueue(lazySqsClient({ timeoutMs: opts.timeoutMs }), deployed.queueUrl).send([notice]);
  } catch {
    announced = false;
    io.err('key-monitor: the mute is set, but announcing it on the channels failed (the notification queue did not take it)\n');
  }
  if (opts.json) {
    const iso = (ms: number) => new Date(ms).toISOString();
    io.out(
      JSON.stringify(
        {
          schemaVersion: JSON_SCHEMA_VERSION,
          stack: deployed.stackName,
          muted: true,
          since: iso(since),
          until: iso(opts.until),
          reason: opts.reason,
          announced,
        },
        null,
        2,
      ) + '\n',
    );
  } else io.out(`Muted until ${utc(opts.until)}. key-monitor unmute ends it early; key-monitor status shows it.\n`);
  return 0;
}
