import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretVersionStore } from '../monitor/rotation.js';
import { CURRENT, PENDING, STAGED, parseVerdictTag, VERDICT_TAG, verdictTagValue, type RotationVerdict, type VersionInfo } from '../monitor/rotation-rules.js';
import { callWithDeadline } from './aws-calls.js';

/** The Secrets Manager version-stage calls rotation needs, each inside its deadline. */
export class SecretVersions implements SecretVersionStore {
  constructor(
    private readonly sm: SecretsManagerClient,
    readonly secretId: string,
  ) {}

  /**
   * One version's value and creation date, read once per instance (one rotation step): a version's
   * value never changes, and the step asks for the same versions several times. null when the
   * version holds no value (rotate-secret made it, nobody wrote it yet): an answer, not a fault.
   */
  private readonly reads = new Map<string, Promise<{ value: string | undefined; createdDate: Date | null } | null>>();

  private read(versionId: string): Promise<{ value: string | undefined; createdDate: Date | null } | null> {
    let read = this.reads.get(versionId);
    if (!read) {
      read = callWithDeadline((abortSignal) =>
        this.sm.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionId: versionId }), { abortSignal }),
      ).then(
        (out) => ({ value: out.SecretString, createdDate: out.CreatedDate ?? null }),
        (err: unknown) => {
          if ((err as { name?: string }).name === 'ResourceNotFoundException') return null;
          throw err;
        },
      );
      // A failed read is not remembered: the caller may try again.
      read.catch(() => this.reads.delete(versionId));
      this.reads.set(versionId, read);
    }
    return read;
  }

  /**
   * Every version with its stages; the creation dates that decide whether the staged key (or the
   * rotation's own version, `token`) is newer than the current one are read with the values
   * themselves (GetSecretValue), for those versions only. (moto_server's listing stamps every
   * version with "now"; the value read carries the real date, on AWS and on moto alike.)
   */
  async versions(token?: string): Promise<VersionInfo[]> {
    const listed = await this.listed();
    const dated = new Set([listed.find((v) => v.stages.includes(CURRENT))?.id, listed.find((v) => v.stages.includes(STAGED))?.id, token]);
    return Promise.all(listed.map(async (v) => (dated.has(v.id) ? { ...v, createdDate: (await this.read(v.id))?.createdDate ?? null } : v)));
  }

  private async listed(): Promise<VersionInfo[]> {
    const out: VersionInfo[] = [];
    let token: string | undefined;
    do {
      const page = await callWithDeadline((abortSignal) =>
        this.sm.send(new ListSecretVersionIdsCommand({ SecretId: this.secretId, IncludeDeprecated: true, NextToken: token }), { abortSignal }),
      );
      for (const v of page.Versions ?? []) if (v.VersionId) out.push({ id: v.VersionId, stages: v.VersionStages ?? [], createdDate: v.CreatedDate ?? null });
      token = page.NextToken;
    } while (token);
    return out;
  }

  async valueOf(versionId: string): Promise<string | undefined | null> {
    const read = await this.read(versionId);
    return read === null ? null : read.value;
  }

  async putPending(secretString: string, token?: string): Promise<void> {
    await callWithDeadline((abortSignal) =>
      this.sm.send(new PutSecretValueCommand({ SecretId: this.secretId, ClientRequestToken: token, SecretString: secretString, VersionStages: [PENDING] }), {
        abortSignal,
      }),
    );
    if (token) this.reads.delete(token); // it holds a value from now on
  }

  /**
   * Stage a new value under the STAGED label on a fresh version (never AWSPENDING: RotateSecret
   * refuses to start while AWSPENDING is on a non-current version); returns its id.
   */
  async stage(secretString: string): Promise<string> {
    const out = await callWithDeadline((abortSignal) =>
      this.sm.send(new PutSecretValueCommand({ SecretId: this.secretId, SecretString: secretString, VersionStages: [STAGED] }), { abortSignal }),
    );
    return out.VersionId as string;
  }

  /** Take a label off one version (the version keeps its value; a version with no label is deprecated). */
  async removeStage(stage: string, versionId: string): Promise<void> {
    await callWithDeadline((abortSignal) =>
      this.sm.send(new UpdateSecretVersionStageCommand({ SecretId: this.secretId, VersionStage: stage, RemoveFromVersionId: versionId }), { abortSignal }),
    );
  }

  async moveStage(stage: string, toVersionId: string, fromVersionId: string | undefined): Promise<void> {
    await callWithDeadline((abortSignal) =>
      this.sm.send(
        new UpdateSecretVersionStageCommand({ SecretId: this.secretId, VersionStage: stage, MoveToVersionId: toVersionId, RemoveFromVersionId: fromVersionId }),
        {
          abortSignal,
        },
      ),
    );
  }

  async moveCurrent(token: string, fromVersionId: string | undefined): Promise<void> {
    await callWithDeadline((abortSignal) =>
      this.sm.send(
        new UpdateSecretVersionStageCommand({ SecretId: this.secretId, VersionStage: CURRENT, MoveToVersionId: token, RemoveFromVersionId: fromVersionId }),
        { abortSignal },
      ),
    );
  }

  async recordVerdict(verdict: RotationVerdict): Promise<void> {
    await callWithDeadline((abortSignal) =>
      this.sm.send(new TagResourceCommand({ SecretId: this.secretId, Tags: [{ Key: VERDICT_TAG, Value: verdictTagValue(verdict) }] }), { abortSignal }),
    );
  }

  /** What `key-monitor rotate` polls: where each label is, the rotation function, and the last verdict. */
  async status(): Promise<{
    currentVersionId: string | undefined;
    rotationLambdaArn: string | undefined;
    verdict: RotationVerdict | null;
    versions: { id: string; stages: string[] }[];
  }> {
    const meta = await callWithDeadline((abortSignal) => this.sm.send(new DescribeSecretCommand({ SecretId: this.secretId }), { abortSignal }));
    const versions = Object.entries(meta.VersionIdsToStages ?? {}).map(([id, stages]) => ({ id, stages }));
    const current = versions.find((v) => v.stages.includes(CURRENT))?.id;
    const tag = meta.Tags?.find((t) => t.Key === VERDICT_TAG)?.Value;
    return { currentVersionId: current, rotationLambdaArn: meta.RotationLambdaARN, verdict: parseVerdictTag(tag), versions };
  }

  /**
   * Start the rotation, attaching the rotation function when the
   * secret has none yet (the stack creates no per-secret rotation resource, so it scales to any
   * number of keys). On demand only: no schedule, since nothing can mint a key on a schedule.
   */
  async startRotation(rotationLambdaArn: string | undefined): Promise<string | undefined> {
    const out = await callWithDeadline((abortSignal) =>
      this.sm.send(new RotateSecretCommand({ SecretId: this.secretId, RotationLambdaARN: rotationLambdaArn, RotateImmediately: true }), { abortSignal }),
    );
    return out.VersionId;
  }
}
