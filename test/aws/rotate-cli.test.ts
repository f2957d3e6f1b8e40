import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { rotateCommand } from '../../src/cli/rotate.js';

// The CLI's half of a rotation, with Secrets Manager mocked: moto cannot invoke our rotation
// Lambda, so its RotateSecret does not behave like the real service here.
const sm = mockClient(SecretsManagerClient);
const NEW = { apiKey: 'NeWkEy0123456789', apiSecret: 'nEwSeCrEt0123456789' };
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:rotation';
const TAG = 'exchange-key-monitor:rotation';

function run(input: string, waitSeconds = 1, rotationFunction: string | null = FN) {
  let stdout = '';
  let stderr = '';
  const code = rotateCommand(
    { command: 'rotate', secretId: 'ekm/key', file: undefined, waitSeconds, rotationFunction: rotationFunction ?? undefined, stack: 'ExchangeKeyMonitor' },
    { out: (t) => (stdout += t), err: (t) => (stderr += t) },
    { readInput: async () => input, secretsManager: async () => new SecretsManagerClient({ region: 'us-east-1' }), pollMs: 20 },
  );
  return code.then((c) => ({ code: c, stdout, stderr }));
}

const before = { VersionIdsToStages: { 'v-old': ['AWSCURRENT'] }, RotationLambdaARN: FN };
const OLD = { apiKey: 'oLdKeY0123456789', apiSecret: 'oLdSeCrEt0123456789' };

beforeEach(() => {
  sm.reset();
  sm.on(GetSecretValueCommand, { SecretId: 'ekm/key', VersionId: 'v-old' }).resolves({
    VersionId: 'v-old',
    SecretString: JSON.stringify(OLD),
    CreatedDate: new Date(),
  });
  sm.on(PutSecretValueCommand).resolves({ VersionId: 'v-staged' });
  sm.on(RotateSecretCommand).resolves({ VersionId: 'v-rotation' });
});

describe('key-monitor rotate', () => {
  it('stages the key as KEYMONITOR_STAGED (normalised JSON, never AWSPENDING), starts the rotation with the function, and reports the promotion (exit 0)', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce({ VersionIdsToStages: { 'v-old': ['AWSCURRENT'] } })
      .resolvesOnce({ ...before, VersionIdsToStages: { 'v-old': ['AWSCURRENT'], 'v-rotation': ['AWSPENDING'] } })
      .resolves({ VersionIdsToStages: { 'v-old': ['AWSPREVIOUS'], 'v-rotation': ['AWSCURRENT'] }, Tags: [{ Key: TAG, Value: 'promoted OK v-rotation' }] });
    const result = await run(`  ${JSON.stringify({ apiSecret: NEW.apiSecret, apiKey: NEW.apiKey })}\n`);
    expect(result.code).toBe(0);
    expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'ekm/key',
      SecretString: JSON.stringify(NEW),
      VersionStages: ['KEYMONITOR_STAGED'],
    });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(sm.commandCalls(RotateSecretCommand)[0]?.args[0].input).toMatchObject({ SecretId: 'ekm/key', RotationLambdaARN: FN });
    expect(result.stdout).toContain('waiting for the rotation');
    expect(result.stdout).toContain('Promoted: key NeWk… is now AWSCURRENT');
    expect(result.stdout + result.stderr).not.toContain(NEW.apiSecret);
    expect(result.stdout + result.stderr).not.toContain(NEW.apiKey);
  });

  it('tells a refusal apart, with its diagnosis (exit 1)', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce(before)
      .resolves({
        ...before,
        VersionIdsToStages: { 'v-old': ['AWSCURRENT'], 'v-rotation': ['AWSPENDING'] },
        Tags: [{ Key: TAG, Value: 'refused IP_NOT_WHITELISTED v-rotation' }],
      });
    const result = await run(JSON.stringify(NEW), 5);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Refused: IP_NOT_WHITELISTED — IP not whitelisted (40103)');
    expect(result.stdout).toContain('The current key is untouched');
  });

  it('ignores the verdict of an earlier rotation', async () => {
    sm.on(DescribeSecretCommand).resolves({ ...before, Tags: [{ Key: TAG, Value: 'refused AUTH_FAILED v-older-rotation' }] });
    const result = await run(JSON.stringify(NEW), 1);
    expect(result.code).toBe(3);
  });

  it('says "still running" (exit 3) when no verdict arrives before the deadline', async () => {
    sm.on(DescribeSecretCommand).resolves({ ...before, VersionIdsToStages: { 'v-old': ['AWSCURRENT'], 'v-rotation': ['AWSPENDING'] } });
    const result = await run(JSON.stringify(NEW), 1);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('Still running after 1 s');
    expect(result.stdout).toContain('The current key is untouched');
  });

  it('refuses to stage on a secret with no current key: its first value would go live at once, unchecked (exit 2)', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: {}, RotationLambdaARN: FN });
    const result = await run(JSON.stringify(NEW), 0);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('has no current key yet');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(0);
  });

  it('says the key is staged but not live when RotateSecret is refused after staging (exit 2)', async () => {
    sm.on(DescribeSecretCommand).resolves(before);
    sm.on(RotateSecretCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const result = await run(JSON.stringify(NEW), 0);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('lambda:InvokeFunction');
    expect(result.stderr).toContain(
      'The new key is staged (KEYMONITOR_STAGED, version v-staged) but was not checked or promoted; the current key is untouched.',
    );
    expect(result.stderr).not.toContain('Nothing was staged');
  });

  it('refuses the key that is already current, same key and same secret, before staging anything (exit 1)', async () => {
    sm.on(DescribeSecretCommand).resolves(before);
    sm.on(GetSecretValueCommand, { SecretId: 'ekm/key', VersionId: 'v-old' }).resolves({
      VersionId: 'v-old',
      SecretString: JSON.stringify(NEW),
      CreatedDate: new Date(),
    });
    const result = await run(`${JSON.stringify({ apiSecret: NEW.apiSecret, apiKey: NEW.apiKey })}\n`, 5);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'key-monitor: key NeWk… with this secret is already the current key of ekm/key (version v-old): same key, nothing changed. Nothing was staged.',
    );
    expect(result.stdout + result.stderr).not.toMatch(/delete/i);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('lets the same key with another secret through (a mistyped secret fixed) and says there is no old key to delete (exit 0)', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'ekm/key', VersionId: 'v-old' }).resolves({
      VersionId: 'v-old',
      SecretString: JSON.stringify({ apiKey: NEW.apiKey, apiSecret: 'tYpOsEcReT0123456789' }),
      CreatedDate: new Date(),
    });
    sm.on(DescribeSecretCommand)
      .resolvesOnce(before)
      .resolves({
        ...before,
        VersionIdsToStages: { 'v-old': ['AWSPREVIOUS'], 'v-rotation': ['AWSCURRENT'] },
        Tags: [{ Key: TAG, Value: 'promoted OK v-rotation' }],
      });
    const result = await run(JSON.stringify(NEW), 5);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'Same key NeWk… with another secret: once the rotation has checked it, only the stored secret changes (there is no old key to delete on the exchange).',
    );
    expect(result.stdout).toContain(
      'Promoted: the secret of key NeWk… was replaced; the previous value is kept as AWSPREVIOUS. There is no old key to delete on the exchange.',
    );
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(1);
  });

  it('starts the rotation when the current key cannot be read to compare, and says the rotation compares it', async () => {
    sm.on(DescribeSecretCommand).resolves(before);
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const result = await run(JSON.stringify(NEW), 0);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('Could not read the current key to compare it with the new one');
    expect(result.stdout).toContain('the rotation Lambda refuses the same key itself');
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(1);
  });

  it.each([
    ['SAME_KEY', 'Refused: SAME_KEY — same key, nothing changed.'],
    ['CURRENT_MOVED', 'Refused: CURRENT_MOVED — AWSCURRENT was moved while it ran.'],
  ])('names a %s stop of the rotation Lambda in words (exit 1)', async (diagnosis, said) => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce(before)
      .resolves({ ...before, Tags: [{ Key: TAG, Value: `refused ${diagnosis} v-rotation` }] });
    const result = await run(JSON.stringify(NEW), 5);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(said);
  });

  it('refuses malformed input without calling AWS (exit 2)', async () => {
    const result = await run('{"apiKey": "only-a-key-here"}');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nothing was staged: API secret not set');
    expect(sm.calls()).toHaveLength(0);
  });

  it('uses the rotation function the secret already has when none is given', async () => {
    sm.on(DescribeSecretCommand).resolves(before);
    const result = await run(JSON.stringify(NEW), 0, null);
    expect(result.code).toBe(3);
    expect(sm.commandCalls(RotateSecretCommand)[0]?.args[0].input.RotationLambdaARN).toBeUndefined();
  });

  it('clears an unfinished earlier rotation (AWSPENDING on a non-current version) before staging, else RotateSecret would refuse', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce({ ...before, VersionIdsToStages: { 'v-old': ['AWSCURRENT'], 'v-stuck': ['AWSPENDING'] } })
      .resolves(before);
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    const result = await run(JSON.stringify(NEW), 0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).toEqual({
      SecretId: 'ekm/key',
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: 'v-stuck',
    });
    expect(result.stdout).toContain('Cleared an unfinished earlier rotation (version v-stuck');
    const order = sm.calls().map((c) => (c.args[0] as object).constructor.name);
    expect(order.indexOf('UpdateSecretVersionStageCommand')).toBeLessThan(order.indexOf('RotateSecretCommand'));
  });

  it('does not wait with --wait-seconds 0, and says nothing is known yet (exit 3, not "promoted")', async () => {
    sm.on(DescribeSecretCommand).resolves(before);
    const result = await run(JSON.stringify(NEW), 0);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('Not waiting');
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(1);
  });
});
