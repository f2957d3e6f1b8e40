import type { ChannelName } from '../channels/channel.js';
import type { TimedReply } from '../exchange/client.js';
import type { SignableObject } from '../exchange/signing.js';
import type { Notification } from '../contract/notification.js';
import type { IncidentRecord, KeyState, MonitorState } from './incident-state.js';
import type { RunEntry, ShardToWrite } from './run-records.js';
import type { Credentials, Diagnosis, SecretFault } from './types.js';

/**
 * The named ports the monitor's use cases talk through. Adapters (the undici exchange client, the
 * AWS SDK stores) implement them; tests can implement them over loopback or in memory.
 */

/** The exchange as the checks see it. */
export interface ExchangePort {
  publicGet(method: string, query: Record<string, string>): Promise<TimedReply>;
  privatePost(method: string, params: SignableObject, credentials: Credentials): Promise<TimedReply>;
  /** A plain-text GET, for the IP echo. */
  getText(url: string): Promise<{ text: string | null; timed: TimedReply }>;
}

/** A stored state and the notifications it still owes (written with it, cleared once enqueued). */
export interface Stored<S> {
  readonly state: S;
  readonly outbox: readonly Notification[];
}

/** One run's outcome for one key, kept as history (and in the log line the check writes). */
export interface RunRecord {
  readonly key: string;
  readonly at: number;
  readonly diagnosis: Diagnosis;
  readonly code: number | null;
  readonly httpStatus: number | null;
  readonly latencyMs: number | null;
  readonly egressIp: string | null;
  readonly balances: number | null;
  readonly keyAgeDays: number | null;
}

/**
 * Where incident state lives between runs (DynamoDB in the Lambda, memory in tests). Every state
 * write is conditional on the version it was read at, so a retried or overlapping run cannot open
 * an incident twice or lose a transition: the loser's write is refused and it sends nothing.
 */
export interface LoadedStates {
  readonly keys: ReadonlyMap<string, Stored<KeyState>>;
  readonly monitor: Stored<MonitorState>;
  readonly retired: ReadonlyMap<string, Stored<KeyState>>;
  /** Each key's run record: when it was last checked, its day counts, its carried probe answers. */
  readonly runs: ReadonlyMap<string, RunEntry>;
  /** Whether the stored key list differs from `keys` (then it is saved after the run). */
  readonly keyListChanged: boolean;
  /**
   * Stored items that could not be read as they are (a hand edit, a truncated write): what was
   * unreadable in each. Their states come back rebuilt, at the item's own version, so this run's
   * write replaces them.
   */
  readonly unreadable?: readonly { readonly scope: string; readonly problems: readonly string[] }[];
}

export interface IncidentStore {
  /**
   * The states of `keys` and of the monitor, and `retired`: the states of keys the last run
   * monitored that are no longer configured (their open incidents must be closed, not forgotten).
   */
  load(keys: readonly string[]): Promise<LoadedStates>;
  /** Remember which keys this run monitored (what `status` lists, and what "retired" is judged against). */
  saveKeyList(keys: readonly string[]): Promise<void>;
  /** Write `state` (with version = read version + 1) and its outbox; false if the version moved. */
  saveKey(key: string, readVersion: number, state: KeyState, outbox: readonly Notification[]): Promise<boolean>;
  saveMonitor(readVersion: number, state: MonitorState, outbox: readonly Notification[]): Promise<boolean>;
  /** Drop delivered notifications from an outbox (only if the state is still at `version`). */
  clearOutbox(scope: { readonly key: string } | 'monitor', version: number): Promise<void>;
  /** Write the run's run-record shards; a shard a newer run already wrote is left as it is. */
  saveRuns(shards: readonly ShardToWrite[]): Promise<void>;
  appendHistory(records: readonly RunRecord[]): Promise<void>;
  recordIncidents(records: readonly IncidentRecord[]): Promise<void>;
}

/** What a verification of one key reads: its state, the monitor's (for mutes and a covering incident), its run record. */
export interface KeyVerificationLoad {
  readonly key: Stored<KeyState> | undefined;
  readonly monitor: Stored<MonitorState>;
  readonly run: RunEntry | undefined;
  readonly unreadable: readonly { readonly scope: string; readonly problems: readonly string[] }[];
}

/** The incident store as a verification of one key uses it: that key's items only, every write conditional. */
export interface VerificationStore extends Pick<IncidentStore, 'saveKey' | 'clearOutbox' | 'appendHistory' | 'recordIncidents'> {
  /** `shard`: the run-record shard the key belongs to in the configured key order. */
  loadKey(key: string, shard: number): Promise<KeyVerificationLoad>;
  /**
   * Put one key's entry into its run-record shard, leaving the others as the last run wrote them:
   * `build` makes it from the entry as stored at that moment (null: leave it).
   */
  saveRunEntry(shard: number, key: string, build: (current: RunEntry | undefined) => RunEntry | null): Promise<void>;
}

/** The notification queue (SQS): every notification takes this one path to the channels. */
export interface NotificationSink {
  send(notifications: readonly Notification[]): Promise<void>;
}

export type ChannelsSecretRead =
  /** `json` is undefined when no secret is configured: no HTTP channel, not an error. */
  { readonly ok: true; readonly json: string | undefined } | { readonly ok: false; readonly fault: SecretFault; readonly errorName: string };

/** The channels secret (tokens and webhook URLs) as the notifier reads it at send time. */
export interface ChannelsSecretSource {
  read(): Promise<ChannelsSecretRead>;
}

/** The notification queue's consumer side: hold a message back before it is delivered again. */
export interface MessageVisibility {
  /** `queueArn` is the record's eventSourceARN; resolves or throws (callers log and go on). */
  change(queueArn: string, receiptHandle: string, seconds: number): Promise<void>;
}

/** A channel's permanent refusal as recorded: its redacted reason, the fix, and when. */
export interface Refusal {
  readonly reason: string;
  /** Null for a refusal recorded without one. */
  readonly fix: string | null;
  readonly atMs: number;
}

export type LedgerClaim =
  /** This caller owns the delivery until it records or releases it (or the lease runs out). */
  | { readonly status: 'claimed'; readonly token: string }
  /** Already sent: nothing to do. */
  | { readonly status: 'handled'; readonly outcome: 'sent' }
  /** Already given up on, with the refusal as recorded (null when the record holds none). */
  | { readonly status: 'handled'; readonly outcome: 'gave-up'; readonly refusal: Refusal | null }
  /** Another handler holds a live claim; its lease ends in retryAfterMs. */
  | { readonly status: 'in-flight'; readonly retryAfterMs: number };

export type DeliveryVerdict = { readonly status: 'sent' } | { readonly status: 'gave-up'; readonly refusal: Refusal };

/** Which notification went out on which channel (adapter: DynamoDB, `DELIVERY#<id>` / `<channel>`). */
export interface DeliveryLedger {
  /** Take (id, channel) before sending. Of concurrent callers, exactly one gets `claimed`. */
  claim(id: string, channel: ChannelName): Promise<LedgerClaim>;
  /**
   * The verdict for a claim this caller holds; a later redelivery sees it as handled.
   * `claim-lost`: the lease ran out and another handler took the claim (trying again cannot help).
   * Throws when the store could not be written (worth another try).
   */
  record(id: string, channel: ChannelName, token: string, verdict: DeliveryVerdict): Promise<'recorded' | 'claim-lost'>;
  /** Give a claim back after a retryable failure, so the redelivery can send at once. */
  release(id: string, channel: ChannelName, token: string): Promise<void>;
}

/** A token read from its secret (the proxy token), or why it could not be: the fault (when Secrets Manager gave one) and a line naming it. */
export type SecretTextRead = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly fault: SecretFault | null; readonly detail: string };

/**
 * The debounce of triggered verifications: a claim succeeds for at most one caller per key until the
 * given time, whatever the number of callers or function instances (a conditional write, never memory).
 */
export interface TriggerGate {
  /** True when this caller holds the key's verification until `until`; false when another one does. */
  claim(key: string, now: number, until: number): Promise<boolean>;
}
