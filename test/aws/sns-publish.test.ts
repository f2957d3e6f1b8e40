import type { SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { publishOutcome, SnsPublisher } from '../../src/aws/sns-publish.js';

const OTHER_ACCOUNT_ARN = 'arn:aws:sns:eu-west-1:999988887777:someone-elses-topic';
const sdkError = (name: string, fault: 'client' | 'server', status: number) =>
  Object.assign(new Error(`User: arn:aws:sts::123456789012:assumed-role/x is not authorized on resource: ${OTHER_ACCOUNT_ARN}`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });

describe('publishOutcome', () => {
  it.each([
    ['AuthorizationErrorException', 'client', 403],
    ['NotFoundException', 'client', 404],
    ['InvalidParameterException', 'client', 400],
    ['InvalidParameterValueException', 'client', 400],
    ['KMSAccessDeniedException', 'client', 400],
    ['KMSDisabledException', 'client', 400],
    ['KMSNotFoundException', 'client', 400],
    ['SomeFutureClientException', 'client', 400],
  ] as const)('%s is permanent', (name, fault, status) => {
    const outcome = publishOutcome(sdkError(name, fault, status));
    expect(outcome.status).toBe('permanent');
    expect(outcome.status !== 'sent' && outcome.reason).toContain(`(${name})`);
  });

  it.each([
    ['ThrottledException', 'client', 429],
    ['Throttling', 'client', 400],
    ['KMSThrottlingException', 'client', 400],
    ['InternalErrorException', 'server', 500],
    ['ServiceUnavailable', 'server', 503],
    ['SomeFutureServerException', 'server', 502],
    ['TimeoutError', 'client', 0],
  ] as const)('%s is retried', (name, fault, status) => {
    expect(publishOutcome(sdkError(name, fault, status))).toMatchObject({ status: 'retry', afterMs: 30_000 });
  });

  it('network errors are retried, named by their code', () => {
    expect(publishOutcome(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }))).toEqual({
      status: 'retry',
      afterMs: 30_000,
      reason: 'sns: could not be reached (ECONNREFUSED)',
    });
  });

  it('never echoes the SDK message: no ARNs or account ids of anyone', () => {
    for (const name of ['AuthorizationErrorException', 'InternalErrorException', 'Weird']) {
      const outcome = publishOutcome(sdkError(name, 'client', 403));
      const text = JSON.stringify(outcome);
      expect(text).not.toContain('999988887777');
      expect(text).not.toContain('123456789012');
      expect(text).not.toContain('arn:');
    }
    expect(JSON.stringify(publishOutcome({ name: 'arn:aws:sns:x', message: OTHER_ACCOUNT_ARN }))).not.toContain('arn:');
  });
});

describe('SnsPublisher', () => {
  it('publishes topic, subject and message; a stalled call ends at its deadline as a retry', async () => {
    const sent: unknown[] = [];
    const ok = new SnsPublisher({ send: async (cmd: { input: unknown }) => (sent.push(cmd.input), {}) } as unknown as SNSClient);
    expect(await ok.publish({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:t', subject: 'S', message: 'M' })).toEqual({ status: 'sent' });
    expect(sent).toEqual([{ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:t', Subject: 'S', Message: 'M' }]);

    const stalled = new SnsPublisher({ send: () => new Promise(() => {}) } as unknown as SNSClient, 200);
    const started = Date.now();
    expect(await stalled.publish({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:t', message: 'M' })).toMatchObject({ status: 'retry' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
