import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import * as packed from '../../src/aws/packed-doc.js';
import { MONITOR_PK, runShardSk } from '../../src/contract/store.js';
import { describeReply, parseReply } from '../../src/exchange/reply.js';
import { balanceSummaryOf } from '../../src/monitor/balance-summary.js';
import { shardsOf, type RunEntry } from '../../src/monitor/run-records.js';
import { fundsFinding } from '../../src/monitor/security-findings.js';
import { NEW_KEY_STATE } from '../../src/monitor/incident-state.js';
import { createStateTable, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';

// Counts the unpacking of stored run records, and does it as the store would.
vi.mock('../../src/aws/packed-doc.js', async (actual) => {
  const real = await actual<typeof import('../../src/aws/packed-doc.js')>();
  return { ...real, unpackDoc: vi.fn(real.unpackDoc) };
});

/**
 * A warm check function's store takes the run records it wrote itself from memory, and reads
 * whatever anyone else wrote since: a verification between runs, another run, a write it was refused.
 */
const skip = toolMissing('moto_server');
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 5, 9, 0, 0);
const NAMES = ['alpha', 'beta'];

let moto: Moto;
let db: DynamoDBClient;
let table = 0;

const entry = (at: number, runs: number): RunEntry => ({ at, diagnosis: 'OK', days: { '2026-12-05': [runs, runs] } });
const entriesAt = (at: number, runs: number) => new Map(NAMES.map((n) => [n, entry(at, runs)]));
const unpacked = () => vi.mocked(packed.unpackDoc).mock.calls.length;

beforeAll(async () => {
  if (skip) return;
  moto = await startMoto();
  useEmulator(moto.endpoint);
  db = new DynamoDBClient({});
});
afterAll(async () => {
  db?.destroy();
  await moto?.stop();
});
beforeEach(() => vi.mocked(packed.unpackDoc).mockClear());

async function freshTable(): Promise<string> {
  const name = `ekm-memo-${++table}`;
  await createStateTable(name);
  return name;
}

describe.skipIf(skip)('run records a warm store wrote itself', () => {
  it('are taken from memory on the next load, with the entries it wrote', async () => {
    const name = await freshTable();
    const store = new DynamoIncidentStore(db, name, 30);
    await store.saveRuns(shardsOf(NAMES, entriesAt(T0, 3), T0));
    const loaded = await store.load(NAMES);
    expect(loaded.runs.get('alpha')).toEqual(entry(T0, 3));
    expect(loaded.unreadable).toEqual([]);
    expect(unpacked()).toBe(0);
    // Another store on the same table (a cold function) reads the same entries from the item.
    const cold = await new DynamoIncidentStore(db, name, 30).load(NAMES);
    expect(cold.runs).toEqual(loaded.runs);
    expect(unpacked()).toBe(1);
  });

  it('a verification that changed an entry between runs is read from the item', async () => {
    const name = await freshTable();
    const store = new DynamoIncidentStore(db, name, 30);
    await store.saveRuns(shardsOf(NAMES, entriesAt(T0, 3), T0));
    const verified = { ...entry(T0 + 2 * MIN, 4), diagnosis: 'AUTH_FAILED' as const };
    await new DynamoIncidentStore(db, name, 30).saveRunEntry(0, 'beta', () => verified);
    const loaded = await store.load(NAMES);
    expect(loaded.runs.get('beta')).toEqual(verified);
    expect(loaded.runs.get('alpha')).toEqual(entry(T0, 3));
    expect(unpacked()).toBeGreaterThan(0);
  });

  it('a newer run written by another function is read from the item', async () => {
    const name = await freshTable();
    const store = new DynamoIncidentStore(db, name, 30);
    await store.saveRuns(shardsOf(NAMES, entriesAt(T0, 3), T0));
    await new DynamoIncidentStore(db, name, 30).saveRuns(shardsOf(NAMES, entriesAt(T0 + 5 * MIN, 4), T0 + 5 * MIN));
    expect((await store.load(NAMES)).runs.get('alpha')).toEqual(entry(T0 + 5 * MIN, 4));
  });

  it('a write refused because another run got there first is not remembered, even one started in the same millisecond', async () => {
    const name = await freshTable();
    const store = new DynamoIncidentStore(db, name, 30);
    await new DynamoIncidentStore(db, name, 30).saveRuns(shardsOf(NAMES, entriesAt(T0, 9), T0));
    // Same runAt: refused (only a newer run replaces a shard), so its entries must not stand in for the item's.
    await store.saveRuns(shardsOf(NAMES, entriesAt(T0, 4), T0));
    expect((await store.load(NAMES)).runs.get('alpha')).toEqual(entry(T0, 9));
    await store.saveRuns(shardsOf(NAMES, entriesAt(T0 - 5 * MIN, 2), T0 - 5 * MIN));
    expect((await store.load(NAMES)).runs.get('alpha')).toEqual(entry(T0, 9));
  });

  it('an item replaced by hand with another document is read from the item', async () => {
    const name = await freshTable();
    const store = new DynamoIncidentStore(db, name, 30);
    await store.saveRuns(shardsOf(NAMES, entriesAt(T0, 3), T0));
    const restored = { runAt: T0 - 60 * MIN, entries: { alpha: entry(T0 - 60 * MIN, 1) } };
    await db.send(
      new PutItemCommand({
        TableName: name,
        Item: { pk: { S: MONITOR_PK }, sk: { S: runShardSk(0) }, runAt: { N: String(restored.runAt) }, doc: { S: JSON.stringify(restored) } },
      }),
    );
    const loaded = await store.load(NAMES);
    expect(loaded.runs.get('alpha')).toEqual(entry(T0 - 60 * MIN, 1));
    expect(loaded.runs.has('beta')).toBe(false);
  });
});

describe.skipIf(skip)('a warm and a cold function read the same run records', () => {
  async function warmAndCold(entry: RunEntry) {
    const name = await freshTable();
    const warm = new DynamoIncidentStore(db, name, 30);
    await warm.saveRuns(shardsOf(['alpha'], new Map([['alpha', entry]]), T0));
    return { fromMemory: await warm.load(['alpha']), fromItem: await new DynamoIncidentStore(db, name, 30).load(['alpha']) };
  }
  const base: RunEntry = { at: T0, diagnosis: 'OK', days: { '2026-12-05': [1, 1] }, keyId: 'k1', withdrawals: { since: T0 - 3_600_000, ids: [] } };

  it('an entry the reader would drop (an "incomplete" text past its limit) is dropped by both', async () => {
    const page = '<html><head><title>Access denied | api.crypto.com used Cloudflare to restrict access</title></head></html>';
    const seen = describeReply(parseReply(403, page, null));
    const unread = [`open orders: ${seen}`, `positions: ${seen}`].join('; ');
    const exposure = {
      at: T0,
      sig: 'BTC:1|pc=5|om=0',
      orders: { count: 0, buyNotional: 0, sellNotional: 0, top: [] },
      positions: { count: 0, top: [] },
      unread,
    };
    const { fromMemory, fromItem } = await warmAndCold({ ...base, exposure });
    expect({ entry: fromMemory.runs.get('alpha'), unreadable: fromMemory.unreadable }).toEqual({
      entry: fromItem.runs.get('alpha'),
      unreadable: fromItem.unreadable,
    });
  });

  it('a number JSON cannot hold reads as JSON stores it, and the money watch reaches the same verdict from both', async () => {
    const answer = (extra: object[]) => [{ position_balances: [...extra, { instrument_name: 'USD', quantity: '5000', market_value: '5000' }] }];
    const summary = balanceSummaryOf(answer([{ instrument_name: 'DUST', quantity: '1e-320', market_value: '1' }]));
    const infinite = { ...summary, assets: summary.assets.map((a) => (a.asset === 'DUST' ? { ...a, price: Infinity } : a)) };
    const { fromMemory, fromItem } = await warmAndCold({ ...base, balance: { at: T0, ...infinite } });
    expect(fromMemory.runs.get('alpha')?.balance).toEqual(fromItem.runs.get('alpha')?.balance);
    const next = { at: T0 + 300_000, ...balanceSummaryOf(answer([])) };
    const settings = { fundsDropPercent: 25, assetVanishedUsd: 1000 };
    const verdict = (b: RunEntry['balance']) => (b ? (fundsFinding(b, next, settings)?.detail ?? null) : 'no baseline');
    expect(verdict(fromMemory.runs.get('alpha')?.balance)).toEqual(verdict(fromItem.runs.get('alpha')?.balance));
  });
});

describe.skipIf(skip)('key states a warm store read before', () => {
  it('an unchanged item is not read again; one anybody wrote since is', async () => {
    const name = await freshTable();
    const other = new DynamoIncidentStore(db, name, 30);
    expect(await other.saveKey('alpha', 0, { ...NEW_KEY_STATE, lastDiagnosis: 'OK', version: 1 }, [])).toBe(true);
    expect(await other.saveKey('beta', 0, { ...NEW_KEY_STATE, lastDiagnosis: 'OK', version: 1 }, [])).toBe(true);
    const store = new DynamoIncidentStore(db, name, 30);
    const first = await store.load(NAMES);
    const second = await store.load(NAMES);
    // The same objects: nothing parsed or rebuilt for an item that did not change.
    expect(second.keys.get('alpha')).toBe(first.keys.get('alpha'));
    expect(second.keys.get('alpha')?.state.version).toBe(1);
    // Another writer (an acknowledgement, a verification) moves beta on: read as it is now.
    expect(await other.saveKey('beta', 1, { ...NEW_KEY_STATE, lastDiagnosis: 'AUTH_FAILED', consecutiveFailures: 1, version: 2 }, [])).toBe(true);
    const third = await store.load(NAMES);
    expect(third.keys.get('beta')?.state).toMatchObject({ version: 2, lastDiagnosis: 'AUTH_FAILED', consecutiveFailures: 1 });
    expect(third.keys.get('alpha')).toBe(first.keys.get('alpha'));
  });
});
