/**
 * Who an SNS topic delivers to, for `key-monitor test-alert`: an email address that never confirmed
 * its subscription receives nothing, and the operator must be told which. Faults are typed values
 * with the SDK's error class name only (its messages quote ARNs and account ids).
 */
import { ListSubscriptionsByTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SecretFault } from '../monitor/types.js';
import { awsCallDeadlineMs, awsFault, callWithDeadline } from './aws-calls.js';

export interface TopicSubscription {
  readonly protocol: string;
  /** The address or URL it delivers to, as SNS lists it. */
  readonly endpoint: string | null;
  /** Subscribed but not confirmed yet: SNS delivers nothing to it. */
  readonly pendingConfirmation: boolean;
}

export type TopicSubscriptionsRead =
  { readonly ok: true; readonly subscriptions: readonly TopicSubscription[] } | { readonly ok: false; readonly fault: SecretFault; readonly errorName: string };

/** The topic's subscriptions (the first page, 100, is more than any monitor's topic holds). */
export async function topicSubscriptions(sns: SNSClient, topicArn: string, deadlineMs: number = awsCallDeadlineMs()): Promise<TopicSubscriptionsRead> {
  try {
    const out = await callWithDeadline((abortSignal) => sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }), { abortSignal }), deadlineMs);
    const subscriptions = (out.Subscriptions ?? []).map((sub) => ({
      protocol: sub.Protocol ?? '',
      endpoint: sub.Endpoint ?? null,
      pendingConfirmation: sub.SubscriptionArn === 'PendingConfirmation',
    }));
    return { ok: true, subscriptions };
  } catch (err) {
    const { fault, errorName } = awsFault(err);
    return { ok: false, fault, errorName };
  }
}
