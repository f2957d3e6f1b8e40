import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSecret, readSecrets, secretsManagerClient } from '../../src/aws/secrets.js';
import { awsAgainstBlackHole } from '../support/black-hole.js';

describe('a Secrets Manager endpoint that accepts connections and never answers', () => {
  awsAgainstBlackHole({ beforeAll, afterAll });

  it('ends a single read within its deadline, as a typed timeout, instead of hanging', async () => {
    const client = secretsManagerClient({ timeoutMs: 300 });
    const started = Date.now();
    const read = await readSecret(client, 'k', 1_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(read.verdict).toMatchObject({ ok: false, failure: 'SECRET_STORE_UNAVAILABLE', secretFault: 'timeout' });
    client.destroy();
  });

  it('ends a batched read too, every secret with its own timeout verdict', async () => {
    const client = secretsManagerClient({ timeoutMs: 300 });
    const started = Date.now();
    const reads = await readSecrets(client, ['a', 'b', 'c']);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect([...reads.values()].map((r) => r.verdict)).toEqual(Array(3).fill(expect.objectContaining({ secretFault: 'timeout' })));
    client.destroy();
  });
});
