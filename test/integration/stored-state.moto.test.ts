import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import { DynamoIncidentStore } from '../../src/aws/incident-store.js';
import { unpackDoc } from '../../src/aws/packed-doc.js';
import { NEW_KEY_STATE, NEW_MONITOR_STATE } from '../../src/monitor/incident-state.js';
import { loadRuntimeConfig } from '../../src/monitor/runtime-config.js';
import { readKeyState, readMonitorState, readOutbox } from '../../src/monitor/state-shape.js';
import { startSandbox, type Behaviour, type Sandbox } from '../../src/sandbox/exchange.js';
import type { Credentials } from '../../src/monitor/types.js';
import { createStateTable, startMoto, toolMissing, useEmulator, type Moto } from '../support/moto.js';
import { emulatedCheckDeps, emulatedCheckRun } from '../support/emulated-check.js';
import { leakedRuns } from '../support/echo-shapes.js';

/**
 * What the check Lambda leaves in its store and its queue, and what it does with a store it cannot
 * read: the real handler, Secrets Manager, DynamoDB and SQS on moto_server, the exchange on the sandbox.
 */
const skip = toolMissing('moto_server');
const MIN = 60_000;
const TABLE = 'ekm-stored';

type Item = Record<string, AttributeValue>;

/** One corrupted KEY#<name>/STATE item per shape: what a hand edit, a bad restore or a truncated write can leave. */
const CORRUPT: readonly [string, Item][] = [
  ['doc-not-json', { version: { N: '3' }, doc: { S: 'not json {' } }],
  ['doc-truncated', { version: { N: '7' }, doc: { S: '{"consecutiveFailures":2,"days":{"2026-12-01":[3,' } }],
  ['doc-list', { version: { N: '2' }, doc: { S: '[1,2,3]' } }],
  ['doc-string', { version: { N: '2' }, doc: { S: '"consecutiveFailures"' } }],
  ['doc-null', { version: { N: '2' }, doc: { S: 'null' } }],
  ['doc-number', { version: { N: '2' }, doc: { S: '42' } }],
  ['fields-wrong-type', { version: { N: '4' }, doc: { S: '{"incident":"open","days":[1],"consecutiveFailures":"3","withdraw":{"at":"x"},"streak":-1}' } }],
  ['incident-half', { version: { N: '4' }, doc: { S: '{"incident":{"id":"key:x:1","diagnosis":"NOT_A_DIAGNOSIS"},"lastDiagnosis":"NOPE"}' } }],
  ['day-map-bad', { version: { N: '6' }, doc: { S: '{"days":{"2026-12-01":[1,"x"],"yesterday":[1,1]},"failingSince":"soon"}' } }],
  ['doc-missing', { version: { N: '5' } }],
  ['doc-number-attr', { version: { N: '5' }, doc: { N: '1' } }],
  ['version-missing', { doc: { S: '{}' } }],
  ['version-string', { version: { S: '3' }, doc: { S: '{}' } }],
  ['version-minus-one', { version: { N: '-1' }, doc: { S: 'garbage' } }],
  // Odd but readable: a number is a version, and the write is conditional on exactly that number.
  ['version-fraction', { version: { N: '2.5' }, doc: { S: '{}' } }],
  ['version-huge', { version: { N: '123456789012345678901234567890' }, doc: { S: '{}' } }],
  ['outbox-not-json', { version: { N: '1' }, doc: { S: '{}' }, outbox: { S: '[{' } }],
  ['outbox-object', { version: { N: '1' }, doc: { S: '{}' }, outbox: { S: '{"id":"x"}' } }],
  ['outbox-junk-entries', { version: { N: '1' }, doc: { S: '{}' }, outbox: { S: '[{"id":"x"},5,null]' } }],
  ['outbox-number-attr', { version: { N: '1' }, doc: { S: '{}' }, outbox: { N: '1' } }],
];

let moto: Moto;
let sandbox: Sandbox;
let sqs: SQSClient;
let db: DynamoDBClient;
const clock = { now: Date.UTC(2026, 11, 1, 10, 0, 0) };

beforeAll(async () => {
  if (skip) return;
  [moto, sandbox] = await Promise.all([startMoto(), startSandbox()]);
  useEmulator(moto.endpoint);
  sqs = new SQSClient({});
  db = new DynamoDBClient({});
});

afterAll(async () => {
  await Promise.all([moto?.stop(), sandbox?.close()]);
});

/** A deployment of the check Lambda with its own table and queue, one sandbox key per name. */
async function deploy(id: string, names: readonly (readonly [string, Behaviour])[]) {
  const sm = new SecretsManagerClient({});
  await createStateTable(id);
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: id }))).QueueUrl as string;
  const keys = new Map<string, Credentials>();
  const monitored: { name: string; secretId: string; expectTrade: boolean }[] = [];
  for (const [name, behaviour] of names) {
    const creds = sandbox.mint(behaviour);
    keys.set(name, creds);
    await sm.send(new CreateSecretCommand({ Name: `${id}/${name}`, SecretString: JSON.stringify(creds) }));
    monitored.push({ name, secretId: `${id}/${name}`, expectTrade: true });
  }
  sm.destroy();
  const env = {
    ...process.env,
    MONITORED_KEYS: JSON.stringify(monitored),
    EXCHANGE_BASE_URL: sandbox.baseUrl(),
    IP_ECHO_URL: sandbox.ipEchoUrl,
    EXPECTED_EGRESS_IP: '203.0.113.7',
    CHECK_TIMEOUT_MS: '2000',
  };
  const config = loadRuntimeConfig(env);
  const invoke = emulatedCheckRun(emulatedCheckDeps(config, () => clock.now, { table: id, queueUrl, sqs, source: 'StoredStateTest' }));
  /** Every message the runs enqueued since the last call, as the raw bodies and as notifications. */
  const drain = async (): Promise<{ raw: string; notifications: Notification[] }> => {
    let raw = '';
    const notifications: Notification[] = [];
    for (;;) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!out.Messages?.length) break;
      for (const m of out.Messages) {
        raw += m.Body ?? '';
        notifications.push(JSON.parse(m.Body ?? '{}') as Notification);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
    return { raw, notifications };
  };
  return { keys, invoke, drain };
}

const getItem = async (table: string, pk: string) =>
  (await db.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: 'STATE' } }, ConsistentRead: true }))).Item;
const messages = (docs: Record<string, unknown>[]) => docs.map((d) => String(d['message'] ?? ''));

describe.skipIf(skip)('a stored state the check Lambda cannot read', () => {
  let deployment: Awaited<ReturnType<typeof deploy>>;
  beforeAll(async () => {
    deployment = await deploy(
      TABLE,
      CORRUPT.map(([name]) => [name, 'ip-not-whitelisted'] as const),
    );
  });

  it('names an unreadable state item, rebuilds it over its own version, checks the key and opens its incident', async () => {
    const { invoke } = deployment;
    const drain = async () => (await deployment.drain()).notifications;
    for (const [name, attrs] of CORRUPT)
      await db.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `KEY#${name}` }, sk: { S: 'STATE' }, ...attrs } }));
    await db.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: 'MONITOR' }, sk: { S: 'STATE' }, version: { N: '9' }, doc: { S: '{"mute":{"until":"tomorrow"},"maintenance":[]}' } },
      }),
    );
    await db.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'MONITOR' }, sk: { S: 'KEYS' }, doc: { S: '{"names":"doc-not-json"}' } } }));
    // Run records: one not a record at all, and one whose entries are partly whole.
    await db.send(
      new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'MONITOR' }, sk: { S: 'RUNS#000' }, runAt: { N: '1' }, doc: { S: '{"runAt":"x"' } } }),
    );

    clock.now += 5 * MIN;
    const { docs } = await invoke();
    const lines = messages(docs);
    for (const [name] of CORRUPT) {
      if (name !== 'version-fraction') expect(lines, name).toContain(`state unreadable, rebuilt: key ${name}`);
      expect(docs.find((d) => d['key'] === name)?.['diagnosis'], name).toBe('IP_NOT_WHITELISTED');
    }
    expect(lines).toContain('state unreadable, rebuilt: monitor');
    expect(lines).toContain('state unreadable, rebuilt: key list');
    expect(lines).toContain('state unreadable, rebuilt: run records 0');
    expect(lines).not.toContain('another run wrote first; its transitions stand');
    // The rebuilt lines name what was unreadable, never the stored text itself.
    const rebuilt = docs.find((d) => d['message'] === 'state unreadable, rebuilt: key fields-wrong-type');
    expect(rebuilt?.['problems']).toEqual(
      expect.arrayContaining(['incident', 'consecutiveFailures', 'withdraw', 'streak'].map((f) => expect.stringMatching(new RegExp(`^${f}: `)))),
    );
    expect(JSON.stringify(rebuilt)).not.toContain('open"');

    // Each key is checked and its incident opens: a key verdict opens at once.
    const sent = await drain();
    const opened = new Set(sent.filter((n) => n.kind === 'opened' && n.scope.type === 'key').map((n) => (n.scope as { key: string }).key));
    expect([...opened].sort()).toEqual(CORRUPT.map(([name]) => name).sort());

    // Every item is whole afterwards: a numeric version, a state the rules can read without a problem.
    for (const [name] of CORRUPT) {
      const item = (await getItem(TABLE, `KEY#${name}`)) as Item;
      expect(Number.isFinite(Number(item['version']?.N)), name).toBe(true);
      const state = readKeyState(JSON.parse(item['doc']?.S ?? 'null'), NEW_KEY_STATE);
      expect(state.problems, name).toEqual([]);
      expect(state.value.incident?.diagnosis, name).toBe('IP_NOT_WHITELISTED');
      expect(readOutbox(item['outbox']?.S).problems, name).toEqual([]);
    }
    const monitor = (await getItem(TABLE, 'MONITOR')) as Item;
    expect(readMonitorState(JSON.parse(monitor['doc']?.S ?? 'null'), NEW_MONITOR_STATE).problems).toEqual([]);
    expect(monitor['version']?.N).toBe('10');

    // The next run reads everything as written: nothing to rebuild, no conflict, nothing new to say.
    clock.now += 5 * MIN;
    const again = await invoke();
    expect(messages(again.docs).filter((m) => m.startsWith('state unreadable') || m.startsWith('another run'))).toEqual([]);
    expect((await drain()).filter((n) => n.kind === 'opened')).toEqual([]);
  });

  it('a rebuilt write is still conditional: a run that read the item before another rebuilt it writes nothing', async () => {
    const store = new DynamoIncidentStore(new DynamoDBClient({}), TABLE, 30, () => clock.now);
    await db.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'KEY#race' }, sk: { S: 'STATE' }, doc: { S: 'garbage' } } }));
    const first = await store.load(['race']);
    const second = await store.load(['race']);
    const read = first.keys.get('race')?.state;
    expect(read?.version).toBe(second.keys.get('race')?.state.version);
    expect(await store.saveKey('race', read!.version, { ...read!, version: read!.version + 1 }, [])).toBe(true);
    expect(await store.saveKey('race', read!.version, { ...read!, version: read!.version + 1 }, [])).toBe(false);
    const versioned = await store.load(['race']);
    const state = versioned.keys.get('race')!.state;
    expect(versioned.unreadable).toEqual([]);
    expect(await store.saveKey('race', state.version, { ...state, version: state.version + 1 }, [])).toBe(true);
    expect(await store.saveKey('race', state.version, { ...state, version: state.version + 1 }, [])).toBe(false);
  });
});

describe.skipIf(skip)('an exchange that quotes key and secret fragments: the Lambda’s log, queue and store', () => {
  it('no run of 5 characters of the key or 8 of the secret in a log line, the queued notification or any stored item', async () => {
    const table = 'ekm-echo';
    const { keys, invoke, drain } = await deploy(table, [['echoed', 'echo-fragments']]);
    const { apiKey, apiSecret } = keys.get('echoed') as Credentials;
    clock.now += 5 * MIN;
    const run = await invoke();
    const line = run.docs.find((d) => d['key'] === 'echoed');
    expect(line?.['diagnosis']).toBe('ACCOUNT_SUSPENDED');
    const queued = await drain();
    expect(queued.notifications.map((n) => n.kind)).toEqual(['opened']);
    // Packed documents (the run records) are read as what they hold: gzip would hide a leak from the search.
    const items = (await db.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
    expect(items.some((i) => i['doc']?.B !== undefined)).toBe(true);
    const stored = JSON.stringify(items.map((i) => (i['doc']?.B ? { ...i, doc: { S: unpackDoc(i['doc'].B) } } : i)));
    for (const [where, text] of [
      ['log', run.raw],
      ['queue', queued.raw],
      ['store', stored],
    ] as const) {
      expect(leakedRuns(text, apiKey, 5), where).toEqual([]);
      expect(leakedRuns(text, apiSecret, 8), where).toEqual([]);
    }
    // The exchange's words stay, with the quoted credentials masked where they stood.
    expect(queued.raw).toContain('ACCOUNT_IS_SUSPENDED api_key=[redacted]');
    expect(stored).toContain('ACCOUNT_IS_SUSPENDED api_key=[redacted]');
  });
});

describe.skipIf(skip)('stored incident fields a hand edit or an older writer can leave wrong', () => {
  it('owed, recheck and confirmedAt of the wrong shape, or withdrawUnanswered:{}: each named and dropped, no run throws, and every key is judged', async () => {
    const table = 'ekm-fields';
    const { invoke, drain } = await deploy(table, [
      ['owed-number', 'ip-not-whitelisted'],
      ['owed-string', 'healthy'],
      ['recheck-bad', 'healthy'],
      ['withdraw-stuck', 'withdraw-enabled'],
      ['bystander', 'ip-not-whitelisted'],
    ]);
    const incident = (diagnosis: string) => ({
      id: `key:x:${diagnosis}`,
      openedAt: clock.now - 60 * MIN,
      since: clock.now - 60 * MIN,
      diagnosis,
      transitions: 1,
      lastNotifiedAt: clock.now - MIN,
      failedRuns: 3,
      duringMaintenance: false,
    });
    const put = (name: string, doc: unknown) =>
      db.send(
        new PutItemCommand({ TableName: table, Item: { pk: { S: `KEY#${name}` }, sk: { S: 'STATE' }, version: { N: '3' }, doc: { S: JSON.stringify(doc) } } }),
      );
    await put('owed-number', { incident: { ...incident('IP_NOT_WHITELISTED'), owed: 5 }, lastDiagnosis: 'IP_NOT_WHITELISTED' });
    await put('owed-string', { incident: { ...incident('TRADE_PERMISSION_MISSING'), owed: 'xyz' }, lastDiagnosis: 'TRADE_PERMISSION_MISSING' });
    await put('recheck-bad', {
      incident: { ...incident('ACCOUNT_SUSPENDED'), recheck: { since: 'yesterday' }, confirmedAt: 'now' },
      lastDiagnosis: 'ACCOUNT_SUSPENDED',
    });
    await put('withdraw-stuck', { withdraw: { at: clock.now - 60 * MIN, allowed: false }, withdrawUnanswered: {}, lastDiagnosis: 'OK' });

    clock.now += 5 * MIN;
    const first = await invoke();
    const rebuilt = first.docs.filter((d) => String(d['message']).startsWith('state unreadable, rebuilt: key '));
    expect(Object.fromEntries(rebuilt.map((d) => [String(d['message']).slice('state unreadable, rebuilt: key '.length), d['problems']]))).toEqual({
      'owed-number': [expect.stringMatching(/^incident\.owed: /)],
      'owed-string': [expect.stringMatching(/^incident\.owed: /)],
      'recheck-bad': expect.arrayContaining([expect.stringMatching(/^incident\.recheck: /), expect.stringMatching(/^incident\.confirmedAt: /)]),
      'withdraw-stuck': [expect.stringMatching(/^withdrawUnanswered: /)],
    });
    for (let i = 0; i < 2; i++) {
      clock.now += 5 * MIN;
      await invoke();
    }
    const sent = (await drain()).notifications.map((n) => `${n.kind} ${(n.scope as { key?: string }).key}`);
    // The healthy keys' incidents end on their own healthy answers; the failing keys' stay or open.
    expect(sent).toEqual(expect.arrayContaining(['resolved owed-string', 'resolved recheck-bad', 'opened withdraw-stuck', 'opened bystander']));
    expect(sent.filter((s) => s.endsWith('owed-number'))).toEqual([]);
  });
});

describe.skipIf(skip)('run records stored packed', () => {
  const shardItem = async (table: string) =>
    (await db.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'MONITOR' }, sk: { S: 'RUNS#000' } }, ConsistentRead: true }))).Item;

  it('are written as gzip in a binary attribute, and an older run record written as a JSON string is read and carried on', async () => {
    const table = 'ekm-packed';
    const { invoke } = await deploy(table, [['packed', 'healthy']]);
    // A run record as the release before packing wrote it: uptime counted on an earlier day.
    const earlier = new Date(clock.now - 2 * 86_400_000).toISOString().slice(0, 10);
    const older = { runAt: clock.now - 5 * MIN, entries: { packed: { at: clock.now - 5 * MIN, diagnosis: 'OK', days: { [earlier]: [7, 6] } } } };
    await db.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'MONITOR' }, sk: { S: 'RUNS#000' }, runAt: { N: String(older.runAt) }, doc: { S: JSON.stringify(older) } },
      }),
    );
    clock.now += 5 * MIN;
    const run = await invoke();
    expect(messages(run.docs).filter((m) => m.startsWith('state unreadable'))).toEqual([]);
    const item = await shardItem(table);
    expect(item?.['doc']?.S).toBeUndefined();
    const doc = JSON.parse(unpackDoc(item?.['doc']?.B ?? new Uint8Array()) ?? 'null') as { entries: Record<string, { days: Record<string, number[]> }> };
    // The older record's day is kept beside today's: it was read, not rebuilt.
    expect(doc.entries['packed']?.days[earlier]).toEqual([7, 6]);
    expect(Object.keys(doc.entries['packed']?.days ?? {})).toHaveLength(2);
  });

  it('a packed run record that is not gzip, or unpacks past any document written, is named and rebuilt; the key is still checked', async () => {
    const table = 'ekm-packed-bad';
    const { invoke } = await deploy(table, [['packed-bad', 'healthy']]);
    for (const bad of [new TextEncoder().encode('{"runAt":1,"entries":{}}'), gzipSync(' '.repeat(5 * 1024 * 1024))]) {
      await db.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'MONITOR' }, sk: { S: 'RUNS#000' }, runAt: { N: '1' }, doc: { B: bad } } }));
      clock.now += 5 * MIN;
      const run = await invoke();
      expect(run.docs.find((d) => d['key'] === 'packed-bad')?.['diagnosis']).toBe('OK');
      expect(messages(run.docs)).toContain('state unreadable, rebuilt: run records 0');
      const rebuilt = JSON.parse(unpackDoc((await shardItem(table))?.['doc']?.B ?? new Uint8Array()) ?? 'null') as { entries: object };
      expect(Object.keys(rebuilt.entries)).toEqual(['packed-bad']);
    }
  });
});
