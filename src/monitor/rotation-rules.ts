import { keyPrefix, parseSecretString } from './credentials.js';

/**
 * What may be promoted in a rotation, decided from facts alone (no AWS calls here).
 *
 * Exchange keys cannot be minted by API, so a rotation only ever promotes a key the operator staged.
 * The operator stages it under our own label, STAGED (`put-secret-value --version-stages
 * KEYMONITOR_STAGED`), never under AWSPENDING: Secrets Manager's RotateSecret refuses to start while
 * AWSPENDING sits on a version that is not AWSCURRENT ("a previous rotation is still in progress").
 * rotate-secret then opens its own version under the rotation's token; createSecret copies the
 * staged value there. A label sits on one version at a time, so "which key is staged" has one answer;
 * a staged version older than AWSCURRENT is stale (the current key was replaced after it was
 * staged) and is never promoted: a retired key must not come back.
 */

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';
/** The operator's label for "this is the key to rotate in next". */
export const STAGED = 'KEYMONITOR_STAGED';
/**
 * The rotation's own label for "the version AWSCURRENT was on when this rotation started": the only
 * version finishSecret may move AWSCURRENT from. Secrets Manager keeps no such record, and version
 * dates cannot show a move back to an older version (the README's rollback).
 */
export const STARTED_FROM = 'KEYMONITOR_ROTATING_FROM';

export interface VersionInfo {
  readonly id: string;
  readonly stages: readonly string[];
  readonly createdDate: Date | null;
}

export type StagedKey =
  /** The rotation's own version already holds a value: test that. */
  | { readonly kind: 'under-token' }
  /** Copy this version's value under the rotation's token, then test it. */
  | { readonly kind: 'copy'; readonly fromVersionId: string }
  /** No version carries the STAGED label (or only the current key does). */
  | { readonly kind: 'nothing-staged' }
  /** The staged version is older than the current key: the current key was replaced after it was staged. */
  | { readonly kind: 'stale'; readonly versionId: string }
  /** The current version's or the staged version's date is unknown, so "staged after it" cannot be told: refuse to guess. */
  | { readonly kind: 'current-unknown' };

/**
 * Where the staged key is, for createSecret. `tokenHasValue` is whether the rotation's own version
 * (ClientRequestToken) already holds a secret value.
 */
export function findStagedKey(versions: readonly VersionInfo[], token: string, tokenHasValue: boolean): StagedKey {
  if (tokenHasValue) return { kind: 'under-token' };
  const staged = versions.find((v) => v.stages.includes(STAGED));
  // Already current (a promotion whose label clean-up did not happen) or already the previous key: not a new key.
  if (!staged || staged.id === token || staged.stages.includes(CURRENT) || staged.stages.includes(PREVIOUS)) return { kind: 'nothing-staged' };
  const current = versions.find((v) => v.stages.includes(CURRENT));
  if (!current) return { kind: 'copy', fromVersionId: staged.id }; // a secret with no current key has nothing to go stale against
  if (current.createdDate === null || staged.createdDate === null) return { kind: 'current-unknown' };
  // Ties (one-second resolution) go to the label: the operator named this version explicitly.
  if (staged.createdDate.getTime() < current.createdDate.getTime()) return { kind: 'stale', versionId: staged.id };
  return { kind: 'copy', fromVersionId: staged.id };
}

/** Where AWSCURRENT stands against where this rotation started. */
export type SinceStart =
  | { readonly kind: 'unchanged' }
  /** AWSCURRENT is not on the version the rotation started from: someone chose another key (a rollback, a key put live by hand, another rotation). */
  | { readonly kind: 'moved'; readonly startedFrom: string; readonly currentNow: string | undefined }
  /** No record of where it started, while a key is live: a change since cannot be ruled out. */
  | { readonly kind: 'not-recorded' }
  /** The current key is newer than this rotation's version (its value was written before the current key went live). */
  | { readonly kind: 'superseded' }
  | { readonly kind: 'current-unknown' };

/**
 * Has the current key changed since this rotation started? Secrets Manager retries a failed
 * rotation with the same token, possibly long after, and a human may roll back or put another key
 * live between two steps: whatever AWSCURRENT was moved to stands. The STARTED_FROM label says where
 * AWSCURRENT was when the rotation wrote its version; the dates catch a rotation version older than
 * the key live now. Unknown dates: refuse to guess.
 */
export function currentSinceStart(versions: readonly VersionInfo[], token: string): SinceStart {
  const current = versions.find((v) => v.stages.includes(CURRENT));
  const mine = versions.find((v) => v.id === token);
  if (current?.id === token) return { kind: 'unchanged' };
  const startedFrom = versions.find((v) => v.stages.includes(STARTED_FROM))?.id;
  if (startedFrom === undefined) return current ? { kind: 'not-recorded' } : { kind: 'unchanged' };
  if (startedFrom !== current?.id) return { kind: 'moved', startedFrom, currentNow: current?.id };
  if (current.createdDate === null || !mine || mine.createdDate === null) return { kind: 'current-unknown' };
  return current.createdDate.getTime() > mine.createdDate.getTime() ? { kind: 'superseded' } : { kind: 'unchanged' };
}

/** The version the STARTED_FROM label is on, if any. */
export function startedFromVersionId(versions: readonly VersionInfo[]): string | undefined {
  return versions.find((v) => v.stages.includes(STARTED_FROM))?.id;
}

/**
 * What a promotion changes on the exchange side, from the two secret values (the new one and the one
 * live now). Only the first 4 characters of a key ever leave here.
 */
export type KeyChange =
  /** The same key with the same secret: nothing to rotate; "delete the old key" would delete the live one. */
  | { readonly kind: 'same-key'; readonly prefix: string }
  /** The same key with another secret (a mistyped secret fixed): there is no old key on the exchange. */
  | { readonly kind: 'secret-replaced'; readonly prefix: string }
  /** Another key: the old one can be deleted on the exchange once the bot uses the new one. */
  | { readonly kind: 'new-key'; readonly prefix: string; readonly oldPrefix: string }
  /** The live value holds no key at all (the empty placeholder a new secret starts with): nothing to delete. */
  | { readonly kind: 'first-key'; readonly prefix: string }
  /** The live value is no usable key, so which exchange key it held is unknown. */
  | { readonly kind: 'old-unreadable'; readonly prefix: string }
  /** The new value is no usable key (the check refuses it with the exact reason). */
  | { readonly kind: 'new-unreadable' };

/** Whether a secret value that is not a usable key still names one (a key with its secret missing). */
function namesAKey(text: string | null | undefined): boolean {
  try {
    const apiKey = (JSON.parse(text ?? '') as { apiKey?: unknown } | null)?.apiKey;
    return typeof apiKey === 'string' && apiKey !== '';
  } catch {
    return false;
  }
}

export function keyChange(next: string | null | undefined, live: string | null | undefined): KeyChange {
  const n = parseSecretString(next ?? undefined);
  if (!n.ok) return { kind: 'new-unreadable' };
  const prefix = keyPrefix(n.credentials.apiKey) as string;
  const l = parseSecretString(live ?? undefined);
  if (!l.ok) return { kind: l.failure === 'CREDENTIALS_MISSING' && !namesAKey(live) ? 'first-key' : 'old-unreadable', prefix };
  if (l.credentials.apiKey !== n.credentials.apiKey) return { kind: 'new-key', prefix, oldPrefix: keyPrefix(l.credentials.apiKey) as string };
  return l.credentials.apiSecret === n.credentials.apiSecret ? { kind: 'same-key', prefix } : { kind: 'secret-replaced', prefix };
}

/** The version the STAGED label is on, if any (finishSecret takes it off once its value is live). */
export function stagedVersionId(versions: readonly VersionInfo[]): string | undefined {
  return versions.find((v) => v.stages.includes(STAGED))?.id;
}

/**
 * An unfinished rotation: AWSPENDING on a version that is not AWSCURRENT. RotateSecret refuses to
 * start while one exists; `key-monitor rotate` clears it (our rotation steps refuse any version that
 * lost AWSPENDING, so clearing never promotes anything).
 */
export function unfinishedPendingVersion(versions: readonly Pick<VersionInfo, 'id' | 'stages'>[]): string | undefined {
  return versions.find((v) => v.stages.includes(PENDING) && !v.stages.includes(CURRENT))?.id;
}

/** Where a rotation step stands before it does anything. */
export type StepGate =
  /** The token's version is already AWSCURRENT: every step is done; run again, do nothing. */
  | { readonly kind: 'already-promoted' }
  /** The token's version must carry AWSPENDING for this step; it does not. */
  | { readonly kind: 'not-pending' }
  | { readonly kind: 'proceed' };

export function gateStep(versions: readonly VersionInfo[], token: string, step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret'): StepGate {
  const stages = versions.find((v) => v.id === token)?.stages ?? [];
  if (stages.includes(CURRENT)) return { kind: 'already-promoted' };
  if (step !== 'createSecret' && !stages.includes(PENDING)) return { kind: 'not-pending' };
  return { kind: 'proceed' };
}

/** The version AWSCURRENT is on now (the one a promotion moves the label from). */
export function currentVersionId(versions: readonly VersionInfo[]): string | undefined {
  return versions.find((v) => v.stages.includes(CURRENT))?.id;
}

/**
 * The verdict a rotation leaves on the secret (as a tag), so `key-monitor rotate` can tell promoted,
 * refused and failed apart without access to the alerts. Tag values allow letters, digits, spaces
 * and `_ . : / = + - @`.
 */
export type RotationVerdict = { readonly outcome: 'promoted' | 'refused' | 'failed'; readonly diagnosis: string; readonly token: string };

export const VERDICT_TAG = 'exchange-key-monitor:rotation';

/** Why a rotation stopped without judging the key, in a few words (the alert's subject, the CLI's verdict line). */
export const ROTATION_STOP_TITLES: Readonly<Record<string, string>> = {
  NOTHING_STAGED: 'no new key staged',
  STALE_STAGED: 'staged key is older than the current key',
  CURRENT_UNKNOWN: 'current version unknown',
  SAME_KEY: 'same key, nothing changed',
  CURRENT_MOVED: 'AWSCURRENT was moved while it ran',
  START_UNKNOWN: 'no record of where it started',
};

export function verdictTagValue(v: RotationVerdict): string {
  return `${v.outcome} ${v.diagnosis} ${v.token}`.replace(/[^A-Za-z0-9 _.:/=+@-]/g, '-').slice(0, 256);
}

export function parseVerdictTag(value: string | undefined): RotationVerdict | null {
  const m = /^(promoted|refused|failed) ([A-Z_]+) (\S+)$/.exec(value ?? '');
  return m ? { outcome: m[1] as RotationVerdict['outcome'], diagnosis: m[2] as string, token: m[3] as string } : null;
}
