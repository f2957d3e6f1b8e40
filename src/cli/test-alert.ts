import { randomUUID } from 'node:crypto';
import { NOTIFICATION_SCHEMA_VERSION, type Notification } from '../contract/notification.js';
import { CachedChannelsSecret } from '../aws/channels-secret.js';
import { dynamoDbClient } from '../aws/dynamodb-call.js';
import { DynamoIncidentStore } from '../aws/incident-store.js';
import { SqsNotificationQueue, lazySqsClient } from '../aws/notification-queue.js';
import { secretsManagerClient } from '../aws/secrets.js';
import { snsClient } from '../aws/sns-publish.js';
import { findDeployedMonitor, type DeployedMonitor } from '../aws/stack-outputs.js';
import { topicSubscriptions, type TopicSubscriptionsRead } from '../aws/topic-subscriptions.js';
import { parseChannelsSecret } from '../channels/config.js';
import { displaySafe } from '../exchange/text-safety.js';
import type { TestAlertOptions } from './args.js';
import { JSON_SCHEMA_VERSION } from './format.js';
import type { Io } from './io.js';

export interface ChannelResult {
  readonly channel: string;
  readonly result: 'delivered' | 'failed' | 'pending';
  readonly detail: string;
}

interface Expected {
  readonly channels: string[];
  readonly notes: ChannelResult[];
  readonly emailPending: string[];
}

/** Which channels a deployed monitor has: the email topic's subscriptions, Amazon Q, and the channels secret. */
type SubscriptionsOf = (topicArn: string) => Promise<TopicSubscriptionsRead>;

const snsSubscriptions =
  (timeoutMs: number): SubscriptionsOf =>
  async (topicArn) => {
    const sns = snsClient({ timeoutMs });
    try {
      return await topicSubscriptions(sns, topicArn);
    } finally {
      sns.destroy();
    }
  };

async function expectedChannels(
  deployed: DeployedMonitor,
  timeoutMs: number,
  subscriptionsOf: SubscriptionsOf = snsSubscriptions(timeoutMs),
): Promise<Expected> {
  const channels: string[] = [];
  const notes: ChannelResult[] = [];
  const emailPending: string[] = [];
  if (deployed.alertTopicArn) {
    channels.push('email');
    {
      const read = await subscriptionsOf(deployed.alertTopicArn);
      if (read.ok) {
        for (const sub of read.subscriptions) {
          if (sub.protocol === 'email' && sub.pendingConfirmation) emailPending.push(displaySafe(sub.endpoint ?? '?', 120));
        }
        if (read.subscriptions.length === 0)
          notes.push({ channel: 'email', result: 'failed', detail: 'the alert topic has no subscribers (deploy with -c alertEmail=…)' });
      } else {
        notes.push({ channel: 'email', result: 'pending', detail: `could not list the topic's subscribers (${read.errorName})` });
      }
    }
  }
  if (deployed.chatbotTopicArn) channels.push('chatbot');
  if (deployed.channelsSecretName) {
    const sm = secretsManagerClient({ timeoutMs });
    try {
      // The reader the notifier uses, so the channels listed are the ones it will try.
      const read = await new CachedChannelsSecret(sm, deployed.channelsSecretName).read();
      if (read.ok) {
        const parsed = parseChannelsSecret(read.json);
        channels.push(...Object.keys(parsed.config));
        for (const p of parsed.problems)
          notes.push({ channel: p.field.split('.')[0] ?? 'channels', result: 'failed', detail: `channels secret: ${p.field} ${p.problem}` });
      } else {
        notes.push({
          channel: 'channels secret',
          result: 'pending',
          detail: `could not read it to list the webhook channels (${read.errorName}); they are still tested`,
        });
      }
    } finally {
      sm.destroy();
    }
  }
  return { channels: [...new Set(channels)], notes, emailPending };
}

export function testNotification(deployed: DeployedMonitor, now: number): Notification {
  return {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    id: `test:${randomUUID()}`,
    kind: 'test',
    severity: 'info',
    subject: `ℹ️ TEST from ${deployed.stackName}: alerts reach this channel`,
    summary: `This is a test notification sent with key-monitor test-alert at ${new Date(now).toISOString()}. Nothing is wrong with your keys. Real alerts arrive here in this format.`,
    fix: null,
    facts: [
      { label: 'Test', value: 'yes — no action needed' },
      { label: 'Monitor', value: deployed.stackName },
    ],
    links: deployed.dashboardUrl ? [{ label: 'Dashboard', url: deployed.dashboardUrl }] : [],
    scope: { type: 'monitor' },
    occurredAt: new Date(now).toISOString(),
    source: deployed.stackName,
  };
}

const MARK = { delivered: '✅', failed: '❌', pending: '⏳' } as const;

export interface TestAlertOutcome {
  readonly notificationId: string;
  readonly ok: boolean;
  readonly channels: readonly ChannelResult[];
  readonly unconfirmedEmails: readonly string[];
  /** Channels the notifier delivered to (or gave up on) that the monitor's configuration names. */
  readonly configured: number;
}

/**
 * A clearly marked test notification through the real path (queue → notifier → every channel), then
 * what the notifier recorded for each channel: `test-alert`, and `verify`'s channels step.
 */
export async function sendTestAlert(
  deployed: DeployedMonitor,
  opts: { readonly timeoutMs: number; readonly waitSeconds: number },
  deps: { now?: () => number; pollMs?: number; onSent?: (id: string) => void; subscriptions?: SubscriptionsOf } = {},
): Promise<TestAlertOutcome> {
  const now = deps.now ?? Date.now;
  const expected = await expectedChannels(deployed, opts.timeoutMs, deps.subscriptions);
  const notification = testNotification(deployed, now());
  await new SqsNotificationQueue(lazySqsClient({ timeoutMs: opts.timeoutMs }), deployed.queueUrl).send([notification]);
  deps.onSent?.(notification.id);
  const store = new DynamoIncidentStore(dynamoDbClient({ timeoutMs: opts.timeoutMs }), deployed.stateTable, 30);
  const deadline = now() + opts.waitSeconds * 1_000;
  let records: Awaited<ReturnType<DynamoIncidentStore['deliveriesOf']>> = [];
  for (;;) {
    records = await store.deliveriesOf(notification.id);
    const done = expected.channels.every((c) => records.some((r) => r.channel === c && (r.status === 'sent' || r.status === 'gave-up')));
    if (done || now() >= deadline) break;
    await new Promise((r) => setTimeout(r, deps.pollMs ?? 2_000));
  }
  const results: ChannelResult[] = [...new Set([...expected.channels, ...records.map((r) => r.channel)])].map((channel) => {
    const r = records.find((x) => x.channel === channel);
    if (r?.status === 'sent') {
      const pending =
        channel === 'email' && expected.emailPending.length > 0
          ? `; NOT CONFIRMED, so not receiving: ${expected.emailPending.join(', ')} (open the AWS confirmation email)`
          : '';
      return { channel, result: 'delivered' as const, detail: `delivered${pending}` };
    }
    if (r?.status === 'gave-up') return { channel, result: 'failed' as const, detail: displaySafe(r.reason ?? 'gave up', 300) };
    return {
      channel,
      result: 'pending' as const,
      detail: r
        ? 'being retried by the notifier (see its log)'
        : 'no delivery recorded yet: is the NotifierFunction running? (its log and the dead-letter queue tell)',
    };
  });
  const all = [...results, ...expected.notes];
  const ok = results.length > 0 && all.every((r) => r.result === 'delivered') && expected.emailPending.length === 0;
  return { notificationId: notification.id, ok, channels: all, unconfirmedEmails: expected.emailPending, configured: results.length };
}

/** `key-monitor test-alert`. */
export async function testAlertCommand(opts: TestAlertOptions, io: Io, deps: { now?: () => number; pollMs?: number } = {}): Promise<number> {
  const deployed = await findDeployedMonitor(opts.stack, opts.timeoutMs);
  const outcome = await sendTestAlert(deployed, opts, {
    ...deps,
    onSent: (id) => {
      if (!opts.json)
        io.out(`Sent test notification ${id} to ${deployed.stackName}'s notification queue; waiting for the notifier (up to ${opts.waitSeconds} s)…\n`);
    },
  });
  if (opts.json)
    io.out(
      JSON.stringify(
        {
          schemaVersion: JSON_SCHEMA_VERSION,
          notificationId: outcome.notificationId,
          ok: outcome.ok,
          channels: outcome.channels,
          unconfirmedEmails: outcome.unconfirmedEmails,
        },
        null,
        2,
      ) + '\n',
    );
  else {
    for (const r of outcome.channels) io.out(`  ${MARK[r.result]} ${r.channel.padEnd(10)} ${r.detail}\n`);
    if (outcome.configured === 0) io.out('  No channel is configured: deploy with -c alertEmail=… or fill the channels secret (README → Channels).\n');
  }
  return outcome.ok ? 0 : 1;
}
