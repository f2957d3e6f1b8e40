/**
 * "<channel> stopped accepting alerts": the notification the other channels get when one channel
 * refuses a notification for good, naming the channel, what it answered and the fix for that
 * answer (channels/refusals.ts). Pure.
 *
 * Its id is the channel and the start of a fixed window (`channel-failed:<channel>:<window start>`),
 * so the delivery ledger, which sends each id once per channel, makes it at most one per refusing
 * channel per window however many notifications that channel refuses meanwhile. The window is
 * taken from the time of the refusal, so a redelivery of the refused message hours later still
 * names the same report.
 */
import type { ChannelName } from '../channels/channel.js';
import type { ConfigProblem, LeftOutChannel } from '../channels/config.js';
import { cleanLine, fit } from '../channels/text.js';
import { NOTIFICATION_SCHEMA_VERSION, SEVERITY_EMOJI, type Notification, type NotificationLink } from '../contract/notification.js';
import type { AlarmContext } from './alarm-notification.js';
import type { Refusal } from './ports.js';

export const CHANNEL_FAILED_KIND = 'channel-failed' as const;

/** At most one report per refusing channel in this long. */
export const CHANNEL_FAILED_WINDOW_MS = 6 * 60 * 60_000;

const LABEL: Readonly<Record<ChannelName, string>> = {
  email: 'Email',
  chatbot: 'Amazon Q',
  slack: 'Slack',
  teams: 'Teams',
  telegram: 'Telegram',
  discord: 'Discord',
  webhook: 'The signed webhook',
};

const windowStart = (atMs: number) => Math.floor(atMs / CHANNEL_FAILED_WINDOW_MS) * CHANNEL_FAILED_WINDOW_MS;

export function channelFailedId(channel: ChannelName, atMs: number): string {
  return `${CHANNEL_FAILED_KIND}:${channel}:${new Date(windowStart(atMs)).toISOString()}`;
}

const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * The report on `channel` refusing `refused`. The answer is the channel's redacted reason without
 * its `<channel>:` prefix; the refused notification is named by its subject and id only.
 */
export function channelFailedNotification(channel: ChannelName, refusal: Refusal, refused: Notification, context: AlarmContext): Notification {
  const label = LABEL[channel];
  const answer = fit(cleanLine(refusal.reason.replace(/^[a-z]+: /, '')), 300) || 'no reason recorded';
  const refusedSubject = fit(cleanLine(refused.subject), 150);
  const nextWindow = windowStart(refusal.atMs) + CHANNEL_FAILED_WINDOW_MS;
  const links: NotificationLink[] = context.dashboardUrl ? [{ label: 'Dashboard', url: context.dashboardUrl }] : [];
  const fix = refusal.fix ?? 'The NotifierFunction log names the answer; fix the channel in the channels secret.';
  return {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    id: channelFailedId(channel, refusal.atMs),
    kind: CHANNEL_FAILED_KIND,
    severity: 'critical',
    subject: fit(`${SEVERITY_EMOJI.critical} ${context.source}: ${channel} stopped accepting alerts`, 150),
    summary:
      `${label} refused a notification for good at ${utc(refusal.atMs)} (${answer}), so alerts no longer reach it. ` +
      `This goes to every other channel, at most once every ${CHANNEL_FAILED_WINDOW_MS / 3_600_000} hours while it keeps refusing.`,
    fix: `${fix} Then run npx key-monitor test-alert to check.`,
    facts: [
      { label: 'Channel', value: channel },
      { label: 'Answer', value: answer },
      { label: 'Refused notification', value: refusedSubject },
      { label: 'Notification id', value: fit(cleanLine(refused.id), 200) },
      { label: 'Next report', value: `not before ${utc(nextWindow)}, if it still refuses` },
    ],
    links,
    scope: { type: 'monitor' },
    occurredAt: new Date(refusal.atMs).toISOString(),
    source: context.source,
  };
}

/** Fields and rules only: a ConfigProblem never carries a value. */
const describeProblems = (problems: readonly ConfigProblem[]) =>
  fit(
    problems
      .slice(0, 3)
      .map((p) => `${p.field} ${p.problem}`)
      .join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : ''),
    400,
  );

const SECRET_FIX =
  'Correct it in the channels secret (the stack output ChannelsSecretName names it); the notifier reads it again within 5 minutes, no deploy needed.';

/**
 * A channel its configuration leaves out (a broken section of the channels secret, a bad topic ARN)
 * misses every alert as surely as one that refuses them: the same report, with the problem as its answer.
 */
export function leftOutRefusal(leftOut: LeftOutChannel, atMs: number): Refusal & { readonly channel: ChannelName } {
  return {
    channel: leftOut.channel,
    reason: `left out by its configuration: ${describeProblems(leftOut.problems)}`,
    fix: SECRET_FIX,
    atMs,
  };
}

/**
 * The channels secret as a whole cannot be used (not JSON, not an object) or has a top-level field
 * that names no channel (a misspelt section): reported to the channels that still work, at most once
 * per window, like a refusing channel.
 */
export function channelsSecretProblemNotification(
  problems: readonly ConfigProblem[],
  unusable: boolean,
  atMs: number,
  refused: Notification,
  context: AlarmContext,
): Notification {
  const what = describeProblems(problems);
  const links: NotificationLink[] = context.dashboardUrl ? [{ label: 'Dashboard', url: context.dashboardUrl }] : [];
  return {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    id: `${CHANNEL_FAILED_KIND}:channels-secret:${new Date(windowStart(atMs)).toISOString()}`,
    kind: CHANNEL_FAILED_KIND,
    severity: 'critical',
    subject: fit(
      `${SEVERITY_EMOJI.critical} ${context.source}: ${unusable ? 'the channels secret cannot be read: chat channels get no alerts' : 'the channels secret has a problem'}`,
      150,
    ),
    summary:
      (unusable
        ? `The channels secret could not be used at ${utc(atMs)} (${what}), so no chat channel it configures gets alerts; they are held and sent once it is fixed, for as long as the queue keeps them. `
        : `The channels secret has a field that names no channel at ${utc(atMs)} (${what}): a channel meant there gets no alerts. `) +
      `This goes to every channel that works, at most once every ${CHANNEL_FAILED_WINDOW_MS / 3_600_000} hours while the problem stays.`,
    fix: `${SECRET_FIX} Then run npx key-monitor test-alert to check.`,
    facts: [
      { label: 'Problem', value: what },
      { label: 'Notification', value: fit(cleanLine(refused.subject), 150) },
      { label: 'Notification id', value: fit(cleanLine(refused.id), 200) },
      { label: 'Next report', value: `not before ${utc(windowStart(atMs) + CHANNEL_FAILED_WINDOW_MS)}, if it stays` },
    ],
    links,
    scope: { type: 'monitor' },
    occurredAt: new Date(atMs).toISOString(),
    source: context.source,
  };
}
