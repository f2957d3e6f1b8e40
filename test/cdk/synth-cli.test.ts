import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toolMissing } from '../support/moto.js';

// No AWS credentials, no account, no region: what a new user or CI has.
const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', CDK_DISABLE_VERSION_CHECK: '1' };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function cdkSynth(args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'ekm-synth-'));
  dirs.push(out);
  const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', out, ...args], { env, encoding: 'utf8', timeout: 240_000 });
  return { ...run, out, template: join(out, 'ExchangeKeyMonitor.template.json') };
}

const lint = (path: string) => spawnSync('cfn-lint', ['--ignore-checks', 'W3005', '--', path], { encoding: 'utf8' });
const cfnLintMissing = toolMissing('cfn-lint');

describe('npx cdk synth, offline and with no AWS account', () => {
  const run = cdkSynth(['-c', 'alertEmail=ops@example.com']);

  it('synthesizes the stack with all five prebuilt Lambda bundles, each with its key list where it needs one, bundling nothing', () => {
    expect(run.status, run.stderr).toBe(0);
    const template = JSON.parse(readFileSync(run.template, 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(5);
    const assets = readdirSync(run.out).filter((d) => d.startsWith('asset.') && statSync(join(run.out, d, 'index.mjs'), { throwIfNoEntry: false })?.isFile());
    expect(assets).toHaveLength(5);
    const withKeys = assets.filter((d) => statSync(join(run.out, d, 'monitored-keys.json'), { throwIfNoEntry: false })?.isFile());
    expect(withKeys).toHaveLength(3); // check, verify and rotation; the notifier and the ack endpoint need no key list
    expect(JSON.parse(readFileSync(join(run.out, withKeys[0] as string, 'monitored-keys.json'), 'utf8'))).toEqual([
      { name: 'default', secretId: 'exchange-key-monitor/default', expectTrade: true },
    ]);
    expect(run.stdout + run.stderr).not.toMatch(/Bundling asset/);
  });

  it.skipIf(cfnLintMissing)('passes cfn-lint with no errors or warnings', () => {
    // W3005: CDK adds DependsOn on a Lambda's role next to a GetAtt of it; redundant, harmless, not ours.
    const result = lint(run.template);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(cfnLintMissing)(
    'synthesizes 1,000 keys, in every egress mode, cfn-lint clean',
    () => {
      const keys = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ name: `bot-${i}`, secretName: `prod/cdc/bot-${i}` })));
      const existingVpc = [
        '-c',
        'vpcId=vpc-0123456789abcdef0',
        '-c',
        'availabilityZones=eu-west-1a',
        '-c',
        'privateSubnetIds=subnet-0123456789abcdef0',
        '-c',
        'privateSubnetRouteTableIds=rtb-0123456789abcdef0',
        '-c',
        'egressIps=198.51.100.7',
      ];
      for (const mode of [[], ['-c', 'natMode=instance'], ['-c', 'proxyUrl=http://10.0.0.5:3128', '-c', 'egressIps=198.51.100.9'], existingVpc]) {
        const big = cdkSynth(['-c', 'alertEmail=ops@example.com', '-c', `keys=${keys}`, ...mode]);
        expect(big.status, big.stderr).toBe(0);
        const template = JSON.parse(readFileSync(big.template, 'utf8')) as { Resources: Record<string, unknown> };
        expect(Object.keys(template.Resources).length).toBeLessThan(500);
        const result = lint(big.template);
        expect(result.stdout + result.stderr, mode.join(' ')).toBe('');
      }
      // Four synths and four cfn-lint runs over 1,000-key templates: minutes on 2 busy cores, not one.
    },
    300_000,
  );

  it('refuses bad configuration with a message naming the field, and no stack trace', () => {
    const bad = cdkSynth(['-c', 'natMode=cheap']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('Invalid configuration: natMode: must be one of gateway, instance');
    expect(bad.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('refuses an exchangeBaseUrl that points at a method in another case, naming the setting', () => {
    const bad = cdkSynth(['-c', 'alertEmail=ops@example.com', '-c', 'exchangeBaseUrl=https://api.crypto.com/exchange/v1/PRIVATE/cancel-all-orders']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('Invalid configuration: exchangeBaseUrl: must be "production", "uat" or the https:// API root (must be the API root');
    expect(bad.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('refuses a mistyped setting instead of deploying a monitor that tells nobody', () => {
    const typo = cdkSynth(['-c', 'alertEmal=ops@example.com']);
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toContain('Invalid configuration: alertEmal: unknown setting — did you mean alertEmail?');
  });

  it('warns loudly when no alert channel is configured', () => {
    const quiet = cdkSynth([]);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stderr).toContain('NO ALERT CHANNEL IS CONFIGURED');
  });
});
