import { NOTIFICATION_SCHEMA_VERSION, type Notification, type NotificationLink } from '../contract/notification.js';
import { runChecks, type CheckTarget } from './checks.js';
import { parseSecretString } from './credentials.js';
import { DIAGNOSIS_TABLE } from './diagnosis.js';
import { reportFacts } from './report-facts.js';
import { currentVersionId, findStagedKey, gateStep, PENDING, STAGED, stagedVersionId, supersededByCurrent, type RotationVerdict, type VersionInfo } from './rotation-rules.js';
import { keyForSecret, type MonitoredKey } from './runtime-config.js';
import type { Report } from './types.js';

/**
 * Secrets Manager rotation for exchange keys: stage → validate from the fixed egress IP → promote.
 * Every step is idempotent (Secrets Manager retries them, and may run one twice): a step that finds
 * its work done does nothing. finishSecret validates the exact version it is about to make
 * AWSCURRENT, at that moment, before it moves the label.
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
  /** Move AWSCURRENT; Secrets Manager labels the version it leaves AWSPREVIOUS (the backup). */
  moveCurrent(token: string, fromVersionId: string | undefined): Promise<void>;
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

export type RotationFailure = 'NOTHING_STAGED' | 'STALE_STAGED' | 'REFUSED' | 'NOT_MONITORED' | 'NOT_PENDING' | 'CURRENT_UNKNOWN';

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

const stageHelp = (secretId: string) =>
  `Stage the new key first: key-monitor rotate --secret-id ${secretId} --file new-key.json (or aws secretsmanager put-secret-value ` +
  `--secret-id ${secretId} --secret-string file://new-key.json --version-stages ${STAGED}, then aws secretsmanager rotate-secret --secret-id ${secretId}).`;

function notification(deps: RotationDeps, key: MonitoredKey, fields: Pick<Notification, 'id' | 'kind' | 'severity' | 'subject' | 'summary' | 'fix' | 'facts'>): Notification {
  return { schemaVersion: NOTIFICATION_SCHEMA_VERSION, ...fields, links: deps.links, scope: { type: 'key', key: key.name }, occurredAt: new Date(deps.now()).toISOString(), source: deps.source };
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

async function refuse(deps: RotationDeps, store: SecretVersionStore, event: RotationEvent, key: MonitoredKey, report: Report): Promise<never> {
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
  throw new RotationError('REFUSED', `${summary}\nFix: ${fix}`, report);
}

const NOT_STAGED_TEXT = {
  NOTHING_STAGED: { why: (key: string) => `No new key is staged for "${key}".`, short: 'no new key staged' },
  CURRENT_UNKNOWN: {
    why: () => 'The current key’s version date could not be read, so the staged key cannot be told apart from older ones; nothing was promoted.',
    short: 'current version unknown',
  },
  STALE_STAGED: {
    why: () =>
      'The key this rotation would promote is older than the current key (the current key was replaced after it was staged), so it is not promoted: a retired key must not come back.',
    short: 'staged key is older than the current key',
  },
} as const;

async function nothingStaged(deps: RotationDeps, store: SecretVersionStore, event: RotationEvent, key: MonitoredKey, reason: keyof typeof NOT_STAGED_TEXT): Promise<never> {
  const why = NOT_STAGED_TEXT[reason].why(key.name);
  await tell(
    deps,
    notification(deps, key, {
      id: `rotation:${key.name}:${event.ClientRequestToken}#${reason.toLowerCase()}`,
      kind: 'rotation-refused',
      severity: 'warning',
      subject: `🟠 ${key.name}: rotation refused — ${NOT_STAGED_TEXT[reason].short}`,
      summary: `${why} The current key is untouched.`,
      fix: stageHelp(event.SecretId),
      facts: [{ label: 'Key', value: key.name }],
    }),
  );
  await record(deps, store, { outcome: 'failed', diagnosis: reason, token: event.ClientRequestToken });
  await clearPending(deps, store, event.ClientRequestToken);
  throw new RotationError(reason, `${why} ${stageHelp(event.SecretId)}`);
}

/** What the slot's key must be: Trade as declared, no withdrawal unless declared, and the account expectations. */
function expectations(key: MonitoredKey) {
  return { expectTrade: key.expectTrade, expectWithdraw: key.expectWithdraw ?? false, expectDerivatives: key.expectDerivatives, expectMaster: key.expectMaster };
}

/** The full check on the version the token names, from the same egress as production traffic (withdraw probe included). */
async function validate(deps: RotationDeps, store: SecretVersionStore, event: RotationEvent, key: MonitoredKey): Promise<Report> {
  const text = await store.valueOf(event.ClientRequestToken);
  return runChecks({ ...deps.target, credentials: parseSecretString(text ?? undefined), ...expectations(key), withdrawProbe: { kind: 'now' }, now: deps.now });
}

async function createSecret(deps: RotationDeps, store: SecretVersionStore, event: RotationEvent, key: MonitoredKey, versions: VersionInfo[]): Promise<void> {
  const underToken = await store.valueOf(event.ClientRequestToken);
  const staged = findStagedKey(versions, event.ClientRequestToken, underToken !== null);
  if (staged.kind === 'under-token') return;
  if (staged.kind !== 'copy') {
    return nothingStaged(deps, store, event, key, staged.kind === 'nothing-staged' ? 'NOTHING_STAGED' : staged.kind === 'stale' ? 'STALE_STAGED' : 'CURRENT_UNKNOWN');
  }
  const value = await store.valueOf(staged.fromVersionId);
  if (value === null || value === undefined) {
    // The staged version holds nothing usable: refuse it as it is, never reach for another one.
    return refuse(deps, store, event, key, await runChecks({ ...deps.target, credentials: parseSecretString(undefined), ...expectations(key) }));
  }
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

/** A retried rotation whose key is older than the one live now (someone replaced it meanwhile) stops here. */
async function refuseIfSuperseded(deps: RotationDeps, store: SecretVersionStore, event: RotationEvent, key: MonitoredKey, versions: VersionInfo[]): Promise<void> {
  const verdict = supersededByCurrent(versions, event.ClientRequestToken);
  if (verdict === 'superseded') await nothingStaged(deps, store, event, key, 'STALE_STAGED');
  if (verdict === 'current-unknown') await nothingStaged(deps, store, event, key, 'CURRENT_UNKNOWN');
}

async function finishSecret(deps: RotationDeps, store: SecretVersionStore, event: RotationEvent, key: MonitoredKey, versions: VersionInfo[]): Promise<void> {
  await refuseIfSuperseded(deps, store, event, key, versions);
  const report = await validate(deps, store, event, key);
  if (!report.healthy) return refuse(deps, store, event, key, report);
  const from = currentVersionId(versions);
  try {
    await store.moveCurrent(event.ClientRequestToken, from);
  } catch (err) {
    // Run twice at once: the other run moved the label first. That is success, not an error.
    if (currentVersionId(await store.versions()) === event.ClientRequestToken) return;
    throw err;
  }
  // Done: AWSPENDING off the promoted version, so a later rollback leaves nothing a retry could re-promote
  // and a plain rotate-secret can start again.
  await clearPending(deps, store, event.ClientRequestToken);
  await retireStagedLabel(deps, store, event.ClientRequestToken, versions);
  const shown = report.keyPrefix ? `${report.keyPrefix}…` : '?';
  await tell(
    deps,
    notification(deps, key, {
      id: `rotation:${key.name}:${event.ClientRequestToken}#promoted`,
      kind: 'rotation-promoted',
      severity: 'resolved',
      subject: `✅ ${key.name}: new key ${shown} is live`,
      summary:
        `The staged key ${shown} for "${key.name}" passed every check from ${report.egressIp ?? 'the monitor’s egress IP'} just before promotion and is now ` +
        'AWSCURRENT; the previous key is kept as AWSPREVIOUS (your backup).',
      fix: 'Once your bot runs on the new key, delete the old key on the exchange.',
      facts: [{ label: 'Key', value: `${key.name} (new key ${shown})` }, ...reportFacts(report, deps.target.expectedIps)],
    }),
  );
  await record(deps, store, { outcome: 'promoted', diagnosis: 'OK', token: event.ClientRequestToken });
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
      await refuseIfSuperseded(deps, store, event, key, versions);
      const report = await validate(deps, store, event, key);
      if (!report.healthy) await refuse(deps, store, event, key, report);
      return;
    }
    case 'finishSecret':
      return finishSecret(deps, store, event, key, versions);
  }
}

