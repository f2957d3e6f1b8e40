/**
 * One notification to one channel, whatever its transport: build, send through the right port,
 * classify. The ports are injected (HTTP sender, SNS publish adapter) so this stays testable, and
 * every reason that comes back is redacted here once more, whichever port produced it.
 */
import type { Notification } from '../contract/notification.js';
import type { Channel, DeliveryOutcome, HttpReply, HttpRequestSpec, PublishPort } from './channel.js';
import { redactChannelSecrets } from './redact.js';

export interface SendPorts {
  readonly http: { send(spec: HttpRequestSpec): Promise<HttpReply> };
  readonly sns: PublishPort;
  readonly nowMs: () => number;
}

export async function sendNotification(channel: Channel, notification: Notification, ports: SendPorts): Promise<DeliveryOutcome> {
  let outcome: DeliveryOutcome;
  if (channel.transport === 'http') {
    outcome = channel.classify(await ports.http.send(channel.build(notification, ports.nowMs())));
  } else {
    outcome = await ports.sns.publish(channel.build(notification));
  }
  return outcome.status === 'sent' ? outcome : { ...outcome, reason: redactChannelSecrets(outcome.reason, channel) };
}
