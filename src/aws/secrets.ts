import { BatchGetSecretValueCommand, GetSecretValueCommand, SecretsManagerClient, type SecretValueEntry } from '@aws-sdk/client-secrets-manager';
import { AWS_CALL_TIMEOUT_MS, SECRETS_PER_BATCH } from '../contract/defaults.js';
import { SECRET_EXAMPLE } from '../contract/secret-shape.js';
import { displaySafe } from '../exchange/text-safety.js';
import { parseSecretString, type CredentialsVerdict } from '../monitor/credentials.js';
import { secretArnParts } from '../monitor/runtime-config.js';
import type { SecretTextRead } from '../monitor/ports.js';
import type { SecretFault } from '../monitor/types.js';
import { awsCallDeadlineMs, awsClientOptions, awsFault, callWithDeadline, withoutSdkLogging } from './aws-calls.js';

export interface SecretRead {
  readonly verdict: CredentialsVerdict;
  /** When this version was created: the key's age for the rotation reminder. */
  readonly createdDate: Date | null;
  readonly versionId: string | null;
}

/** A Secrets Manager client whose every call ends: timeouts that throw, and few attempts. */
export function secretsManagerClient(opts: { timeoutMs?: number } = {}): SecretsManagerClient {
  return withoutSdkLogging(new SecretsManagerClient(awsClientOptions(opts.timeoutMs ?? AWS_CALL_TIMEOUT_MS)));
}

const FAULT_TEXT: Readonly<Record<SecretFault, string>> = {
  'not-found': 'does not exist (or is scheduled for deletion)',
  'access-denied': 'is not readable with these AWS credentials (access denied)',
  'kms-denied': 'cannot be decrypted: no kms:Decrypt on its KMS key',
  'no-region': 'could not be read: no AWS region is set',
  'no-aws-credentials': 'could not be read: no valid AWS credentials',
  throttled: 'could not be read: Secrets Manager throttled the request',
  unreachable: 'could not be read: Secrets Manager could not be reached',
  timeout: 'could not be read: Secrets Manager did not answer in time',
  'service-error': 'could not be read: Secrets Manager returned an error',
};

const PERSISTENT: ReadonlySet<SecretFault> = new Set(['not-found', 'access-denied', 'kms-denied', 'no-region', 'no-aws-credentials']);

/** Why a secret could not be read, as a typed fault with its own fix; nothing from the SDK's message. */
export function secretReadFailure(secretId: string, err: unknown): SecretRead {
  const { fault, errorName } = awsFault(err);
  const detail = `secret ${displaySafe(secretId, 120)} ${FAULT_TEXT[fault]} (${errorName})`;
  const failure = PERSISTENT.has(fault) ? 'SECRET_NOT_READABLE' : 'SECRET_STORE_UNAVAILABLE';
  return { verdict: { ok: false, failure, detail, secretFault: fault }, createdDate: null, versionId: null };
}

function fromEntry(entry: {
  SecretString?: string | undefined;
  SecretBinary?: Uint8Array | undefined;
  CreatedDate?: Date | undefined;
  VersionId?: string | undefined;
}): SecretRead {
  // A value stored as SecretBinary has no SecretString: it is there, just not in the form that can be read.
  const verdict: CredentialsVerdict =
    entry.SecretString === undefined && entry.SecretBinary !== undefined
      ? {
          ok: false,
          failure: 'CREDENTIALS_MALFORMED',
          detail: `the secret holds binary data (SecretBinary); store the key as a JSON SecretString: ${SECRET_EXAMPLE}`,
        }
      : parseSecretString(entry.SecretString);
  return { verdict, createdDate: entry.CreatedDate ?? null, versionId: entry.VersionId ?? null };
}

/** The current value of one secret (AWSCURRENT). */
export async function readSecret(client: SecretsManagerClient, secretId: string, deadlineMs: number = awsCallDeadlineMs()): Promise<SecretRead> {
  try {
    // AWSCURRENT named explicitly: it is the default, but saying so keeps emulators honest too.
    const out = await callWithDeadline(
      (abortSignal) => client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }), { abortSignal }),
      deadlineMs,
    );
    return fromEntry(out);
  } catch (err) {
    return secretReadFailure(secretId, err);
  }
}

/**
 * The batch entries by every id that asks for them: name, full ARN, ARN without its suffix. Built once
 * per batch, instead of matching each requested id against each entry's parsed ARN.
 */
function answersById(entries: readonly SecretValueEntry[]): Map<string, SecretValueEntry> {
  const by = new Map<string, SecretValueEntry>();
  const add = (id: string | undefined, entry: SecretValueEntry) => id !== undefined && !by.has(id) && by.set(id, entry);
  // Exact names and ARNs first: secret "a-bcdefg" asked for by its ARN without suffix spells the full
  // ARN of a secret "a" whose suffix is "bcdefg", and the exact match is the one asked for.
  for (const entry of entries) {
    add(entry.Name, entry);
    add(entry.ARN, entry);
  }
  for (const entry of entries) if (entry.ARN !== undefined) add(secretArnParts(entry.ARN)?.baseArn, entry);
  return by;
}

/**
 * Current values of many secrets, 20 per BatchGetSecretValue call (one API call instead of twenty).
 * Each secret's own error stays its own. If the batch action itself is denied (an SCP or an older
 * policy), fall back to one GetSecretValue per secret rather than report every key unreadable.
 */
export async function readSecrets(
  client: SecretsManagerClient,
  secretIds: readonly string[],
  deadlineMs: number = awsCallDeadlineMs(),
): Promise<Map<string, SecretRead>> {
  const out = new Map<string, SecretRead>();
  const unique = [...new Set(secretIds)];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += SECRETS_PER_BATCH) chunks.push(unique.slice(i, i + SECRETS_PER_BATCH));
  await Promise.all(
    chunks.map(async (chunk) => {
      let values: SecretValueEntry[];
      let errors: { SecretId?: string | undefined; ErrorCode?: string | undefined }[];
      try {
        const res = await callWithDeadline((abortSignal) => client.send(new BatchGetSecretValueCommand({ SecretIdList: chunk }), { abortSignal }), deadlineMs);
        values = res.SecretValues ?? [];
        errors = res.Errors ?? [];
      } catch (err) {
        // Throttling is answered by waiting, not by twenty more calls. Anything else (the batch action
        // denied, a stall, an error) is retried one secret at a time, so one bad secret cannot take
        // its nineteen batch-mates down with it.
        if (awsFault(err).fault === 'throttled') {
          for (const id of chunk) out.set(id, secretReadFailure(id, err));
        } else {
          await Promise.all(chunk.map(async (id) => out.set(id, await readSecret(client, id, deadlineMs))));
        }
        return;
      }
      const missing: string[] = [];
      const answering = answersById(values);
      for (const id of chunk) {
        const entry = answering.get(id);
        if (entry) {
          out.set(id, fromEntry(entry));
          continue;
        }
        const error = errors.find((e) => e.SecretId === id);
        if (error) out.set(id, secretReadFailure(id, { name: error.ErrorCode ?? 'Error' }));
        else missing.push(id);
      }
      // Neither a value nor an error for it: ask for it on its own rather than guess.
      await Promise.all(missing.map(async (id) => out.set(id, await readSecret(client, id, deadlineMs))));
    }),
  );
  return out;
}

/** Two good reads of the same secret version holding the same key pair. */
function sameRead(a: SecretRead, b: SecretRead): boolean {
  return (
    a.verdict.ok &&
    b.verdict.ok &&
    a.versionId !== null &&
    a.versionId === b.versionId &&
    a.createdDate?.getTime() === b.createdDate?.getTime() &&
    a.verdict.credentials.apiKey === b.verdict.credentials.apiKey &&
    a.verdict.credentials.apiSecret === b.verdict.credentials.apiSecret
  );
}

/**
 * A read-through cache short enough that a rotated key is seen by the next scheduled run. Only
 * good verdicts are kept: an operator fixing a secret sees the fix on the next run.
 */
export class CachedSecrets {
  private readonly cache = new Map<string, { at: number; value: SecretRead }>();
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly deadlineMs: number = awsCallDeadlineMs(),
  ) {}

  async getMany(secretIds: readonly string[]): Promise<Map<string, SecretRead>> {
    const out = new Map<string, SecretRead>();
    const stale: string[] = [];
    for (const id of new Set(secretIds)) {
      const hit = this.cache.get(id);
      if (hit && this.now() - hit.at < this.ttlMs) out.set(id, hit.value);
      else stale.push(id);
    }
    if (stale.length > 0) {
      const fresh = await readSecrets(this.client, stale, this.deadlineMs);
      for (const [id, read] of fresh) {
        // The same version with the same key pair as before: the read already held stands (a warm run
        // keeps its thousand secrets instead of promoting a thousand new copies to the old generation).
        const held = this.cache.get(id)?.value;
        const value = held && sameRead(held, read) ? held : read;
        out.set(id, value);
        if (value.verdict.ok) this.cache.set(id, { at: this.now(), value });
        else this.cache.delete(id);
      }
    }
    return out;
  }

  async get(secretId: string): Promise<SecretRead> {
    return (await this.getMany([secretId])).get(secretId) as SecretRead;
  }
}

/** A secret holding one token: a plain string, or {"token":"…"}. Used for the proxy token. */
export async function readSecretText(secretId: string, client: SecretsManagerClient = secretsManagerClient()): Promise<SecretTextRead> {
  const named = `secret ${displaySafe(secretId, 120)}`;
  try {
    const out = await callWithDeadline((abortSignal) => client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal }));
    if (out.SecretString === undefined && out.SecretBinary !== undefined) {
      return { ok: false, fault: null, detail: `${named} holds binary data (SecretBinary); store the token as a SecretString` };
    }
    const raw = (out.SecretString ?? '').trim();
    let text = raw;
    try {
      const json = JSON.parse(raw) as unknown;
      if (json && typeof json === 'object' && typeof (json as { token?: unknown }).token === 'string') text = (json as { token: string }).token.trim();
    } catch {
      // a plain token
    }
    return text ? { ok: true, text } : { ok: false, fault: null, detail: `${named} holds no token (its value is empty)` };
  } catch (err) {
    const { fault, errorName } = awsFault(err);
    return { ok: false, fault, detail: `${named} ${FAULT_TEXT[fault]} (${errorName})` };
  }
}
