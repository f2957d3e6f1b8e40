import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseSecretString, type CredentialsVerdict } from '../monitor/credentials.js';

export interface SecretRead {
  readonly verdict: CredentialsVerdict;
  /** When this version was created: the key's age for the rotation reminder. */
  readonly createdDate: Date | null;
  readonly versionId: string | null;
}

/** Why a secret could not be read, named without echoing anything the SDK put in its message. */
export function secretReadFailure(secretId: string, err: unknown): SecretRead {
  const name = (err as { name?: string }).name ?? 'Error';
  const why =
    name === 'ResourceNotFoundException'
      ? 'does not exist (or has no value in the requested stage)'
      : name === 'AccessDeniedException'
        ? 'is not readable with these AWS credentials (AccessDenied)'
        : name === 'CredentialsProviderError'
          ? 'could not be read: no AWS credentials found'
          : `could not be read (${name})`;
  return { verdict: { ok: false, failure: 'CREDENTIALS_MISSING', detail: `secret ${secretId} ${why}` }, createdDate: null, versionId: null };
}

export async function readSecret(
  client: SecretsManagerClient,
  secretId: string,
  select: { versionStage?: string; versionId?: string } = {},
): Promise<SecretRead> {
  try {
    // AWSCURRENT named explicitly: it is the default, but saying so keeps emulators honest too.
    const stage = select.versionStage ?? (select.versionId ? undefined : 'AWSCURRENT');
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: select.versionId }));
    return { verdict: parseSecretString(out.SecretString), createdDate: out.CreatedDate ?? null, versionId: out.VersionId ?? null };
  } catch (err) {
    return secretReadFailure(secretId, err);
  }
}

/** A read-through cache short enough that a rotated key is seen by the next scheduled run. */
export class CachedSecrets {
  private readonly cache = new Map<string, { at: number; value: SecretRead }>();
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(secretId: string): Promise<SecretRead> {
    const hit = this.cache.get(secretId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = await readSecret(this.client, secretId);
    // Failures are not cached: the operator fixing the secret should see it on the next run.
    if (value.verdict.ok) this.cache.set(secretId, { at: this.now(), value });
    else this.cache.delete(secretId);
    return value;
  }
}
