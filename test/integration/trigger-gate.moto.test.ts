import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRIGGER_DEBOUNCE_MS } from '../../src/contract/trigger.js';
import { DynamoTriggerGate } from '../../src/aws/trigger-gate.js';
import { createStateTable, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

/** The debounce of triggered verifications, on DynamoDB (moto_server): one claim per key per minute. */
const skip = toolMissing('moto_server');
const TABLE = 'ekm-trigger-gate';

describe.skipIf(skip)('DynamoTriggerGate on moto', () => {
  let moto: Moto;
  let db: DynamoDBClient;
  beforeAll(async () => {
    moto = await startMoto();
    useEmulator(moto.endpoint);
    await createStateTable(TABLE);
    db = new DynamoDBClient({});
  }, 60_000);
  afterAll(async () => {
    db?.destroy();
    await moto?.stop();
  });

  it('grants one of 50 concurrent claims in the same minute, another after the minute, and keeps keys apart', async () => {
    const gate = new DynamoTriggerGate(db, TABLE);
    const t0 = Date.UTC(2026, 11, 5, 12, 3, 4);
    const claims = await Promise.all(Array.from({ length: 50 }, (_, i) => gate.claim('bot-main', t0 + i * 100, t0 + i * 100 + TRIGGER_DEBOUNCE_MS)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await gate.claim('bot-hedge', t0 + 5_000, t0 + 5_000 + TRIGGER_DEBOUNCE_MS)).toBe(true);
    expect(await gate.claim('bot-main', t0 + TRIGGER_DEBOUNCE_MS - 1, t0 + 2 * TRIGGER_DEBOUNCE_MS)).toBe(false);
    // The first claim's minute is over once `until` is behind `now`.
    const winner = claims.findIndex(Boolean);
    const after = t0 + winner * 100 + TRIGGER_DEBOUNCE_MS + 1;
    expect(await gate.claim('bot-main', after, after + TRIGGER_DEBOUNCE_MS)).toBe(true);
  });
});
