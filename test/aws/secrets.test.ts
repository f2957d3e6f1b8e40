import { BatchGetSecretValueCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CachedSecrets, readSecret, readSecrets } from '../../src/aws/secrets.js';

const sm = mockClient(SecretsManagerClient);
const VALUE = JSON.stringify({ apiKey: 'AbCdEfGhIjKlMnOp', apiSecret: 'sEcReT0123456789' });

beforeEach(() => sm.reset());

function awsError(name: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('readSecret', () => {
  it('asks for AWSCURRENT and returns the parsed key with its version date', async () => {
    const created = new Date('2026-08-01T00:00:00Z');
    sm.on(GetSecretValueCommand, { SecretId: 'k', VersionStage: 'AWSCURRENT' }).resolves({ SecretString: VALUE, CreatedDate: created, VersionId: 'v1' });
    const read = await readSecret(new SecretsManagerClient({}), 'k');
    expect(read).toMatchObject({ verdict: { ok: true }, createdDate: created, versionId: 'v1' });
  });

  it.each([
    [awsError('ResourceNotFoundException', 'm'), 'SECRET_NOT_READABLE', 'not-found', 'does not exist'],
    [awsError('AccessDeniedException', 'm'), 'SECRET_NOT_READABLE', 'access-denied', 'access denied'],
    [awsError('DecryptionFailure', 'm'), 'SECRET_NOT_READABLE', 'kms-denied', 'kms:Decrypt'],
    [awsError('Error', 'Region is missing'), 'SECRET_NOT_READABLE', 'no-region', 'no AWS region'],
    [awsError('CredentialsProviderError', 'm'), 'SECRET_NOT_READABLE', 'no-aws-credentials', 'no valid AWS credentials'],
    [awsError('ExpiredTokenException', 'm'), 'SECRET_NOT_READABLE', 'no-aws-credentials', 'no valid AWS credentials'],
    [awsError('ThrottlingException', 'm'), 'SECRET_STORE_UNAVAILABLE', 'throttled', 'throttled'],
    [awsError('Error', 'm', { code: 'ECONNREFUSED' }), 'SECRET_STORE_UNAVAILABLE', 'unreachable', 'could not be reached'],
    [awsError('TimeoutError', 'm'), 'SECRET_STORE_UNAVAILABLE', 'timeout', 'did not answer in time'],
    [awsError('InternalServiceError', 'm'), 'SECRET_STORE_UNAVAILABLE', 'service-error', 'returned an error'],
  ])('names %s with its own fault, without echoing the SDK message', async (err, failure, secretFault, text) => {
    err.message += ' arn:aws:secretsmanager:…:secret:k details that might be long';
    sm.on(GetSecretValueCommand).rejects(err);
    const read = await readSecret(new SecretsManagerClient({}), 'k');
    expect(read.verdict).toEqual({ ok: false, failure, secretFault, detail: expect.stringContaining(text) });
    if (!read.verdict.ok) {
      expect(read.verdict.detail).not.toContain('details that might be long');
      expect(read.verdict.detail).not.toContain('(Error)');
    }
  });
});

describe('readSecrets (batched)', () => {
  it('reads 45 secrets in 3 BatchGetSecretValue calls and keeps each secret’s own error', async () => {
    const ids = Array.from({ length: 45 }, (_, i) => `s${i}`);
    sm.on(BatchGetSecretValueCommand).callsFake((input: { SecretIdList: string[] }) => ({
      SecretValues: input.SecretIdList.filter((id) => id !== 's7').map((id) => ({
        Name: id,
        ARN: `arn:aws:secretsmanager:us-east-1:1:secret:${id}-AbCdEf`,
        SecretString: VALUE,
      })),
      Errors: input.SecretIdList.filter((id) => id === 's7').map((id) => ({ SecretId: id, ErrorCode: 'ResourceNotFoundException', Message: 'x' })),
    }));
    const reads = await readSecrets(new SecretsManagerClient({}), ids);
    expect(sm.commandCalls(BatchGetSecretValueCommand).map((c) => c.args[0].input.SecretIdList?.length)).toEqual([20, 20, 5]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(reads.get('s7')?.verdict).toMatchObject({ ok: false, secretFault: 'not-found' });
    expect(ids.filter((id) => reads.get(id)?.verdict.ok)).toHaveLength(44);
  });

  it('matches entries requested by partial ARN', async () => {
    const partial = 'arn:aws:secretsmanager:us-east-1:1:secret:prod/cdc';
    sm.on(BatchGetSecretValueCommand).resolves({ SecretValues: [{ Name: 'prod/cdc', ARN: `${partial}-AbCdEf`, SecretString: VALUE }] });
    expect((await readSecrets(new SecretsManagerClient({}), [partial])).get(partial)?.verdict.ok).toBe(true);
  });

  it('gives an ARN the secret it names exactly, before one whose ARN without suffix spells the same text', async () => {
    // Secret "a" (suffix bcdefg) and secret "a-bcdefg" asked for by its ARN without suffix: the same text.
    const base = 'arn:aws:secretsmanager:us-east-1:1:secret:';
    const exactArn = `${base}a-bcdefg`;
    const other = {
      Name: 'a-bcdefg',
      ARN: `${base}a-bcdefg-XyZ123`,
      SecretString: JSON.stringify({ apiKey: 'other-key-0000', apiSecret: 'other-secret-000000' }),
    };
    const exact = { Name: 'a', ARN: exactArn, SecretString: VALUE };
    sm.on(BatchGetSecretValueCommand).resolves({ SecretValues: [other, exact] });
    const read = (await readSecrets(new SecretsManagerClient({}), [exactArn])).get(exactArn)?.verdict;
    expect(read?.ok && read.credentials.apiKey).toBe(JSON.parse(VALUE).apiKey);
  });

  it('falls back to one read per secret when the batch action itself is denied', async () => {
    sm.on(BatchGetSecretValueCommand).rejects(awsError('AccessDeniedException', 'not allowed: secretsmanager:BatchGetSecretValue'));
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALUE });
    const reads = await readSecrets(new SecretsManagerClient({}), ['a', 'b']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect([...reads.values()].every((r) => r.verdict.ok)).toBe(true);
  });

  it('gives every secret of a throttled batch its own throttled verdict (no stampede of single reads)', async () => {
    sm.on(BatchGetSecretValueCommand).rejects(awsError('ThrottlingException', 'slow down'));
    const reads = await readSecrets(new SecretsManagerClient({}), ['a', 'b']);
    expect([...reads.values()].map((r) => r.verdict)).toEqual([
      expect.objectContaining({ secretFault: 'throttled' }),
      expect.objectContaining({ secretFault: 'throttled' }),
    ]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('CachedSecrets', () => {
  it('serves from cache within the TTL and reads again after it', async () => {
    sm.on(BatchGetSecretValueCommand).resolves({ SecretValues: [{ Name: 'k', SecretString: VALUE }] });
    let now = 1_000;
    const cache = new CachedSecrets(new SecretsManagerClient({}), 30_000, () => now);
    await cache.get('k');
    await cache.get('k');
    expect(sm.commandCalls(BatchGetSecretValueCommand)).toHaveLength(1);
    now += 30_001;
    await cache.get('k');
    expect(sm.commandCalls(BatchGetSecretValueCommand)).toHaveLength(2);
  });

  it('does not cache a failure, so a fixed secret is seen on the next run', async () => {
    sm.on(BatchGetSecretValueCommand)
      .resolvesOnce({ Errors: [{ SecretId: 'k', ErrorCode: 'ResourceNotFoundException' }] })
      .resolves({ SecretValues: [{ Name: 'k', SecretString: VALUE }] });
    const cache = new CachedSecrets(new SecretsManagerClient({}), 30_000, () => 0);
    expect((await cache.get('k')).verdict.ok).toBe(false);
    expect((await cache.get('k')).verdict.ok).toBe(true);
  });

  it('a re-read of the same version keeps the read it holds; a new version, or the same version with another key pair, is taken', async () => {
    const created = new Date(Date.UTC(2026, 11, 1));
    const other = JSON.stringify({ apiKey: 'QrStUvWxYzAbCdEf', apiSecret: 'aNoThEr0123456789' });
    sm.on(BatchGetSecretValueCommand)
      .resolvesOnce({ SecretValues: [{ Name: 'k', SecretString: VALUE, VersionId: 'v1', CreatedDate: created }] })
      .resolvesOnce({ SecretValues: [{ Name: 'k', SecretString: VALUE, VersionId: 'v1', CreatedDate: new Date(created.getTime()) }] })
      .resolvesOnce({ SecretValues: [{ Name: 'k', SecretString: other, VersionId: 'v2', CreatedDate: new Date(created.getTime() + 1) }] })
      .resolves({ SecretValues: [{ Name: 'k', SecretString: VALUE, VersionId: 'v2', CreatedDate: new Date(created.getTime() + 1) }] });
    let now = 0;
    const cache = new CachedSecrets(new SecretsManagerClient({}), 1_000, () => now);
    const first = await cache.get('k');
    now += 2_000;
    expect(await cache.get('k')).toBe(first);
    now += 2_000;
    const rotated = await cache.get('k');
    expect(rotated.versionId).toBe('v2');
    expect(rotated.verdict.ok && rotated.verdict.credentials.apiKey).toBe('QrStUvWxYzAbCdEf');
    now += 2_000;
    const rewritten = await cache.get('k');
    expect(rewritten.verdict.ok && rewritten.verdict.credentials.apiKey).toBe('AbCdEfGhIjKlMnOp');
  });
});
