import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** SNS subjects must be ASCII, single-line and under 100 characters. */
export function subjectLine(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '-').slice(0, 99);
}

export async function publish(sns: SNSClient, topicArn: string, subject: string, message: string): Promise<void> {
  await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subjectLine(subject), Message: message }));
}
