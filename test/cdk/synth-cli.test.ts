import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toolMissing } from '../support/moto.js';

// No AWS credentials, no account, no region: what a new user or CI has.
const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', CDK_DISABLE_VERSION_CHECK: '1' };
const out = mkdtempSync(join(tmpdir(), 'ekm-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function cdkSynth(args: string[]) {
  return spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', out, ...args], { env, encoding: 'utf8', timeout: 180_000 });
}

describe('npx cdk synth, offline and with no AWS account', () => {
  const run = cdkSynth(['-c', 'alertEmail=ops@example.com']);
  const templatePath = join(out, 'ExchangeKeyMonitor.template.json');

  it('synthesizes the stack and bundles both Lambdas', () => {
    expect(run.status, run.stderr).toBe(0);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(2);
    const bundles = readdirSync(out).filter((d) => d.startsWith('asset.')).map((d) => join(out, d, 'index.mjs'));
    expect(bundles.filter((b) => statSync(b, { throwIfNoEntry: false })?.isFile())).toHaveLength(2);
  });

  it.skipIf(toolMissing('cfn-lint'))('passes cfn-lint with no errors or warnings', () => {
    // W3005: CDK adds DependsOn on a Lambda's role next to a GetAtt of it; redundant, harmless, not ours.
    const lint = spawnSync('cfn-lint', ['--ignore-checks', 'W3005', '--', templatePath], { encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('refuses bad configuration with a message naming the field, and no stack trace', () => {
    const bad = cdkSynth(['-c', 'natMode=cheap']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('Invalid configuration: natMode: must be one of gateway, instance');
    expect(bad.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
