import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import type { Notification } from '../contract/notification.js';
import { deliveryPk, incidentSk, keyPk, MONITOR_PK, runShardSk, runSk, STATE_SK } from '../contract/store.js';
import { isJsonObject } from '../contract/json.js';
import { NEW_KEY_STATE, NEW_MONITOR_STATE, type IncidentRecord, type KeyState, type MonitorState } from '../monitor/incident-state.js';
import { readKeyNames, readKeyState, readMonitorState, readOutbox, type Rebuilt } from '../monitor/state-shape.js';
import type { IncidentStore, KeyVerificationLoad, LoadedStates, RunRecord, Stored, VerificationStore } from '../monitor/ports.js';
import { newestEntries, readsBackAsWritten, readShard, shardCount, type RunEntry, type RunShard, type ShardToWrite } from '../monitor/run-records.js';
import { packDoc, unpackDoc } from './packed-doc.js';
import { callWithDeadline, isConditionalCheckFailed } from './aws-calls.js';

/**
 * The incident store on DynamoDB (layout: contract/store.ts). States are JSON documents with a
 * top-level version for conditional writes; history and incident items carry a TTL.
 */
type Item = Record<string, AttributeValue>;

const KEYS_SK = 'KEYS';
const RECENT_SK = 'RECENT';
/** How many incidents `status` lists as "the last incidents". */
export const RECENT_INCIDENTS = 30;
const BATCH_GET = 100;
const BATCH_WRITE = 25;

const s = (v: string): AttributeValue => ({ S: v });
const n = (v: number): AttributeValue => ({ N: String(v) });

/** The version of an item whose version attribute is missing or not a usable number (and of one that says -1). */
const UNVERSIONED = -1;

/**
 * A state item's version as written with it: 0 for no item, UNVERSIONED for an item whose version
 * cannot be read. Every state write is conditional on exactly what was read (writeCondition).
 */
function versionOf(item: Item | undefined): number {
  if (!item) return 0;
  const raw = item['version']?.N;
  const v = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? v : UNVERSIONED;
}

/**
 * The condition that the item is still as it was read. Version 0 is "no item", or an item rebuilt
 * from an unreadable version; UNVERSIONED is "an item whose version is missing or not a number".
 */
function writeCondition(readVersion: number): Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const names = { '#v': 'version' };
  if (readVersion === UNVERSIONED) {
    return {
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#v) OR NOT attribute_type(#v, :num) OR #v = :v OR #v < :min OR #v > :max)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':num': s('N'), ':v': n(UNVERSIONED), ':min': n(-Number.MAX_SAFE_INTEGER), ':max': n(Number.MAX_SAFE_INTEGER) },
    };
  }
  if (readVersion === 0)
    return { ConditionExpression: 'attribute_not_exists(pk) OR #v = :v', ExpressionAttributeNames: names, ExpressionAttributeValues: { ':v': n(0) } };
  return { ConditionExpression: '#v = :v', ExpressionAttributeNames: names, ExpressionAttributeValues: { ':v': n(readVersion) } };
}

/** The `doc` attribute as JSON (a string, or packed: run records), or why it cannot be read. */
function docOf(item: Item | undefined): { doc: unknown } | { problem: string } {
  const attr = item?.['doc'];
  if (attr === undefined) return { problem: 'doc: missing' };
  if (attr.B !== undefined) {
    const text = unpackDoc(attr.B);
    if (text === null) return { problem: 'doc: not a packed document' };
    return parseDoc(text);
  }
  if (attr.S === undefined) return { problem: 'doc: not a string attribute' };
  return parseDoc(attr.S);
}

function parseDoc(text: string): { doc: unknown } | { problem: string } {
  try {
    return { doc: JSON.parse(text) as unknown };
  } catch {
    return { problem: 'doc: not JSON' };
  }
}

/**
 * A state item as the rules can use it. An unreadable document or field is rebuilt from the new
 * state (and named in `problems`), keeping the item's own version, so the run that rebuilds it writes
 * over exactly what it read instead of losing every conditional write to it.
 */
function readStored<S extends { version: number }>(
  item: Item,
  fresh: S,
  read: (doc: unknown, defaults: S) => Rebuilt<Omit<S, 'version'>>,
): { stored: Stored<S>; problems: string[] } {
  const version = versionOf(item);
  const problems: string[] = version === UNVERSIONED ? ['version: missing or not a number'] : [];
  const parsed = docOf(item);
  let state: Omit<S, 'version'>;
  if ('problem' in parsed) {
    problems.push(`${parsed.problem} (reset)`);
    const { version: _v, ...rest } = fresh;
    state = rest;
  } else {
    const rebuilt = read(parsed.doc, fresh);
    problems.push(...rebuilt.problems);
    state = rebuilt.value;
  }
  const outbox = readOutbox(item['outbox']?.S);
  problems.push(...outbox.problems);
  if (item['outbox'] !== undefined && item['outbox'].S === undefined) problems.push('outbox: not a string attribute (dropped)');
  return { stored: { state: { ...state, version } as S, outbox: outbox.value }, problems };
}

function docOrNull(item: Item | undefined): unknown {
  const parsed = docOf(item);
  return 'doc' in parsed ? parsed.doc : null;
}

function isRecentIncident(v: unknown): v is RecentIncident {
  return isJsonObject(v) && typeof v['id'] === 'string' && typeof v['openedAt'] === 'number' && typeof v['diagnosis'] === 'string' && isJsonObject(v['scope']);
}

export interface RecentIncident extends IncidentRecord {
  readonly key: string | null;
}

/** Key state reads a store remembers (a deployment checks at most a few thousand keys). */
const MAX_REMEMBERED_KEYS = 10_000;

export class DynamoIncidentStore implements IncidentStore, VerificationStore {
  private readonly writes = pLimit(25);
  /**
   * The run-record shards this store wrote and DynamoDB accepted, by index, when reading them back
   * would give exactly those entries (readsBackAsWritten). A warm function's next run finds its own
   * write there when the item still has that runAt and no `rev` (a verification adds one, a newer run
   * writes a newer runAt, and a write with the same runAt is refused): it takes the entries it wrote
   * instead of unpacking and parsing them again (~1.8 MB of JSON at 1,000 keys, and the garbage
   * collector's work of promoting what it builds). Any other item is read as stored.
   */
  private readonly ownShards = new Map<number, RunShard>();
  /**
   * Each key's state item as last read, by name: reading one is a pure function of its version, doc
   * and outbox, so an item unchanged since (a steady key: nearly all of them, every run) is not
   * parsed and rebuilt again, and the run keeps the objects it already has instead of promoting a
   * thousand new ones to the old generation.
   */
  private readonly keyReads = new Map<string, { version?: string; doc: string; outbox?: string; read: { stored: Stored<KeyState>; problems: string[] } }>();

  private readKeyItem(name: string, item: Item): { stored: Stored<KeyState>; problems: string[] } {
    const version = item['version']?.N;
    const doc = item['doc'];
    const outbox = item['outbox'];
    const plain = doc?.S !== undefined && doc.B === undefined && (outbox === undefined || outbox.S !== undefined);
    const last = plain ? this.keyReads.get(name) : undefined;
    if (last && last.version === version && last.doc === doc?.S && last.outbox === outbox?.S) return last.read;
    const read = readStored(item, NEW_KEY_STATE, readKeyState);
    if (plain) {
      if (this.keyReads.size >= MAX_REMEMBERED_KEYS) this.keyReads.clear();
      this.keyReads.set(name, {
        ...(version !== undefined ? { version } : {}),
        doc: doc.S as string,
        ...(outbox?.S !== undefined ? { outbox: outbox.S } : {}),
        read,
      });
    } else this.keyReads.delete(name);
    return read;
  }

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    private readonly historyDays: number,
    private readonly now: () => number = Date.now,
  ) {}

  private expiresAt(): number {
    return Math.floor(this.now() / 1000) + this.historyDays * 86_400;
  }

  private async getBatch(keys: { pk: string; sk: string }[]): Promise<Map<string, Item>> {
    const out = new Map<string, Item>();
    const chunks: { pk: string; sk: string }[][] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET) chunks.push(keys.slice(i, i + BATCH_GET));
    await Promise.all(
      chunks.map(async (chunk) => {
        let pending: Item[] = chunk.map((k) => ({ pk: s(k.pk), sk: s(k.sk) }));
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 4) throw new Error('DynamoDB left keys unprocessed after 5 attempts');
          const res = await callWithDeadline((abortSignal) =>
            this.db.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }), { abortSignal }),
          );
          for (const item of res.Responses?.[this.table] ?? []) out.set(`${item['pk']?.S}|${item['sk']?.S}`, item);
          pending = (res.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
          if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        }
      }),
    );
    return out;
  }

  async load(keys: readonly string[]): Promise<LoadedStates> {
    const shards = shardCount(keys.length);
    const items = await this.getBatch([
      { pk: MONITOR_PK, sk: STATE_SK },
      { pk: MONITOR_PK, sk: KEYS_SK },
      ...Array.from({ length: shards }, (_, i) => ({ pk: MONITOR_PK, sk: runShardSk(i) })),
      ...keys.map((k) => ({ pk: keyPk(k), sk: STATE_SK })),
    ]);
    const unreadable: { scope: string; problems: string[] }[] = [];
    const statesOf = (names: readonly string[], from: Map<string, Item>) => {
      const out = new Map<string, Stored<KeyState>>();
      for (const k of names) {
        const item = from.get(`${keyPk(k)}|${STATE_SK}`);
        if (!item) continue;
        const { stored, problems } = this.readKeyItem(k, item);
        out.set(k, stored);
        if (problems.length > 0) unreadable.push({ scope: `key ${k}`, problems });
      }
      return out;
    };
    const monitorItem = items.get(`${MONITOR_PK}|${STATE_SK}`);
    const monitor = monitorItem
      ? readStored(monitorItem, NEW_MONITOR_STATE, readMonitorState)
      : { stored: { state: NEW_MONITOR_STATE, outbox: [] }, problems: [] };
    if (monitor.problems.length > 0) unreadable.push({ scope: 'monitor', problems: monitor.problems });
    const keysItem = items.get(`${MONITOR_PK}|${KEYS_SK}`);
    const knownList = keysItem ? readKeyNames(docOrNull(keysItem)) : { value: [], problems: [] };
    // An unreadable list reads as empty: it differs from the configured one, so this run writes it anew.
    if (knownList.problems.length > 0) unreadable.push({ scope: 'key list', problems: [...knownList.problems] });
    const known = knownList.value;
    const keyListChanged = keys.length > 0 && (known.length !== keys.length || keys.some((k, i) => known[i] !== k));
    // A second read only when the configuration dropped keys (rare): their states, to close what they left open.
    const configured = new Set(keys);
    const gone = keyListChanged ? known.filter((k) => !configured.has(k)) : [];
    // After a shorter list, the shards past this run's count still hold the last entries of keys that moved.
    const olderShards = keyListChanged ? Array.from({ length: Math.max(0, shardCount(known.length) - shards) }, (_, i) => shards + i) : [];
    const more =
      gone.length + olderShards.length > 0
        ? await this.getBatch([...gone.map((k) => ({ pk: keyPk(k), sk: STATE_SK })), ...olderShards.map((i) => ({ pk: MONITOR_PK, sk: runShardSk(i) }))])
        : new Map<string, Item>();
    const retired = gone.length > 0 ? statesOf(gone, more) : new Map<string, Stored<KeyState>>();
    const runShards: RunShard[] = [];
    for (const i of [...Array.from({ length: shards }, (_, j) => j), ...olderShards]) {
      const item = (i < shards ? items : more).get(`${MONITOR_PK}|${runShardSk(i)}`);
      if (!item) continue;
      const own = this.ownShards.get(i);
      if (own && item['rev'] === undefined && item['runAt']?.N === String(own.runAt)) {
        runShards.push(own);
        continue;
      }
      const { shard, dropped } = readShard(docOrNull(item), i);
      if (!shard) unreadable.push({ scope: `run records ${i}`, problems: ['not a run-record item (rebuilt by this run)'] });
      else {
        runShards.push(shard);
        if (dropped > 0) unreadable.push({ scope: `run records ${i}`, problems: [`${dropped} entries not whole (dropped)`] });
      }
    }
    return { keys: statesOf(keys, items), monitor: monitor.stored, retired, runs: newestEntries(runShards), keyListChanged, unreadable };
  }

  async loadKey(key: string, shard: number): Promise<KeyVerificationLoad> {
    const items = await this.getBatch([
      { pk: MONITOR_PK, sk: STATE_SK },
      { pk: MONITOR_PK, sk: runShardSk(shard) },
      { pk: keyPk(key), sk: STATE_SK },
    ]);
    const unreadable: { scope: string; problems: string[] }[] = [];
    const keyItem = items.get(`${keyPk(key)}|${STATE_SK}`);
    const keyRead = keyItem ? readStored(keyItem, NEW_KEY_STATE, readKeyState) : null;
    if (keyRead && keyRead.problems.length > 0) unreadable.push({ scope: `key ${key}`, problems: keyRead.problems });
    const monitorItem = items.get(`${MONITOR_PK}|${STATE_SK}`);
    const monitor = monitorItem ? readStored(monitorItem, NEW_MONITOR_STATE, readMonitorState).stored : { state: NEW_MONITOR_STATE, outbox: [] };
    const shardItem = items.get(`${MONITOR_PK}|${runShardSk(shard)}`);
    const run = shardItem ? readShard(docOrNull(shardItem), shard).shard?.entries[key] : undefined;
    return { key: keyRead?.stored, monitor, run, unreadable };
  }

  /**
   * Read, change one entry, write back on condition that nothing else wrote the shard since: a run
   * rewrites it whole with a newer runAt (and no `rev`), a verification bumps `rev`. The entry is made
   * from the one just read, so a run's day counts and carried answers written meanwhile are kept; an
   * entry already newer than this one is left as it is. The shard keeps its runAt, so the next run's
   * write is never refused because of it.
   */
  async saveRunEntry(shard: number, key: string, build: (current: RunEntry | undefined) => RunEntry | null): Promise<void> {
    const Key = { pk: s(MONITOR_PK), sk: s(runShardSk(shard)) };
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await callWithDeadline((abortSignal) =>
        this.db.send(new GetItemCommand({ TableName: this.table, Key, ConsistentRead: true }), { abortSignal }),
      );
      const read = res.Item ? readShard(docOrNull(res.Item), shard).shard : null;
      const entry = build(read?.entries[key]);
      if (!entry) return;
      const runAt = read?.runAt ?? 0;
      const rawRunAt = res.Item?.['runAt'];
      const rev = Number(res.Item?.['rev']?.N ?? 0);
      const condition = !res.Item
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: `${rawRunAt === undefined ? 'attribute_not_exists(runAt)' : 'runAt = :runAt'} AND ${
              res.Item['rev'] === undefined ? 'attribute_not_exists(rev)' : 'rev = :rev'
            }`,
            ...(rawRunAt !== undefined || res.Item['rev'] !== undefined
              ? {
                  ExpressionAttributeValues: {
                    ...(rawRunAt !== undefined ? { ':runAt': rawRunAt } : {}),
                    ...(res.Item['rev'] !== undefined ? { ':rev': n(rev) } : {}),
                  },
                }
              : {}),
          };
      try {
        await callWithDeadline((abortSignal) =>
          this.db.send(
            new PutItemCommand({
              TableName: this.table,
              Item: { ...Key, runAt: n(runAt), rev: n(rev + 1), doc: { B: packDoc(JSON.stringify({ runAt, entries: { ...read?.entries, [key]: entry } })) } },
              ...condition,
            }),
            { abortSignal },
          ),
        );
        return;
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    }
    throw new Error('the run records kept changing under the verification');
  }

  async saveRuns(shards: readonly ShardToWrite[]): Promise<void> {
    await Promise.all(
      shards.map((shard) =>
        this.writes(async () => {
          // Forgotten until DynamoDB says it took this write: a write that failed or timed out may or may not have landed.
          this.ownShards.delete(shard.index);
          try {
            await callWithDeadline((abortSignal) =>
              this.db.send(
                new PutItemCommand({
                  TableName: this.table,
                  Item: {
                    pk: s(MONITOR_PK),
                    sk: s(runShardSk(shard.index)),
                    runAt: n(shard.runAt),
                    doc: { B: packDoc(shard.json) },
                  },
                  // An overlapping run that started earlier never replaces a newer run's records.
                  ConditionExpression: 'attribute_not_exists(pk) OR NOT attribute_type(runAt, :num) OR runAt < :at',
                  ExpressionAttributeValues: { ':at': n(shard.runAt), ':num': s('N') },
                }),
                { abortSignal },
              ),
            );
            const written = { index: shard.index, runAt: shard.runAt, entries: shard.entries };
            if (readsBackAsWritten(written)) this.ownShards.set(shard.index, written);
          } catch (err) {
            if (!isConditionalCheckFailed(err)) throw err;
          }
        }),
      ),
    );
  }

  async saveKeyList(keys: readonly string[]): Promise<void> {
    await callWithDeadline((abortSignal) =>
      this.db.send(new PutItemCommand({ TableName: this.table, Item: { pk: s(MONITOR_PK), sk: s(KEYS_SK), doc: s(JSON.stringify({ names: keys })) } }), {
        abortSignal,
      }),
    );
  }

  private async put(pk: string, readVersion: number, state: { version: number }, outbox: readonly Notification[]): Promise<boolean> {
    const { version, ...doc } = state;
    const item: Item = { pk: s(pk), sk: s(STATE_SK), version: n(version), doc: s(JSON.stringify(doc)) };
    if (outbox.length > 0) item['outbox'] = s(JSON.stringify(outbox));
    try {
      await callWithDeadline((abortSignal) =>
        this.db.send(new PutItemCommand({ TableName: this.table, Item: item, ...writeCondition(readVersion) }), { abortSignal }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  saveKey(key: string, readVersion: number, state: KeyState, outbox: readonly Notification[]): Promise<boolean> {
    return this.writes(() => this.put(keyPk(key), readVersion, state, outbox));
  }

  saveMonitor(readVersion: number, state: MonitorState, outbox: readonly Notification[]): Promise<boolean> {
    return this.put(MONITOR_PK, readVersion, state, outbox);
  }

  async clearOutbox(scope: { key: string } | 'monitor', version: number): Promise<void> {
    const pk = scope === 'monitor' ? MONITOR_PK : keyPk(scope.key);
    try {
      await this.writes(() =>
        callWithDeadline((abortSignal) =>
          this.db.send(
            new UpdateItemCommand({
              TableName: this.table,
              Key: { pk: s(pk), sk: s(STATE_SK) },
              UpdateExpression: 'REMOVE outbox',
              ConditionExpression: '#v = :v',
              ExpressionAttributeNames: { '#v': 'version' },
              ExpressionAttributeValues: { ':v': n(version) },
            }),
            { abortSignal },
          ),
        ),
      );
    } catch (err) {
      // A newer run owns the item now and carries its own outbox; ours was sent.
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  private async writeBatch(items: Item[]): Promise<void> {
    const chunks: Item[][] = [];
    for (let i = 0; i < items.length; i += BATCH_WRITE) chunks.push(items.slice(i, i + BATCH_WRITE));
    await Promise.all(
      chunks.map((chunk) =>
        this.writes(async () => {
          let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
          for (let attempt = 0; pending.length > 0; attempt++) {
            if (attempt > 4) throw new Error('DynamoDB left writes unprocessed after 5 attempts');
            const res = await callWithDeadline((abortSignal) =>
              this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }), { abortSignal }),
            );
            pending = (res.UnprocessedItems?.[this.table] as typeof pending | undefined) ?? [];
            if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
          }
        }),
      ),
    );
  }

  async appendHistory(records: readonly RunRecord[]): Promise<void> {
    const expiresAt = this.expiresAt();
    await this.writeBatch(records.map((r) => ({ pk: s(keyPk(r.key)), sk: s(runSk(r.at)), doc: s(JSON.stringify(r)), expiresAt: n(expiresAt) })));
  }

  async recordIncidents(records: readonly IncidentRecord[]): Promise<void> {
    if (records.length === 0) return;
    const expiresAt = this.expiresAt();
    const pk = (r: IncidentRecord) => (r.scope.type === 'key' ? keyPk(r.scope.key) : MONITOR_PK);
    await this.writeBatch(records.map((r) => ({ pk: s(pk(r)), sk: s(incidentSk(r.openedAt)), doc: s(JSON.stringify(r)), expiresAt: n(expiresAt) })));
    // The short list `status` shows as "the last incidents" (newest first, resolved ones replace their opening).
    const current = await this.recentIncidents();
    const fresh: RecentIncident[] = records.map((r) => ({ ...r, key: r.scope.type === 'key' ? r.scope.key : null }));
    const merged = [...fresh, ...current.filter((c) => !fresh.some((f) => f.id === c.id))].sort((a, b) => b.openedAt - a.openedAt).slice(0, RECENT_INCIDENTS);
    await callWithDeadline((abortSignal) =>
      this.db.send(
        new PutItemCommand({ TableName: this.table, Item: { pk: s(MONITOR_PK), sk: s(RECENT_SK), doc: s(JSON.stringify({ incidents: merged })) } }),
        { abortSignal },
      ),
    );
  }

  // Reads for `key-monitor status`.

  async recentIncidents(): Promise<RecentIncident[]> {
    const res = await callWithDeadline((abortSignal) =>
      this.db.send(new GetItemCommand({ TableName: this.table, Key: { pk: s(MONITOR_PK), sk: s(RECENT_SK) }, ConsistentRead: true }), { abortSignal }),
    );
    const doc = docOrNull(res.Item);
    // Entries that are not incidents are left out; the next recorded incident rewrites the list whole.
    return isJsonObject(doc) && Array.isArray(doc['incidents']) ? doc['incidents'].filter(isRecentIncident) : [];
  }

  /** What the notifier recorded per channel for one notification (the delivery ledger's items). */
  async deliveriesOf(notificationId: string): Promise<{ channel: string; status: string; reason: string | null }[]> {
    const res = await callWithDeadline((abortSignal) =>
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': s(deliveryPk(notificationId)) },
          ConsistentRead: true,
        }),
        { abortSignal },
      ),
    );
    return (res.Items ?? []).map((i) => ({ channel: i['sk']?.S ?? '?', status: i['status']?.S ?? '?', reason: i['reason']?.S ?? null }));
  }

  async knownKeys(): Promise<string[]> {
    const res = await callWithDeadline((abortSignal) =>
      this.db.send(new GetItemCommand({ TableName: this.table, Key: { pk: s(MONITOR_PK), sk: s(KEYS_SK) }, ConsistentRead: true }), { abortSignal }),
    );
    return readKeyNames(docOrNull(res.Item)).value;
  }

  /** Set or clear the mute, retrying over concurrent runs (the monitor item is version-locked). */
  async updateMonitor(change: (state: MonitorState) => MonitorState): Promise<MonitorState> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { monitor } = await this.load([]);
      const next = change(monitor.state);
      if (await this.saveMonitor(monitor.state.version, { ...next, version: monitor.state.version + 1 }, monitor.outbox)) return next;
    }
    throw new Error('the monitor state kept changing under us; try again');
  }
}
