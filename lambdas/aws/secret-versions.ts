import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { readSecret, type SecretRead } from './secrets.js';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';

/** Thin adapter over the Secrets Manager version-stage calls the rotation steps need. */
export class SecretVersions {
  constructor(
    private readonly sm: SecretsManagerClient,
    readonly secretId: string,
  ) {}

  async stages(): Promise<Record<string, string[]>> {
    const meta = await this.sm.send(new DescribeSecretCommand({ SecretId: this.secretId }));
    return meta.VersionIdsToStages ?? {};
  }

  async currentVersionId(): Promise<string | undefined> {
    return Object.entries(await this.stages()).find(([, s]) => s.includes(CURRENT))?.[0];
  }

  read(select: { versionId?: string; versionStage?: string }): Promise<SecretRead> {
    return readSecret(this.sm, this.secretId, select);
  }

  /** Versions with no staging label, newest first (where an AWSPENDING label moved away from lands). */
  async unlabelledNewerThan(since: Date | null): Promise<string[]> {
    const out = await this.sm.send(new ListSecretVersionIdsCommand({ SecretId: this.secretId, IncludeDeprecated: true }));
    return (out.Versions ?? [])
      .filter((v) => (v.VersionStages ?? []).length === 0 && v.VersionId && (!since || (v.CreatedDate && v.CreatedDate >= since)))
      .sort((a, b) => (b.CreatedDate?.getTime() ?? 0) - (a.CreatedDate?.getTime() ?? 0))
      .map((v) => v.VersionId as string);
  }

  /** Stage a value as AWSPENDING, under a given version id (rotation token) or a new one; returns it. */
  async putPending(secretString: string, token?: string): Promise<string> {
    const out = await this.sm.send(new PutSecretValueCommand({ SecretId: this.secretId, ClientRequestToken: token, SecretString: secretString, VersionStages: [PENDING] }));
    return out.VersionId as string;
  }

  /** Starts the rotation configured on the secret (the deployed rotation Lambda); returns its version id. */
  async startRotation(): Promise<string | undefined> {
    const out = await this.sm.send(new RotateSecretCommand({ SecretId: this.secretId }));
    return out.VersionId;
  }

  /** Moves AWSCURRENT; Secrets Manager labels the version it leaves AWSPREVIOUS (the backup). */
  async promote(token: string, fromVersionId: string | undefined): Promise<void> {
    await this.sm.send(
      new UpdateSecretVersionStageCommand({ SecretId: this.secretId, VersionStage: CURRENT, MoveToVersionId: token, RemoveFromVersionId: fromVersionId }),
    );
  }
}
