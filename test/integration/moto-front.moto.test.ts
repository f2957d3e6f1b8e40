import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, ListTablesCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createStateTable, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

/**
 * The tests' front to moto_server (test/support/moto.ts) passes DynamoDB calls one at a time, as
 * DynamoDB applies conditional writes atomically. A call the client gives up on must not hold the
 * queue: every later DynamoDB call of the file would time out behind it.
 */
const skip = toolMissing('moto_server');

describe.skipIf(skip)('the tests’ one-at-a-time DynamoDB front to moto_server', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
    useEmulator(moto.endpoint);
    await createStateTable('front');
  }, 60_000);
  afterAll(async () => moto?.stop());

  it('a DynamoDB call the client abandons does not block the DynamoDB calls after it', async () => {
    const filler = new DynamoDBClient({});
    // A table moto takes a moment to scan and answer (6 MB).
    for (let i = 0; i < 20; i++)
      await filler.send(new PutItemCommand({ TableName: 'front', Item: { pk: { S: 'p' }, sk: { S: String(i) }, v: { S: 'y'.repeat(300_000) } } }));
    filler.destroy();
    const impatient = new DynamoDBClient({ maxAttempts: 1 });
    await expect(impatient.send(new ScanCommand({ TableName: 'front' }), { abortSignal: AbortSignal.timeout(15) })).rejects.toThrow();
    impatient.destroy();
    const db = new DynamoDBClient({ maxAttempts: 1 });
    const answered = await db.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(5_000) }).then(
      () => true,
      () => false,
    );
    db.destroy();
    expect(answered, 'a later ListTables answered within 5 s').toBe(true);
  }, 30_000);

  it('passes answers through whole: status, error body, and a large item both ways', async () => {
    const db = new DynamoDBClient({ maxAttempts: 1 });
    const big = 'z'.repeat(390_000);
    await db.send(new PutItemCommand({ TableName: 'front', Item: { pk: { S: 'big' }, sk: { S: '1' }, v: { S: big } } }));
    const got = await db.send(new ScanCommand({ TableName: 'front', FilterExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'big' } } }));
    expect(got.Items?.[0]?.['v']?.S).toBe(big);
    await expect(db.send(new ScanCommand({ TableName: 'no-such-table' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    db.destroy();
  }, 30_000);
});
