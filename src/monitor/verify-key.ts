/**
 * A verification of one key outside the schedule, asked for by the bot's own log line or a nudge:
 * every probe for that key from the monitor's egress, then the key's own step of the incident rules
 * (a partial run: its state, its run-record entry, nothing of the other keys or the monitor). The log
 * line is a trigger, never evidence: an incident opens only on the monitor's own answer, and its
 * message says both. Over ports, no AWS import.
 */
import type { RunEntry } from './run-records.js';
import { keyDeadlineMs } from '../contract/defaults.js';
import { TRIGGER_DEBOUNCE_MS } from '../contract/trigger.js';
import type { Notification } from '../contract/notification.js';
import { cachedSecretRedactor } from '../exchange/text-safety.js';
import { checkKeys, type KeyOutcome, type SecretSnapshot, type SecretSource } from './check-run.js';
import { exposurePlanOf, logOutcome, RUN_MARGIN_MS, verdictOf, withdrawPlanOf, type RunLog } from './check-all-keys.js';
import type { KeyVerdict } from '../contract/deployment-check.js';
import type { CheckTarget } from './checks.js';
import { EVERY_PROBE } from './cadence.js';
import type { MessageContext, TriggerNote } from './incident-messages.js';
import { decideVerification, eventLine, type IncidentPolicy } from './incident-rules.js';
import { boundedOutbox, exposureAfter, keyRun, runEntry, runRecord, sameState } from './incident-run.js';
import { NEW_KEY_STATE } from './incident-state.js';
import type { KeyVerificationLoad, NotificationSink, TriggerGate, VerificationStore } from './ports.js';
import { RUN_SHARD_SIZE } from './run-records.js';
import type { RuntimeConfig } from './runtime-config.js';
import { parseTrigger, TriggerInputError, type VerifyTrigger } from './verify-trigger.js';

export interface VerifyKeyDeps {
  readonly config: RuntimeConfig;
  /** The bot's log groups and the key each one uses. */
  readonly logGroups: ReadonlyMap<string, string>;
  readonly secrets: SecretSource;
  readonly target: CheckTarget;
  readonly now: () => number;
  readonly gate: TriggerGate;
  readonly store: VerificationStore;
  readonly sink: NotificationSink;
  readonly policy: IncidentPolicy;
  readonly messages: MessageContext;
  readonly log: RunLog;
}

export type VerifyResult =
  /** A CloudWatch Logs control message (sent when a subscription is created): nothing to check. */
  | { readonly status: 'ignored' }
  /** Input that names no monitored key: nothing checked. */
  | { readonly status: 'refused'; readonly error: string }
  /** Another verification of this key started within the debounce window. */
  | { readonly status: 'already-verifying'; readonly key: string }
  | (KeyVerdict & {
      readonly status: 'verified';
      /** Notification ids queued (none for a healthy key with nothing open, or when a run wrote first). */
      readonly notified: readonly string[];
      /** Why nothing was queued although the incident rules had something to say. */
      readonly note?: string;
    });

/**
 * A value after a credential's field name, whatever key it belongs to: a bot refused after a rotation
 * still logs the old key, which no redactor of the current one knows.
 */
const CREDENTIAL_FIELD = /((?:api[_-]?key|api[_-]?secret|secret|sig(?:nature)?|token|password|authorization)["']?\s*[=:]\s*["']?)[^\s"'&,;}]+/gi;

/**
 * The trigger as the alert shows it: the bot's words cleaned of the key's own credentials and of the
 * proxy token, or dropped when the credentials could not be read (a bot may log its key in full).
 */
function triggerNote(trigger: Exclude<VerifyTrigger, { kind: 'control' }>, secret: SecretSnapshot | undefined, sensitive: readonly string[]): TriggerNote {
  const creds = secret?.verdict.ok ? secret.verdict.credentials : null;
  const clean = (text: string) =>
    creds ? cachedSecretRedactor({ apiKey: creds.apiKey, secrets: [creds.apiSecret, ...sensitive] })(text.replace(CREDENTIAL_FIELD, '$1[redacted]')) : '';
  if (trigger.kind === 'nudge') return { kind: 'nudge', reason: trigger.reason === null ? null : clean(trigger.reason) || null };
  return { kind: 'log', logGroup: trigger.logGroup, at: trigger.at, excerpt: clean(trigger.excerpt) };
}

export async function verifyKey(deps: VerifyKeyDeps, event: unknown, remainingMs: number): Promise<VerifyResult> {
  const names = deps.config.keys.map((k) => k.name);
  let trigger: VerifyTrigger;
  try {
    trigger = parseTrigger(event, deps.logGroups, names);
  } catch (err) {
    if (!(err instanceof TriggerInputError)) throw err;
    deps.log.warn('verification refused: not a trigger for a monitored key', { problem: err.problem, error: err.message });
    return { status: 'refused', error: `${err.name}: ${err.message}` };
  }
  if (trigger.kind === 'control') return { status: 'ignored' };
  const index = names.indexOf(trigger.key);
  const key = deps.config.keys[index];
  if (!key) return { status: 'refused', error: 'TriggerInputError: the key is not a monitored key' };
  const started = deps.now();
  if (!(await deps.gate.claim(key.name, started, started + TRIGGER_DEBOUNCE_MS))) {
    deps.log.info('verification already under way for this key', { key: key.name, trigger: trigger.kind });
    return { status: 'already-verifying', key: key.name };
  }
  const shard = Math.floor(index / RUN_SHARD_SIZE);
  const loading = deps.store.loadKey(key.name, shard);
  // A store that cannot be read still gets the key checked (every probe, nothing carried); the answer is logged and returned.
  const known = loading.catch(() => null);
  let secret: SecretSnapshot | undefined;
  const secrets: SecretSource = {
    getMany: async (ids) => {
      const read = await deps.secrets.getMany(ids);
      secret = read.get(key.secretId);
      return read;
    },
  };
  const [outcome] = (await checkKeys({
    keys: [key],
    secrets,
    target: deps.target,
    now: deps.now,
    concurrency: 1,
    keyDeadlineMs: keyDeadlineMs(deps.config.timeoutMs),
    runDeadline: started + remainingMs - RUN_MARGIN_MS,
    withdrawPlan: async (k, keyId) => {
      const loaded = await known;
      return withdrawPlanOf(k.name, keyId, loaded?.key?.state ?? null, loaded?.run, deps.now());
    },
    // Every probe: a bot refused on an order is exactly when the spaced trade probe's last answer stops counting.
    probePlan: () => EVERY_PROBE,
    exposurePlan: async (_k, keyId) => exposurePlanOf((await known)?.run, keyId, deps.config.spacedProbeMs),
    onCrash: (k, err) => deps.log.error('key check crashed', { key: k.name, errorName: (err as Error | null)?.name }),
  })) as [KeyOutcome];
  const note = triggerNote(trigger, secret, deps.target.sensitive ?? []);
  deps.log.info('verification', { key: key.name, trigger: note });
  logOutcome(deps.log, outcome);
  return { ...(await record(deps, outcome, note, shard, loading)), status: 'verified' };
}

async function record(deps: VerifyKeyDeps, outcome: KeyOutcome, trigger: TriggerNote, shard: number, loading: Promise<KeyVerificationLoad>) {
  const now = deps.now();
  const name = outcome.key.name;
  const loaded = await loading.catch((err: unknown) => {
    deps.log.error('could not read the key’s incident state; nothing recorded', { key: name, errorName: (err as Error | null)?.name });
    return null;
  });
  const { report } = outcome;
  const verdict = verdictOf(outcome);
  if (!loaded) return { ...verdict, notified: [], note: 'the incident state could not be read; the next scheduled run records this key' };
  for (const { scope, problems } of loaded.unreadable) deps.log.warn(`state unreadable, rebuilt: ${scope}`, { scope, problems });
  const prior = loaded.key;
  const decision = decideVerification({
    now,
    policy: deps.policy,
    run: keyRun(outcome, deps.messages.expectedIps),
    keyState: prior?.state ?? NEW_KEY_STATE,
    monitor: loaded.monitor.state,
  });
  for (const e of decision.suppressed) deps.log.info('notification suppressed: alerts are muted', { suppressed: eventLine(e) });
  let fresh: Notification[] = [];
  if (decision.events.length > 0) {
    const { notificationFor, withAckLinks } = await import('./incident-messages.js');
    const messages: MessageContext = { ...(await withAckLinks(deps.messages, deps.log)), exposure: () => exposureAfter(loaded.run, outcome), trigger };
    fresh = decision.events.map((e) => notificationFor(e, now, messages));
  }
  const readVersion = prior?.state.version ?? 0;
  const next = { ...decision.keyState, version: readVersion + 1 };
  const all = [...(prior?.outbox ?? []), ...fresh];
  let notified: Notification[] = [];
  let note: string | undefined;
  const changed = all.length > 0 || !sameState(prior?.state, decision.keyState);
  if (changed) {
    const outbox = boundedOutbox(all);
    const saved = await deps.store.saveKey(name, readVersion, next, outbox).catch((err: unknown) => {
      deps.log.error('could not write the key’s incident state', { key: name, errorName: (err as Error | null)?.name });
      return null;
    });
    if (saved === null) {
      note = 'the incident state could not be written; the next scheduled run records this key and alerts';
    } else if (!saved) {
      // The scheduled run (or another verification) wrote the key first: its transitions stand.
      deps.log.warn('another run wrote first; its transitions stand', { conflicts: [name], count: 1 });
      note = 'a run recorded this key at the same moment; its notifications stand';
    } else if (outbox.length > 0) {
      try {
        await deps.sink.send(outbox);
        notified = outbox;
      } catch (err) {
        deps.log.error('could not enqueue notifications; they stay in the outbox for the next run', {
          count: outbox.length,
          errorName: (err as Error | null)?.name,
        });
        note = 'the notification queue did not take the alert; the next scheduled run sends it';
      }
      // Sent but not cleared: the next run sends it again, and the notifier delivers each id once per channel.
      if (notified.length > 0)
        await deps.store.clearOutbox({ key: name }, next.version).catch((err: unknown) => {
          deps.log.warn('could not clear the outbox; the next run sends it again (delivered once per channel)', {
            key: name,
            errorName: (err as Error | null)?.name,
          });
        });
    }
  }
  for (const n of notified) deps.log.info('notification queued', { id: n.id, kind: n.kind, subject: n.subject });
  await Promise.all([
    // A run that wrote the key's entry after this one's time has the newer word; the money watch's
    // balance stays the one the scheduled run compared with.
    deps.store.saveRunEntry(shard, name, (current) => {
      if (current && current.at > now) return null;
      const prior = current ?? loaded.run;
      return keepBalance(runEntry(prior, outcome, now, decision.countedOk), prior);
    }),
    deps.store.appendHistory(report.diagnosis !== 'OK' || changed ? [runRecord(outcome, now)] : []),
    deps.store.recordIncidents(decision.records),
  ]).catch((err: unknown) => deps.log.warn('could not write the run record or history', { key: name, errorName: (err as Error | null)?.name }));
  return { ...verdict, notified: notified.map((n) => n.id), ...(note ? { note } : {}) };
}

/**
 * A verification leaves the balance the money watch compares with as the scheduled run left it: taking
 * this check's balance as the new baseline would hide a drop from the next run's comparison.
 */
function keepBalance(entry: RunEntry, prior: RunEntry | undefined): RunEntry {
  const { balance: _seen, ...rest } = entry;
  return prior?.balance ? { ...rest, balance: prior.balance } : rest;
}
