import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryLedger } from '../../src/aws/delivery-ledger.js';
import { dynamoDbCall, type DynamoDbCall } from '../../src/aws/dynamodb-call.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientOptions } from '../../src/aws/aws-calls.js';
import { awsAgainstBlackHole } from '../support/black-hole.js';

describe('DynamoDeliveryLedger', () => {
  it('writes the store layout: DELIVERY#<id> / <channel>, TTL in epoch seconds, a conditional claim', async () => {
    const calls: { op: string; input: Record<string, unknown> }[] = [];
    const call: DynamoDbCall = async (op, input) => (calls.push({ op, input: input as Record<string, unknown> }), {});
    const now = Date.UTC(2026, 0, 2, 10, 0, 0);
    const ledger = new DynamoDeliveryLedger(call, 'ekm-state', { now: () => now, leaseMs: 60_000 });
    const claim = await ledger.claim('inc-7f3a#1', 'slack');
    expect(claim.status).toBe('claimed');
    expect(calls[0]).toMatchObject({
      op: 'PutItem',
      input: {
        TableName: 'ekm-state',
        Item: {
          pk: { S: 'DELIVERY#inc-7f3a#1' },
          sk: { S: 'slack' },
          status: { S: 'sending' },
          leaseUntil: { N: String(now + 60_000) },
          expiresAt: { N: String(now / 1000 + 14 * 86_400) },
        },
        ConditionExpression: 'attribute_not_exists(#pk) OR (#status = :sending AND #leaseUntil < :now)',
      },
    });
    const refusal = { reason: 'slack: HTTP 404: no_service', fix: 'Create a new incoming webhook.', atMs: now - 5_000 };
    expect(await ledger.record('inc-7f3a#1', 'slack', claim.status === 'claimed' ? claim.token : '', { status: 'gave-up', refusal })).toBe('recorded');
    expect(calls[1]).toMatchObject({
      op: 'PutItem',
      input: {
        Item: { status: { S: 'gave-up' }, reason: { S: refusal.reason }, fix: { S: refusal.fix }, at: { S: new Date(refusal.atMs).toISOString() } },
        ConditionExpression: '#token = :token',
      },
    });
  });

  it('a verdict for a claim taken over in the meantime is refused as claim-lost, not thrown', async () => {
    const conditionFailed = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    const ledger = new DynamoDeliveryLedger(async () => Promise.reject(conditionFailed), 't');
    expect(await ledger.record('i', 'slack', 'mine', { status: 'sent' })).toBe('claim-lost');
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    await expect(new DynamoDeliveryLedger(async () => Promise.reject(throttled), 't').record('i', 'slack', 'mine', { status: 'sent' })).rejects.toBe(throttled);
  });

  it('a lost claim race reads the item: done → handled, held → in flight until the lease ends', async () => {
    const now = 1_000_000;
    const conditionFailed = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    const answer =
      (item: Record<string, unknown>): DynamoDbCall =>
      async (op) => {
        if (op === 'PutItem') throw conditionFailed;
        return { Item: item };
      };
    expect(await new DynamoDeliveryLedger(answer({ status: { S: 'sent' } }), 't', { now: () => now }).claim('i', 'email')).toEqual({
      status: 'handled',
      outcome: 'sent',
    });
    const gaveUp = {
      status: { S: 'gave-up' },
      at: { S: '2026-01-02T10:00:00.000Z' },
      reason: { S: 'email: sns: the topic does not exist (NotFound)' },
      fix: { S: 'Run cdk deploy.' },
    };
    expect(await new DynamoDeliveryLedger(answer(gaveUp), 't', { now: () => now }).claim('i', 'email')).toEqual({
      status: 'handled',
      outcome: 'gave-up',
      refusal: { reason: 'email: sns: the topic does not exist (NotFound)', fix: 'Run cdk deploy.', atMs: Date.UTC(2026, 0, 2, 10) },
    });
    // A give-up recorded without its reason is still handled; there is just nothing to report.
    expect(await new DynamoDeliveryLedger(answer({ status: { S: 'gave-up' } }), 't', { now: () => now }).claim('i', 'email')).toEqual({
      status: 'handled',
      outcome: 'gave-up',
      refusal: null,
    });
    expect(
      await new DynamoDeliveryLedger(answer({ status: { S: 'sending' }, leaseUntil: { N: String(now + 25_000) } }), 't', { now: () => now }).claim(
        'i',
        'email',
      ),
    ).toEqual({
      status: 'in-flight',
      retryAfterMs: 25_000,
    });
  });

  describe('a DynamoDB endpoint that accepts connections and never answers', () => {
    awsAgainstBlackHole({ beforeAll, afterAll });

    it('ends every ledger call within its deadline, as a typed error, instead of hanging', async () => {
      const ledger = new DynamoDeliveryLedger(dynamoDbCall(new DynamoDBClient(awsClientOptions(300))), 't', { deadlineMs: 1_000 });
      const started = Date.now();
      await expect(ledger.claim('i', 'slack')).rejects.toMatchObject({ name: expect.stringMatching(/TimeoutError|AbortError/) });
      expect(Date.now() - started).toBeLessThan(1_500);
    });
  });
});
