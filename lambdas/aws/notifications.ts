import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification } from '../contract/notification.js';
import type { NotifierPort } from '../monitor/rotation.js';
import { callWithDeadline } from './aws-calls.js';

/** SNS subjects must be ASCII, single-line and under 100 characters. */
export function subjectLine(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '').replace(/\s+/g, ' ').trim().slice(0, 99) || 'exchange-key-monitor';
}

function plainText(n: Notification): string {
  const facts = n.facts.map((f) => `  ${f.label}: ${f.value}`);
  return [n.subject, '', n.summary, ...(n.fix ? ['', `Fix: ${n.fix}`] : []), '', ...facts, '', ...n.links.map((l) => `${l.label}: ${l.url}`), `— ${n.source}`].join('\n');
}

/** Publishes notifications to the alerts topic (email subscribers). */
export class SnsNotifier implements NotifierPort {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string | null,
  ) {}

  async send(n: Notification): Promise<void> {
    if (!this.topicArn) return;
    const topicArn = this.topicArn;
    await callWithDeadline((abortSignal) => this.sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subjectLine(n.subject), Message: plainText(n) }), { abortSignal }));
  }
}
