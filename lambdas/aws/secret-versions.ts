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
   * Every version with its stages; the creation dates that decide whether the staged key (or the
   * rotation's own version, `token`) is newer than the current one are read with the values
   * themselves (GetSecretValue), for those versions only. (moto_server's listing stamps every version with "now"; the value read carries
   * the real date, on AWS and on moto alike.)
   */
  async versions(token?: string): Promise<VersionInfo[]> {
    const listed = await this.listed();
    const dated = new Set([listed.find((v) => v.stages.includes(CURRENT))?.id, listed.find((v) => v.stages.includes(STAGED))?.id, token]);
    return Promise.all(listed.map(async (v) => (dated.has(v.id) ? { ...v, createdDate: await this.createdDateOf(v.id) } : v)));
  }

  private async createdDateOf(versionId: string): Promise<Date | null> {
    try {
      const out = await callWithDeadline((abortSignal) => this.sm.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionId: versionId }), { abortSignal }));
      return out.CreatedDate ?? null;
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return null;
      throw err;
    }
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
    try {
      const out = await callWithDeadline((abortSignal) => this.sm.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionId: versionId }), { abortSignal }));
      return out.SecretString;
    } catch (err) {
      // A version rotate-secret created but nobody wrote yet has no value: that is an answer, not a fault.
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return null;
      throw err;
    }
  }

  async putPending(secretString: string, token?: string): Promise<void> {
    await callWithDeadline((abortSignal) =>
      this.sm.send(new PutSecretValueCommand({ SecretId: this.secretId, ClientRequestToken: token, SecretString: secretString, VersionStages: [PENDING] }), { abortSignal }),
    );
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

  async moveCurrent(token: string, fromVersionId: string | undefined): Promise<void> {
    await callWithDeadline((abortSignal) =>
      this.sm.send(new UpdateSecretVersionStageCommand({ SecretId: this.secretId, VersionStage: CURRENT, MoveToVersionId: token, RemoveFromVersionId: fromVersionId }), { abortSignal }),
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
