import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CachedSecrets, readSecret } from '../../lambdas/aws/secrets.js';

const sm = mockClient(SecretsManagerClient);
const VALUE = JSON.stringify({ apiKey: 'AbCdEfGhIjKlMnOp', apiSecret: 'sEcReT0123456789' });

beforeEach(() => sm.reset());

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe('readSecret', () => {
  it('asks for AWSCURRENT and returns the parsed key with its version date', async () => {
    const created = new Date('2026-08-01T00:00:00Z');
    sm.on(GetSecretValueCommand, { SecretId: 'k', VersionStage: 'AWSCURRENT' }).resolves({ SecretString: VALUE, CreatedDate: created, VersionId: 'v1' });
    const read = await readSecret(new SecretsManagerClient({}), 'k');
    expect(read).toMatchObject({ verdict: { ok: true }, createdDate: created, versionId: 'v1' });
  });

  it.each([
    ['ResourceNotFoundException', 'does not exist'],
    ['AccessDeniedException', 'not readable with these AWS credentials'],
    ['ThrottlingException', 'could not be read (ThrottlingException)'],
  ])('names %s without echoing the SDK message', async (name, text) => {
    sm.on(GetSecretValueCommand).rejects(awsError(name, 'arn:aws:secretsmanager:…:secret:k details that might be long'));
    const read = await readSecret(new SecretsManagerClient({}), 'k');
    expect(read.verdict).toEqual({ ok: false, failure: 'CREDENTIALS_MISSING', detail: expect.stringContaining(text) });
    if (!read.verdict.ok) expect(read.verdict.detail).not.toContain('details that might be long');
  });
});

describe('CachedSecrets', () => {
  it('serves from cache within the TTL and reads again after it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALUE });
    let now = 1_000;
    const cache = new CachedSecrets(new SecretsManagerClient({}), 30_000, () => now);
    await cache.get('k');
    await cache.get('k');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now += 30_001;
    await cache.get('k');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('does not cache a failure, so a fixed secret is seen on the next run', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(awsError('ResourceNotFoundException', 'x')).resolves({ SecretString: VALUE });
    const cache = new CachedSecrets(new SecretsManagerClient({}), 30_000, () => 0);
    expect((await cache.get('k')).verdict.ok).toBe(false);
    expect((await cache.get('k')).verdict.ok).toBe(true);
  });
});
