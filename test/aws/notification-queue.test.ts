import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { NotificationsNotEnqueued, queueUrlFromArn, SqsNotificationQueue } from '../../src/aws/notification-queue.js';
import type { Notification } from '../../src/contract/notification.js';
import { hostile, OPENED } from '../channels/support/notifications.js';

type Entry = { Id: string; MessageBody: string };
type Reply = { Successful?: { Id: string }[]; Failed?: { Id: string; Code: string; SenderFault: boolean; Message?: string }[] };

/** A fake SQS that answers each SendMessageBatch with `answer(entries, callNumber)`. */
function fakeSqs(answer: (entries: Entry[], call: number) => Reply | Promise<Reply>) {
  const calls: Entry[][] = [];
  const client = {
    send: async (cmd: { input: { Entries: Entry[] } }) => {
      calls.push(cmd.input.Entries);
      return answer(cmd.input.Entries, calls.length);
    },
  } as unknown as SQSClient;
  return { client, calls };
}
const allOk = (entries: Entry[]): Reply => ({ Successful: entries.map((e) => ({ Id: e.Id })) });
const many = (n: number): Notification[] => Array.from({ length: n }, (_, i) => ({ ...OPENED, id: `inc-${i}#1` }));

describe('SqsNotificationQueue', () => {
  it('sends 10 per call, the body being the notification JSON', async () => {
    const sqs = fakeSqs(allOk);
    await new SqsNotificationQueue(sqs.client, 'https://sqs/q').send(many(23));
    expect(sqs.calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(JSON.parse(sqs.calls[0]![0]!.MessageBody)).toEqual({ ...OPENED, id: 'inc-0#1' });
  });

  it('keeps each call under 256 KB of bodies', async () => {
    const sqs = fakeSqs(allOk);
    await new SqsNotificationQueue(sqs.client, 'https://sqs/q').send([hostile('lorem ipsum '), hostile('漢字'), OPENED]);
    for (const call of sqs.calls) expect(call.reduce((s, e) => s + Buffer.byteLength(e.MessageBody), 0)).toBeLessThanOrEqual(256 * 1024);
    expect(sqs.calls.flat()).toHaveLength(3);
  });

  it('retries failed entries once, and only the retryable ones', async () => {
    const sqs = fakeSqs((entries, call) =>
      call === 1
        ? {
            Successful: entries.slice(2).map((e) => ({ Id: e.Id })),
            Failed: [
              { Id: entries[0]!.Id, Code: 'InternalError', SenderFault: false },
              { Id: entries[1]!.Id, Code: 'InvalidMessageContents', SenderFault: true, Message: 'quoting arn:aws:sqs:x' },
            ],
          }
        : allOk(entries),
    );
    await expect(new SqsNotificationQueue(sqs.client, 'https://sqs/q').send(many(4))).rejects.toMatchObject({
      name: 'NotificationsNotEnqueued',
      failed: [{ id: 'inc-1#1', reason: 'InvalidMessageContents' }],
    });
    expect(sqs.calls.map((c) => c.length)).toEqual([4, 1]);
    expect(JSON.parse(sqs.calls[1]![0]!.MessageBody).id).toBe('inc-0#1');
  });

  it('names every id that could not be enqueued after the retry, with the error class only', async () => {
    const sqs = fakeSqs(() => Promise.reject(Object.assign(new Error('https://sqs.eu-west-1.amazonaws.com/123456789012/q'), { name: 'ThrottlingException' })));
    const err = await new SqsNotificationQueue(sqs.client, 'https://sqs/q').send(many(12)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotificationsNotEnqueued);
    expect((err as NotificationsNotEnqueued).failed).toHaveLength(12);
    expect((err as NotificationsNotEnqueued).failed[0]).toEqual({ id: 'inc-0#1', reason: 'ThrottlingException' });
    expect((err as Error).message).not.toContain('123456789012');
    expect(sqs.calls).toHaveLength(4);
  });

  it('does not retry what cannot succeed (queue missing, access denied), and a stalled call ends', async () => {
    const missing = fakeSqs(() => Promise.reject(Object.assign(new Error('x'), { name: 'AccessDeniedException' })));
    await expect(new SqsNotificationQueue(missing.client, 'https://sqs/q').send(many(1))).rejects.toMatchObject({
      failed: [{ reason: 'AccessDeniedException' }],
    });
    expect(missing.calls).toHaveLength(1);

    const stalled = fakeSqs(() => new Promise(() => {}));
    const started = Date.now();
    await expect(new SqsNotificationQueue(stalled.client, 'https://sqs/q', 200).send(many(1))).rejects.toMatchObject({ failed: [{ reason: 'TimeoutError' }] });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('an invalid notification is reported, and the valid ones still go', async () => {
    const sqs = fakeSqs(allOk);
    await expect(new SqsNotificationQueue(sqs.client, 'https://sqs/q').send([{ ...OPENED, id: '' }, OPENED])).rejects.toMatchObject({
      failed: [{ id: '', reason: expect.stringContaining('invalid: id must be') }],
    });
    expect(sqs.calls.flat()).toHaveLength(1);
  });
});

describe('queueUrlFromArn', () => {
  it('maps a queue ARN to its URL, China included, and refuses anything else', () => {
    expect(queueUrlFromArn('arn:aws:sqs:eu-west-1:123456789012:ekm-notifications')).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/ekm-notifications');
    expect(queueUrlFromArn('arn:aws-cn:sqs:cn-north-1:123456789012:q')).toBe('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q');
    expect(queueUrlFromArn('arn:aws:sns:eu-west-1:123456789012:topic')).toBeNull();
    expect(queueUrlFromArn('arn:aws:sqs:eu-west-1:123456789012:a/../b')).toBeNull();
  });
});
