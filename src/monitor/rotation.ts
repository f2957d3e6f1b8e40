import { NOTIFICATION_SCHEMA_VERSION, type Notification, type NotificationLink } from '../contract/notification.js';
import { runChecks, type CheckTarget } from './checks.js';
import { parseSecretString } from './credentials.js';
import { DIAGNOSIS_TABLE } from './diagnosis-table.js';
import { reportFacts } from './report-facts.js';
import {
  currentSinceStart,
  currentVersionId,
  findStagedKey,
  gateStep,
  keyChange,
  PENDING,
  ROTATION_STOP_TITLES,
  STAGED,
  STARTED_FROM,
  stagedVersionId,
  startedFromVersionId,
  type KeyChange,
  type RotationVerdict,
  type VersionInfo,
} from './rotation-rules.js';
import { keyForSecret, type MonitoredKey } from './runtime-config.js';
import type { Report } from './types.js';

/**
 * Secrets Manager rotation for exchange keys: stage → validate from the fixed egress IP → promote.
 * Every step is idempotent (Secrets Manager retries them, and may run one twice): a step that finds
 * its work done does nothing. finishSecret validates the exact version it is about to make
 * AWSCURRENT, at that moment, before it moves the label, and moves it only from the version the
 * rotation started from: a key a human (or another rotation) put live meanwhile stands.
 */
export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

/** One secret's versions, as the rotation needs them. */
export interface SecretVersionStore {
  /** Every version with its stages; creation dates at least for AWSCURRENT, the staged version and `token`. */
  versions(token?: string): Promise<VersionInfo[]>;
  /** A version's value; null when that version holds no value (rotate-secret made it empty). */
  valueOf(versionId: string): Promise<string | undefined | null>;
  putPending(secretString: string, token: string): Promise<void>;
  /**
   * Move AWSCURRENT; Secrets Manager labels the version it leaves AWSPREVIOUS (the backup). It refuses
   * the move when AWSCURRENT is no longer on `fromVersionId`.
   */
  moveCurrent(token: string, fromVersionId: string | undefined): Promise<void>;
  /** Put a label of the rotation's own on a version, taking it off `fromVersionId` (records only: never decides what is live). */
  moveStage(stage: string, toVersionId: string, fromVersionId: string | undefined): Promise<void>;
  /** Take a label off a version (clean-up only: never decides what is live). */
  removeStage(stage: string, versionId: string): Promise<void>;
  /** Leave the verdict where `key-monitor rotate` can read it (a tag on the secret). */
  recordVerdict(verdict: RotationVerdict): Promise<void>;
}

export interface NotifierPort {
  send(notification: Notification): Promise<void>;
}

export interface RotationDeps {
  readonly keys: readonly MonitoredKey[];
  readonly target: CheckTarget;
  readonly store: (secretId: string) => SecretVersionStore;
  readonly notifier: NotifierPort;
  /** The deployment's name, for the notifications. */
  readonly source: string;
  readonly links: readonly NotificationLink[];
  readonly now: () => number;
  /** Logs what went wrong around the rotation (never a secret); the step outcome is unaffected. */
  readonly warn: (message: string, fields: Record<string, unknown>) => void;
}

export type RotationFailure =
  'NOTHING_STAGED' | 'STALE_STAGED' | 'REFUSED' | 'NOT_MONITORED' | 'NOT_PENDING' | 'CURRENT_UNKNOWN' | 'SAME_KEY' | 'CURRENT_MOVED' | 'START_UNKNOWN';

/** Why a rotation stopped. The message is the operator's next step; it never holds a secret. */
export class RotationError extends Error {
  override readonly name = 'RotationError';
  constructor(
    readonly reason: RotationFailure,
    message: string,
    readonly report?: Report,
  ) {
    super(message);
  }
}

/**
 * Stops already reported with their fix (a refused, missing, stale or already-live key, a current key
 * moved meanwhile), and Secrets Manager's retries of a rotation that was refused (its version lost
 * AWSPENDING). They are counted apart, so the failed-rotation alarm fires only for the others.
 */
const REPORTED_STOPS: ReadonlySet<RotationFailure> = new Set([
  'REFUSED',
  'NOTHING_STAGED',
  'STALE_STAGED',
  'CURRENT_UNKNOWN',
  'NOT_PENDING',
  'SAME_KEY',
  'CURRENT_MOVED',
  'START_UNKNOWN',
]);

/** Whether a rotation step's error is a stop the operator was already told about (counted as refused, not failed). */
export function isReportedStop(err: unknown): boolean {
  return err instanceof RotationError && REPORTED_STOPS.has(err.reason);
}

const stageHelp = (secretId: string) =>
  `Stage the new key first: key-monitor rotate --secret-id ${secretId} --file new-key.json (or aws secretsmanager put-secret-value ` +
  `--secret-id ${secretId} --secret-string file://new-key.json --version-stages ${STAGED}, then aws secretsmanager rotate-secret --secret-id ${secretId}).`;

function notification(
  deps: RotationDeps,
  key: MonitoredKey,
  fields: Pick<Notification, 'id' | 'kind' | 'severity' | 'subject' | 'summary' | 'fix' | 'facts'>,
): Notification {
  return {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    ...fields,
    links: deps.links,
    scope: { type: 'key', key: key.name },
    occurredAt: new Date(deps.now()).toISOString(),
    source: deps.source,
  };
}

async function tell(deps: RotationDeps, n: Notification): Promise<void> {
  try {
    await deps.notifier.send(n);
  } catch (err) {
    // A failed notification must not turn a good rotation into a failed one, nor a refusal into a promotion.
    deps.warn('could not send the rotation notification', { id: n.id, errorName: (err as Error | null)?.name });
  }
}

async function record(deps: RotationDeps, store: SecretVersionStore, verdict: RotationVerdict): Promise<void> {
  try {
    await store.recordVerdict(verdict);
  } catch (err) {
    deps.warn('could not tag the secret with the rotation verdict', { outcome: verdict.outcome, errorName: (err as Error | null)?.name });
  }
}

/**
 * A refused rotation leaves AWSPENDING on a version that is not current, and RotateSecret will not
 * start again until it is gone. Taking it off makes any retried step of this rotation stop at the
 * gate (not-pending): it never promotes anything.
 */
async function clearPending(deps: RotationDeps, store: SecretVersionStore, token: string): Promise<void> {
  try {
    await store.removeStage(PENDING, token);
  } catch (err) {
    // Not attached (createSecret refused before writing; Secrets Manager took it off), or denied: `key-monitor rotate` clears it next time.
    deps.warn('could not take AWSPENDING off the rotation’s version', { errorName: (err as Error | null)?.name });
  }
}

/** Take the rotation's record of where it started off its version (clean-up: a stale one is replaced when the next rotation starts). */
async function forgetStart(deps: RotationDeps, store: SecretVersionStore, versions: readonly VersionInfo[]): Promise<void> {
  const from = startedFromVersionId(versions);
  if (!from) return;
  try {
    await store.removeStage(STARTED_FROM, from);
  } catch (err) {
    deps.warn(`could not take ${STARTED_FROM} off the version the rotation started from`, { errorName: (err as Error | null)?.name });
  }
}

async function refuse(
  deps: RotationDeps,
  store: SecretVersionStore,
  event: RotationEvent,
  key: MonitoredKey,
  report: Report,
  versions: readonly VersionInfo[],
): Promise<never> {
  const title = DIAGNOSIS_TABLE[report.diagnosis].title;
  const shown = report.keyPrefix ? `${report.keyPrefix}…` : '(unreadable)';
  const summary = `The staged key ${shown} for "${key.name}" was NOT promoted: ${title}. The current key is untouched and keeps working.`;
  const fix = `${report.advice} Then rotate again: key-monitor rotate --secret-id ${event.SecretId} --file new-key.json.`;
  await tell(
    deps,
    notification(deps, key, {
      id: `rotation:${key.name}:${event.ClientRequestToken}#refused:${report.diagnosis}`,
      kind: 'rotation-refused',
      severity: 'warning',
      subject: `🟠 ${key.name}: new key refused — ${title}`,
      summary,
      fix,
      facts: [{ label: 'Key', value: `${key.name} (new key ${shown})` }, ...reportFacts(report, deps.target.expectedIps)],
    }),
  );
  await record(deps, store, { outcome: 'refused', diagnosis: report.diagnosis, token: event.ClientRequestToken });
  await clearPending(deps, store, event.ClientRequestToken);
  await forgetStart(deps, store, versions);
  throw new RotationError('REFUSED', `${summary}\nFix: ${fix}`, report);
}

/** A stop before (or instead of) judging the key: what the operator reads, and how the verdict tag records it. */
interface StopText {
  readonly summary: string;
  readonly fix: string;
  readonly outcome: RotationVerdict['outcome'];
  /** "refused" when the rotation declined the staged key; "stopped" when something changed under it. */
  readonly verb: 'refused' | 'stopped';
}

type StopReason = 'NOTHING_STAGED' | 'STALE_STAGED' | 'CURRENT_UNKNOWN' | 'SAME_KEY' | 'CURRENT_MOVED' | 'START_UNKNOWN';

const rotateAgain = (secretId: string) => `key-monitor rotate --secret-id ${secretId} --file new-key.json`;

function notStaged(reason: 'NOTHING_STAGED' | 'STALE_STAGED' | 'CURRENT_UNKNOWN', key: MonitoredKey, secretId: string): StopText {
  const why = {
    NOTHING_STAGED: `No new key is staged for "${key.name}".`,
    CURRENT_UNKNOWN: 'The current key’s version date could not be read, so the staged key cannot be told apart from older ones; nothing was promoted.',
    STALE_STAGED:
      'The key this rotation would promote is older than the current key (the current key was replaced after it was staged), so it is not promoted: a retired key must not come back.',
  }[reason];
  return { summary: `${why} The current key is untouched.`, fix: stageHelp(secretId), outcome: 'failed', verb: 'refused' };
}

function sameKey(key: MonitoredKey, secretId: string, prefix: string, liveVersion: string | undefined): StopText {
  return {
    summary:
      `The staged key ${prefix}… is the key that is already live for "${key.name}" (the same key and secret as AWSCURRENT, version ${liveVersion ?? 'unknown'}): ` +
      'there is nothing to rotate. Nothing was promoted or changed.',
    fix:
      `Keep key ${prefix}…: it is the live key. To rotate it, create a new key on Crypto.com Exchange (Settings → API Keys), whitelist the egress IP on it ` +
      `and stage that one: ${rotateAgain(secretId)}.`,
    outcome: 'refused',
    verb: 'refused',
  };
}

function currentMoved(key: MonitoredKey, secretId: string, startedFrom: string, currentNow: string | undefined): StopText {
  const now = currentNow ? `version ${currentNow}` : 'no version';
  return {
    summary:
      `AWSCURRENT of "${key.name}" was moved while this rotation ran (by hand, such as a rollback or a key put in place directly, or by another rotation): ` +
      `this rotation started from version ${startedFrom}, and AWSCURRENT is on ${now} now. That choice stands. Nothing was promoted or changed: AWSCURRENT stays on ${now}.`,
    fix: `If the key on ${now} is the one you want, there is nothing to do. To put the staged key in place after all, run ${rotateAgain(secretId)} again.`,
    outcome: 'refused',
    verb: 'stopped',
  };
}

function startUnknown(secretId: string): StopText {
  return {
    summary:
      `This rotation has no record of the version AWSCURRENT was on when it started (the ${STARTED_FROM} label is gone), so a change made by hand since ` +
      'cannot be ruled out. Nothing was promoted or changed.',
    fix: `Run ${rotateAgain(secretId)} again.`,
    outcome: 'failed',
    verb: 'stopped',
  };
}

async function stop(
  deps: RotationDeps,
  store: SecretVersionStore,
  event: RotationEvent,
  key: MonitoredKey,
  versions: readonly VersionInfo[],
  reason: StopReason,
  text: StopText,
): Promise<never> {
  await tell(
    deps,
    notification(deps, key, {
      id: `rotation:${key.name}:${event.ClientRequestToken}#${reason.toLowerCase()}`,
      kind: 'rotation-refused',
      severity: 'warning',
      subject: `🟠 ${key.name}: rotation ${text.verb} — ${ROTATION_STOP_TITLES[reason]}`,
      summary: text.summary,
      fix: text.fix,
      facts: [{ label: 'Key', value: key.name }],
    }),
  );
  await record(deps, store, { outcome: text.outcome, diagnosis: reason, token: event.ClientRequestToken });
  await clearPending(deps, store, event.ClientRequestToken);
  await forgetStart(deps, store, versions);
  throw new RotationError(reason, `${text.summary} ${text.fix}`);
}

/**
 * Whatever AWSCURRENT was moved to since the rotation started stands: a rollback, a key put live by
 * hand or by another rotation. The step stops and says so.
 */
async function stopIfCurrentMoved(
  deps: RotationDeps,
  store: SecretVersionStore,
  event: RotationEvent,
  key: MonitoredKey,
  versions: readonly VersionInfo[],
): Promise<void> {
  const since = currentSinceStart(versions, event.ClientRequestToken);
  if (since.kind === 'moved')
    await stop(deps, store, event, key, versions, 'CURRENT_MOVED', currentMoved(key, event.SecretId, since.startedFrom, since.currentNow));
  if (since.kind === 'not-recorded') await stop(deps, store, event, key, versions, 'START_UNKNOWN', startUnknown(event.SecretId));
  if (since.kind === 'superseded') await stop(deps, store, event, key, versions, 'STALE_STAGED', notStaged('STALE_STAGED', key, event.SecretId));
  if (since.kind === 'current-unknown') await stop(deps, store, event, key, versions, 'CURRENT_UNKNOWN', notStaged('CURRENT_UNKNOWN', key, event.SecretId));
}

/**
 * The key the rotation would put live, against the key live now. The same key with the same secret
 * is refused: announcing it as a new key would have the operator delete the live key.
 */
async function judgeChange(
  deps: RotationDeps,
  store: SecretVersionStore,
  event: RotationEvent,
  key: MonitoredKey,
  versions: readonly VersionInfo[],
  value: string | null | undefined,
): Promise<KeyChange> {
  const live = currentVersionId(versions);
  const change = keyChange(value, live ? await store.valueOf(live) : null);
  if (change.kind === 'same-key') await stop(deps, store, event, key, versions, 'SAME_KEY', sameKey(key, event.SecretId, change.prefix, live));
  return change;
}

/** Label the version AWSCURRENT is on as the one this rotation starts from (before its own version is written). */
async function recordStart(store: SecretVersionStore, versions: readonly VersionInfo[]): Promise<void> {
  const live = currentVersionId(versions);
  const recorded = startedFromVersionId(versions);
  if (live && live !== recorded) await store.moveStage(STARTED_FROM, live, recorded);
}

/** What the slot's key must be: Trade as declared, no withdrawal unless declared, and the account expectations. */
function expectations(key: MonitoredKey) {
  return {
    expectTrade: key.expectTrade,
    expectWithdraw: key.expectWithdraw ?? false,
    expectDerivatives: key.expectDerivatives,
    expectMaster: key.expectMaster,
  };
}

/** The full check on the version the token names, from the same egress as production traffic (withdraw probe included). */
async function validate(deps: RotationDeps, store: SecretVersionStore, event: RotationEvent, key: MonitoredKey): Promise<Report> {
  const text = await store.valueOf(event.ClientRequestToken);
  return runChecks({ ...deps.target, credentials: parseSecretString(text ?? undefined), ...expectations(key), withdrawProbe: { kind: 'now' }, now: deps.now });
}

async function createSecret(deps: RotationDeps, store: SecretVersionStore, event: RotationEvent, key: MonitoredKey, versions: VersionInfo[]): Promise<void> {
  const underToken = await store.valueOf(event.ClientRequestToken);
  const staged = findStagedKey(versions, event.ClientRequestToken, underToken !== null);
  if (staged.kind === 'under-token') {
    // Written by an earlier run of this step, after it recorded where it started; or by someone else, then it starts here.
    if (currentSinceStart(versions, event.ClientRequestToken).kind === 'not-recorded') return recordStart(store, versions);
    return stopIfCurrentMoved(deps, store, event, key, versions);
  }
  if (staged.kind !== 'copy') {
    const reason = staged.kind === 'nothing-staged' ? 'NOTHING_STAGED' : staged.kind === 'stale' ? 'STALE_STAGED' : 'CURRENT_UNKNOWN';
    return stop(deps, store, event, key, versions, reason, notStaged(reason, key, event.SecretId));
  }
  const value = await store.valueOf(staged.fromVersionId);
  if (value === null || value === undefined) {
    // The staged version holds nothing usable: refuse it as it is, never reach for another one.
    return refuse(deps, store, event, key, await runChecks({ ...deps.target, credentials: parseSecretString(undefined), ...expectations(key) }), versions);
  }
  await judgeChange(deps, store, event, key, versions, value);
  await recordStart(store, versions);
  // Copied as written (even if malformed): testSecret refuses a malformed value with the exact reason.
  await store.putPending(value, event.ClientRequestToken);
}

/**
 * Once the staged value is live, take the STAGED label off its version so the next rotation needs a
 * new staging. Only when that version still holds the value just promoted: a key staged meanwhile
 * for the next rotation keeps its label.
 */
async function retireStagedLabel(deps: RotationDeps, store: SecretVersionStore, token: string, versions: readonly VersionInfo[]): Promise<void> {
  const staged = stagedVersionId(versions);
  if (!staged || staged === token) return;
  try {
    const [stagedValue, promoted] = await Promise.all([store.valueOf(staged), store.valueOf(token)]);
    if (stagedValue !== null && stagedValue !== undefined && stagedValue === promoted) await store.removeStage(STAGED, staged);
  } catch (err) {
    // Harmless if it stays: the label then sits on an older version than AWSCURRENT, which is never promoted again.
    deps.warn('could not take the staged label off the promoted key', { errorName: (err as Error | null)?.name });
  }
}

/** What the operator is told once the new value is live: which key to delete on the exchange, if any, and never the live one. */
function promotedText(key: MonitoredKey, change: KeyChange, report: Report): Pick<Notification, 'subject' | 'summary' | 'fix'> & { keyFact: string } {
  const prefix = change.kind === 'new-unreadable' ? (report.keyPrefix ?? '?') : change.prefix;
  const keyFact = `${key.name} (new key ${prefix}…)`;
  const checked = `passed every check from ${report.egressIp ?? 'the monitor’s egress IP'} just before promotion and is now AWSCURRENT`;
  if (change.kind === 'secret-replaced') {
    return {
      subject: `✅ ${key.name}: secret of key ${prefix}… replaced`,
      summary: `The secret of key ${prefix}… for "${key.name}" was replaced: the new secret ${checked}; the previous value (the same key with the old secret) is kept as AWSPREVIOUS.`,
      fix: `The key itself did not change, only its stored secret: there is no old key to delete on the exchange. Keep key ${prefix}…: it is the live key.`,
      keyFact: `${key.name} (key ${prefix}…, new secret)`,
    };
  }
  const summary = `The staged key ${prefix}… for "${key.name}" ${checked}; the previous key is kept as AWSPREVIOUS (your backup).`;
  const subject = `✅ ${key.name}: new key ${prefix}… is live`;
  if (change.kind === 'new-key' && change.oldPrefix !== prefix) {
    return {
      subject,
      summary,
      keyFact,
      fix: `Once your bot runs on the new key ${prefix}…, delete the old key ${change.oldPrefix}… on the exchange (not ${prefix}…: that is the live key).`,
    };
  }
  if (change.kind === 'new-key') {
    return {
      subject,
      summary,
      keyFact,
      fix:
        `Once your bot runs on the new key ${prefix}…, delete the old key on the exchange: it starts with the same 4 characters (${prefix}…) as the live key, ` +
        'so compare the full keys in Crypto.com Exchange → Settings → API Keys with the one you staged and delete only the other one.',
    };
  }
  if (change.kind === 'first-key') {
    return {
      subject,
      summary,
      keyFact,
      fix: `The secret held no key before this one: there is no old key to delete on the exchange. Keep key ${prefix}…: it is the live key.`,
    };
  }
  return {
    subject,
    summary,
    keyFact,
    fix: `The previous value was not a usable key, so which exchange key it held is unknown: before deleting any key on the exchange, make sure it is not ${prefix}… (the live key).`,
  };
}

async function finishSecret(deps: RotationDeps, store: SecretVersionStore, event: RotationEvent, key: MonitoredKey, versions: VersionInfo[]): Promise<void> {
  const token = event.ClientRequestToken;
  await stopIfCurrentMoved(deps, store, event, key, versions);
  const change = await judgeChange(deps, store, event, key, versions, await store.valueOf(token));
  const report = await validate(deps, store, event, key);
  if (!report.healthy) return refuse(deps, store, event, key, report, versions);
  // The check takes seconds: look at the labels again just before the move.
  const now = await store.versions(token);
  const gate = gateStep(now, token, 'finishSecret');
  if (gate.kind === 'already-promoted') return;
  if (gate.kind === 'not-pending')
    throw new RotationError('NOT_PENDING', `Version ${token} of ${event.SecretId} is no longer AWSPENDING; nothing was promoted.`);
  await stopIfCurrentMoved(deps, store, event, key, now);
  try {
    // From the version it started from only: Secrets Manager refuses the move if AWSCURRENT left it since the look above.
    await store.moveCurrent(token, currentVersionId(now));
  } catch (err) {
    const after = await store.versions(token);
    // Run twice at once (or put in place by hand): the label is where this step was moving it. That is success, not an error.
    if (currentVersionId(after) === token) return;
    await stopIfCurrentMoved(deps, store, event, key, after);
    throw err;
  }
  // Done: AWSPENDING off the promoted version, so a later rollback leaves nothing a retry could re-promote
  // and a plain rotate-secret can start again.
  await clearPending(deps, store, token);
  await retireStagedLabel(deps, store, token, now);
  await forgetStart(deps, store, now);
  const { keyFact, ...text } = promotedText(key, change, report);
  await tell(
    deps,
    notification(deps, key, {
      id: `rotation:${key.name}:${token}#promoted`,
      kind: 'rotation-promoted',
      severity: 'resolved',
      ...text,
      facts: [{ label: 'Key', value: keyFact }, ...reportFacts(report, deps.target.expectedIps)],
    }),
  );
  await record(deps, store, { outcome: 'promoted', diagnosis: 'OK', token });
}

export async function rotate(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const key = keyForSecret(deps.keys, event.SecretId);
  if (!key) throw new RotationError('NOT_MONITORED', `${event.SecretId} is not one of this monitor's keys; refusing to rotate it.`);
  const store = deps.store(event.SecretId);
  const versions = await store.versions(event.ClientRequestToken);
  const gate = gateStep(versions, event.ClientRequestToken, event.Step);
  if (gate.kind === 'already-promoted') return;
  if (gate.kind === 'not-pending') {
    throw new RotationError('NOT_PENDING', `Version ${event.ClientRequestToken} of ${event.SecretId} is not AWSPENDING. ${stageHelp(event.SecretId)}`);
  }
  switch (event.Step) {
    case 'createSecret':
      return createSecret(deps, store, event, key, versions);
    case 'setSecret':
      return; // nothing to set: the exchange holds the key already; only its validation matters
    case 'testSecret': {
      await stopIfCurrentMoved(deps, store, event, key, versions);
      await judgeChange(deps, store, event, key, versions, await store.valueOf(event.ClientRequestToken));
      const report = await validate(deps, store, event, key);
      if (!report.healthy) await refuse(deps, store, event, key, report, versions);
      return;
    }
    case 'finishSecret':
      return finishSecret(deps, store, event, key, versions);
  }
}
