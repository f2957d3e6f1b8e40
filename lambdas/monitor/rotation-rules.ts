/**
 * What may be promoted in a rotation, decided from facts alone (no AWS calls here).
 *
 * Exchange keys cannot be minted by API, so a rotation only ever promotes a key the operator staged:
 * `put-secret-value --version-stages AWSPENDING` and then `rotate-secret`. rotate-secret may start a
 * fresh version under its own token and move AWSPENDING onto it; the operator's value is then the
 * newest version written after AWSCURRENT. Only that newest value may ever be promoted: never an
 * older one (a retired key from two rotations back must not come back), and never without a
 * validation at the moment of promotion.
 */

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';

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
  /** Nothing was staged after the current key. */
  | { readonly kind: 'nothing-staged' }
  /** Two versions tie for newest (written within the same clock tick): which one is "last" is unknown. */
  | { readonly kind: 'ambiguous' }
  /** The current version's age is unknown, so "staged after it" cannot be told: refuse to guess. */
  | { readonly kind: 'current-unknown' };

/**
 * Where the staged key is, for createSecret. `tokenHasValue` is whether the rotation's own version
 * (ClientRequestToken) already holds a secret value.
 */
export function findStagedKey(versions: readonly VersionInfo[], token: string, tokenHasValue: boolean): StagedKey {
  if (tokenHasValue) return { kind: 'under-token' };
  const current = versions.find((v) => v.stages.includes(CURRENT));
  if (!current || current.createdDate === null) return { kind: 'current-unknown' };
  const since = current.createdDate.getTime();
  const newer = versions
    .filter((v) => v.id !== token && v.id !== current.id && !v.stages.includes(PREVIOUS) && v.createdDate !== null && v.createdDate.getTime() >= since)
    .sort((a, b) => (b.createdDate as Date).getTime() - (a.createdDate as Date).getTime());
  const [newest, runnerUp] = newer;
  if (!newest) return { kind: 'nothing-staged' };
  if (runnerUp && runnerUp.createdDate?.getTime() === newest.createdDate?.getTime()) return { kind: 'ambiguous' };
  return { kind: 'copy', fromVersionId: newest.id };
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
