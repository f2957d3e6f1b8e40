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

/**
 * Has the current key been replaced since this rotation's version was written? Secrets Manager
 * retries a failed rotation with the same token, possibly long after: if someone put a newer key
 * live meanwhile, the rotation's (older) key must not override it. Unknown dates: refuse to guess.
 */
export function supersededByCurrent(versions: readonly VersionInfo[], token: string): 'superseded' | 'current-unknown' | 'no' {
  const current = versions.find((v) => v.stages.includes(CURRENT));
  const mine = versions.find((v) => v.id === token);
  if (!current || current.id === token) return 'no';
  if (current.createdDate === null || !mine || mine.createdDate === null) return 'current-unknown';
  return current.createdDate.getTime() > mine.createdDate.getTime() ? 'superseded' : 'no';
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

export function verdictTagValue(v: RotationVerdict): string {
  return `${v.outcome} ${v.diagnosis} ${v.token}`.replace(/[^A-Za-z0-9 _.:/=+@-]/g, '-').slice(0, 256);
}

export function parseVerdictTag(value: string | undefined): RotationVerdict | null {
  const m = /^(promoted|refused|failed) ([A-Z_]+) (\S+)$/.exec(value ?? '');
  return m ? { outcome: m[1] as RotationVerdict['outcome'], diagnosis: m[2] as string, token: m[3] as string } : null;
}
