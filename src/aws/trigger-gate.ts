import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STORE, TRIGGER_SK, keyPk } from '../contract/store.js';
import type { TriggerGate } from '../monitor/ports.js';
import { callWithDeadline, isConditionalCheckFailed } from './aws-calls.js';

/** One conditional PutItem per claim: concurrent verify functions agree through the table. */
export class DynamoTriggerGate implements TriggerGate {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async claim(key: string, now: number, until: number): Promise<boolean> {
    try {
      await callWithDeadline((abortSignal) =>
        this.db.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              [STORE.partitionKey]: { S: keyPk(key) },
              [STORE.sortKey]: { S: TRIGGER_SK },
              until: { N: String(until) },
              // Gone a day later: the item only matters for its minute.
              [STORE.ttlAttribute]: { N: String(Math.ceil(until / 1000) + 86_400) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #until < :now',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: { ':now': { N: String(now) } },
          }),
          { abortSignal },
        ),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}
