import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { rotateCommand } from '../../lambdas/cli/rotate.js';

// The CLI's half of a rotation, with Secrets Manager mocked: moto cannot invoke our rotation
// Lambda, so its RotateSecret does not behave like the real service here.
const sm = mockClient(SecretsManagerClient);
const NEW = { apiKey: 'NeWkEy0123456789', apiSecret: 'nEwSeCrEt0123456789' };
const OLD = { apiKey: 'OlDkEy0123456789', apiSecret: 'oLdSeCrEt0123456789' };

function run(input: string, waitSeconds = 1) {
  let stdout = '';
  let stderr = '';
  const code = rotateCommand(
    { command: 'rotate', secretId: 'ekm/key', file: undefined, waitSeconds },
    { out: (t) => (stdout += t), err: (t) => (stderr += t) },
    { readInput: async () => input, secretsManager: async () => new SecretsManagerClient({ region: 'us-east-1' }), pollMs: 20 },
  );
  return code.then((c) => ({ code: c, stdout, stderr }));
}

beforeEach(() => {
  sm.reset();
  sm.on(PutSecretValueCommand).resolves({ VersionId: 'v-staged' });
  sm.on(RotateSecretCommand).resolves({ VersionId: 'v-rotation' });
});

describe('key-monitor rotate', () => {
  it('stages the key as AWSPENDING (normalised JSON), starts the rotation and reports the promotion', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce({ VersionIdsToStages: { 'v-old': ['AWSCURRENT'] } })
      .resolvesOnce({ VersionIdsToStages: { 'v-old': ['AWSCURRENT'], 'v-rotation': ['AWSPENDING'] } })
      .resolves({ VersionIdsToStages: { 'v-old': ['AWSPREVIOUS'], 'v-rotation': ['AWSCURRENT', 'AWSPENDING'] } });
    sm.on(GetSecretValueCommand, { SecretId: 'ekm/key', VersionStage: 'AWSCURRENT' }).resolves({ SecretString: JSON.stringify(NEW) });
    const result = await run(`  ${JSON.stringify({ apiSecret: NEW.apiSecret, apiKey: NEW.apiKey })}\n`);
    expect(result.code).toBe(0);
    expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: 'ekm/key', SecretString: JSON.stringify(NEW), VersionStages: ['AWSPENDING'] });
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(1);
    expect(result.stdout).toContain('Promoted: key NeWk… is now AWSCURRENT');
    expect(result.stdout + result.stderr).not.toContain(NEW.apiSecret);
    expect(result.stdout + result.stderr).not.toContain(NEW.apiKey);
  });

  it('says "not promoted" (exit 1) when the rotation Lambda refuses the key', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'v-old': ['AWSCURRENT'], 'v-rotation': ['AWSPENDING'] } });
    const result = await run(JSON.stringify(NEW), 1);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Not promoted within 1 s');
    expect(result.stdout).toContain('The current key is untouched');
  });

  it('does not call it promoted when AWSCURRENT moved to something else', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce({ VersionIdsToStages: { 'v-old': ['AWSCURRENT'] } })
      .resolves({ VersionIdsToStages: { 'v-other': ['AWSCURRENT'] } });
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(OLD) });
    const result = await run(JSON.stringify(NEW));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('not to the staged key');
  });

  it('refuses malformed input without calling AWS', async () => {
    const result = await run('{"apiKey": "only-a-key-here"}');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nothing was staged: API secret not set');
    expect(sm.calls()).toHaveLength(0);
  });

  it('does not wait with --wait-seconds 0', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'v-old': ['AWSCURRENT'] } });
    const result = await run(JSON.stringify(NEW), 0);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Not waiting');
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(1);
  });
});
