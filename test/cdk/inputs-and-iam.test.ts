import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type KeyConfig } from '../../cdk/config.js';
import { MonitorEgress } from '../../cdk/constructs/egress-network.js';
import { ExchangeKeyMonitor, type ExchangeKeyMonitorProps } from '../../cdk/constructs/exchange-key-monitor.js';
import { EXACT_INVOKE_LIMIT } from '../../cdk/constructs/secret-access.js';
import { toolMissing } from '../support/moto.js';
import { synth } from '../support/synth.js';

const get = (ctx: Record<string, unknown>) => (name: string) => ctx[name];
const VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: 'eu-west-1a',
  privateSubnetIds: 'subnet-0123456789abcdef0',
  privateSubnetRouteTableIds: 'rtb-0123456789abcdef0',
};
const arn = (region: string, name: string) => `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-AbCdEf`;
const keysJson = (...keys: object[]) => JSON.stringify(keys);

function configError(ctx: Record<string, unknown>): ConfigError {
  try {
    loadConfig(get(ctx));
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(ctx)}`);
}

describe('settings that could never work fail synth with the setting named', () => {
  it.each([
    // A proxy token must not cross the network in clear text.
    [
      { proxyUrl: 'http://proxy.example.com:3128', proxyTokenSecretName: 'prod/proxy-token', egressIps: '198.51.100.9' },
      'proxyUrl',
      /token would travel in clear text; use https:\/\//,
    ],
    [{ proxyUrl: 'HTTP://10.0.0.5:3128', proxyTokenSecretName: 'prod/proxy-token', egressIps: '198.51.100.9' }, 'proxyUrl', /clear text/],
    // A CONNECT proxy has no path or query: refused, not silently dropped.
    [{ proxyUrl: 'https://proxy.example.com:3128/squid', egressIps: '198.51.100.9' }, 'proxyUrl', /no path, query or fragment/],
    [{ proxyUrl: 'https://proxy.example.com:3128/?token=abc', egressIps: '198.51.100.9' }, 'proxyUrl', /no path, query or fragment/],
    [{ proxyUrl: 'https://proxy.example.com:3128#x', egressIps: '198.51.100.9' }, 'proxyUrl', /no path, query or fragment/],
    [{ proxyUrl: 'https://proxy.example.com:3128/%2e', egressIps: '198.51.100.9' }, 'proxyUrl', /no path, query or fragment/],
    [{ proxyUrl: 'https://proxy.example.com:3128?', egressIps: '198.51.100.9' }, 'proxyUrl', /no path, query or fragment/],
    // Secrets in two regions: at least one the Lambdas could never read.
    [
      { keys: keysJson({ name: 'a', secretArn: arn('eu-west-1', 'a') }, { name: 'b', secretArn: arn('us-east-1', 'b') }) },
      'keys[1].secretArn',
      /us-east-1, but keys\[0\]\.secretArn is in eu-west-1/,
    ],
    [
      { keys: keysJson({ name: 'a', secretArn: arn('eu-west-1', 'a') }, { name: 'n', secretName: 'x' }, { name: 'b', secretArn: arn('ap-southeast-1', 'b') }) },
      'keys[2].secretArn',
      /ap-southeast-1/,
    ],
    // Private, loopback, link-local, CGNAT and other non-public egress addresses.
    [{ ...VPC, egressIps: '10.0.0.5' }, 'egressIps', /"10\.0\.0\.5" is a private address \(RFC 1918, 10\.0\.0\.0\/8\)/],
    [{ ...VPC, egressIps: '198.51.100.7,172.16.3.4' }, 'egressIps', /RFC 1918, 172\.16\.0\.0\/12/],
    [{ ...VPC, egressIps: '172.31.255.255' }, 'egressIps', /RFC 1918/],
    [{ ...VPC, egressIps: '192.168.1.1' }, 'egressIps', /RFC 1918, 192\.168/],
    [{ ...VPC, egressIps: '127.0.0.1' }, 'egressIps', /loopback/],
    [{ ...VPC, egressIps: '169.254.169.254' }, 'egressIps', /link-local/],
    [{ ...VPC, egressIps: '100.64.0.1' }, 'egressIps', /carrier-grade NAT/],
    [{ ...VPC, egressIps: '100.127.255.254' }, 'egressIps', /carrier-grade NAT/],
    [{ ...VPC, egressIps: '0.0.0.0' }, 'egressIps', /unspecified/],
    [{ ...VPC, egressIps: '224.0.0.251' }, 'egressIps', /multicast/],
    [{ ...VPC, egressIps: '255.255.255.255' }, 'egressIps', /reserved/],
    [{ ...VPC, egressIps: '198.18.0.1' }, 'egressIps', /benchmarking address \(RFC 2544/],
    [{ ...VPC, egressIps: '198.19.255.254' }, 'egressIps', /benchmarking/],
    [{ ...VPC, egressIps: '192.0.0.8' }, 'egressIps', /IETF protocol assignment/],
    [{ proxyUrl: 'https://proxy.example.com:3128', egressIps: '192.168.0.10' }, 'egressIps', /public address/],
    [{ eipAllocationId: 'eipalloc-0123456789abcdef0', eipPublicIp: '10.1.2.3' }, 'eipPublicIp', /private address/],
  ])('%o fails naming %s', (ctx, field, message) => {
    const err = configError(ctx);
    expect(err.field).toBe(field);
    expect(err.problem).toMatch(message);
  });

  it.each([
    // The neighbours of every refused range, and the cases that stay allowed.
    [{ ...VPC, egressIps: '100.63.255.255,100.128.0.1,172.15.255.255,172.32.0.1,11.0.0.1,169.253.0.1,192.167.255.255,223.255.255.255,1.0.0.1' }],
    [{ ...VPC, egressIps: '203.0.113.7,198.51.100.7' }],
    [{ proxyUrl: 'https://proxy.example.com:3128/', proxyTokenSecretName: 'prod/proxy-token', egressIps: '198.51.100.9' }],
    [{ proxyUrl: 'http://proxy.example.com:3128', egressIps: '198.51.100.9' }], // no token, nothing to leak
    [{ proxyUrl: 'http://127.0.0.1:3128', proxyTokenSecretName: 'prod/proxy-token', egressIps: '198.51.100.9' }], // loopback
    [{ keys: keysJson({ name: 'a', secretArn: arn('eu-west-1', 'a') }, { name: 'b', secretArn: arn('eu-west-1', 'b') }) }],
  ])('accepts %o', (ctx) => {
    expect(() => loadConfig(get(ctx))).not.toThrow();
  });

  it('writes the proxy URL for the Lambdas as host and port only', () => {
    const config = loadConfig(get({ proxyUrl: ' https://proxy.example.com:3128/ ', egressIps: '198.51.100.9' }));
    expect(config.egress).toMatchObject({ mode: 'proxy', proxyUrl: 'https://proxy.example.com:3128' });
  });
});

/** The construct in someone's own app, where cdk/config.ts is never called. */
/** Egress built inside the stack, so a token secret can be referenced there. */
type EgressFor = (stack: Stack) => MonitorEgress;

function construct(props: Omit<Partial<ExchangeKeyMonitorProps>, 'egress'> & { egress?: EgressFor }, env?: { account: string; region: string }) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TradingBot', env ? { env } : {});
  const { egress, ...rest } = props;
  new ExchangeKeyMonitor(stack, 'KeyMonitor', {
    keys: [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }],
    egress: (egress ?? proxy('https://proxy.example.com:3128'))(stack),
    ...rest,
  });
  return Template.fromStack(stack);
}

function proxy(proxyUrl: string, egressIps = ['198.51.100.9'], token = false): EgressFor {
  return (stack) =>
    MonitorEgress.proxy(proxyUrl, { egressIps, ...(token ? { tokenSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Token', 'prod/proxy-token') } : {}) });
}

function constructError(props: Parameters<typeof construct>[0], env?: { account: string; region: string }): ConfigError {
  try {
    construct(props, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('the construct holds its props to the same rules', () => {
  it('refuses a proxy token over plain http:// and a proxy URL with a path, naming the prop', () => {
    expect(constructError({ egress: proxy('http://proxy.internal:3128', undefined, true) })).toMatchObject({
      field: 'egress.proxyUrl',
      problem: expect.stringContaining('clear text'),
    });
    expect(constructError({ egress: proxy('https://proxy.example.com:3128/connect') })).toMatchObject({
      field: 'egress.proxyUrl',
      problem: expect.stringContaining('no path'),
    });
    const env = (t: Template) =>
      Object.values(t.findResources('AWS::Lambda::Function')).find((f) => String(f['Properties']['Description']).startsWith('Checks each'))?.['Properties'][
        'Environment'
      ]['Variables'];
    expect(env(construct({ egress: proxy('https://proxy.example.com:3128/', undefined, true) }))['EXCHANGE_PROXY_URL']).toBe('https://proxy.example.com:3128');
  });

  it('refuses private egress addresses in every egress mode', () => {
    expect(constructError({ egress: proxy('https://proxy.example.com:3128', ['10.20.30.40']) })).toMatchObject({ field: 'egress.egressIps' });
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Bot');
    const vpc = new ec2.Vpc(stack, 'BotVpc', { maxAzs: 1, natGateways: 1, restrictDefaultSecurityGroup: false });
    const keys: KeyConfig[] = [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }];
    expect(() => new ExchangeKeyMonitor(stack, 'M1', { keys, egress: MonitorEgress.existingVpc(vpc, { egressIps: ['192.168.10.1'] }) })).toThrow(
      /egress\.egressIps: "192\.168\.10\.1" is a private address/,
    );
    expect(
      () =>
        new ExchangeKeyMonitor(stack, 'M2', {
          keys,
          egress: MonitorEgress.ownNat({ eip: { allocationId: 'eipalloc-0123456789abcdef0', publicIp: '100.64.1.1' } }),
        }),
    ).toThrow(/egress\.eip\.publicIp: "100\.64\.1\.1" is a carrier-grade NAT address/);
  });

  it('refuses a secret in another region than a stack with a known region', () => {
    const keys: KeyConfig[] = [{ name: 'trading', secretArn: arn('us-east-1', 'prod/cdc-trading'), expectTrade: true }];
    expect(constructError({ keys }, { account: '123456789012', region: 'eu-west-1' })).toMatchObject({
      field: 'keys[0].secretArn',
      problem: expect.stringContaining('is in us-east-1, but the stack deploys to eu-west-1'),
    });
    const same = construct({ keys }, { account: '123456789012', region: 'us-east-1' });
    expect(same.toJSON()['Rules']?.['KeyMonitorSecretsInStackRegion']).toBeUndefined();
  });

  it('an environment-agnostic stack cannot know its region at synth: the template stops a deploy in any other region than the secrets’', () => {
    const keys: KeyConfig[] = [{ name: 'trading', secretArn: arn('ap-northeast-1', 'prod/cdc-trading'), expectTrade: true }];
    const template = construct({ keys });
    const rules = Object.entries((template.toJSON()['Rules'] ?? {}) as Record<string, unknown>).filter(([id]) => id.includes('SecretsInStackRegion'));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.[1]).toEqual({
      Assertions: [
        {
          Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'ap-northeast-1'] },
          AssertDescription: expect.stringContaining('deploy this stack in ap-northeast-1'),
        },
      ],
    });
    // A stack whose secrets are all named (not by ARN) needs no such rule.
    expect(Object.keys((construct({}).toJSON()['Rules'] ?? {}) as object).filter((r) => r.includes('SecretsInStackRegion'))).toEqual([]);
  });

  it.skipIf(toolMissing('cfn-lint'))('that rule is valid CloudFormation (cfn-lint)', () => {
    const keys: KeyConfig[] = [{ name: 'trading', secretArn: arn('ap-northeast-1', 'prod/cdc-trading'), expectTrade: true }];
    const dir = mkdtempSync(join(tmpdir(), 'ekm-rule-'));
    try {
      const file = join(dir, 'template.json');
      writeFileSync(file, JSON.stringify(construct({ keys }).toJSON()));
      // W3005: CDK adds DependsOn on a Lambda's role next to a GetAtt of it; redundant, harmless, not ours.
      const run = spawnSync('cfn-lint', ['--ignore-checks', 'W3005', '--', file], { encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

type Permission = { Properties: Record<string, unknown> };
const invokePermissions = (t: Template) =>
  Object.values(t.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'secretsmanager.amazonaws.com' } })) as Permission[];
/** A SourceArn as text, tokens shown by name: { Ref: X } → <X>, pseudo parameters → <AWS::…>. */
const arnText = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && 'Ref' in v
      ? `<${String((v as { Ref: string }).Ref)}>`
      : v && typeof v === 'object' && 'Fn::Join' in v
        ? (v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map(arnText).join('')
        : JSON.stringify(v);
const named = (n: number, name: (i: number) => string) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ name: `bot-${i}`, secretName: name(i) })));

describe('who may invoke the rotation function: Secrets Manager, for the monitored secrets only', () => {
  it('names each secret exactly (created and by-name), with this account as the source', () => {
    const { template } = synth({
      keys: JSON.stringify([
        { name: 'main' },
        { name: 'reporting', secretName: 'prod/reporting-key', expectTrade: false },
        { name: 'ext', secretArn: arn('us-east-1', 'team/ext') },
      ]),
    });
    const created = Object.keys(template.findResources('AWS::SecretsManager::Secret', { Properties: { Name: 'exchange-key-monitor/main' } }))[0];
    const source = new Capture();
    template.hasResourceProperties(
      'AWS::Lambda::Permission',
      Match.objectLike({ Principal: 'secretsmanager.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' }, SourceArn: source }),
    );
    const sources = invokePermissions(template).map((p) => arnText(p.Properties['SourceArn']));
    expect(sources.sort()).toEqual(
      [
        `<${created}>`,
        'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:prod/reporting-key-??????',
        arn('us-east-1', 'team/ext'),
      ].sort(),
    );
    for (const p of invokePermissions(template))
      expect(p.Properties).toMatchObject({ SourceAccount: { Ref: 'AWS::AccountId' }, Action: 'lambda:InvokeFunction' });
  });

  it(`names up to ${EXACT_INVOKE_LIMIT} secrets exactly, one permission each`, () => {
    const { template } = synth({ keys: named(EXACT_INVOKE_LIMIT, (i) => `prod/cdc/bot-${i}`) });
    const sources = invokePermissions(template).map((p) => arnText(p.Properties['SourceArn']));
    expect(sources).toHaveLength(EXACT_INVOKE_LIMIT);
    for (let i = 0; i < EXACT_INVOKE_LIMIT; i++)
      expect(sources).toContain(`arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:prod/cdc/bot-${i}-??????`);
  });

  it('beyond that, one permission for the name prefix every monitored secret shares, never just the account', () => {
    const cases: [string, string][] = [
      [named(EXACT_INVOKE_LIMIT + 1, (i) => `prod/cdc/bot-${i}`), 'prod/cdc/bot-*'],
      [JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ name: `k${i}` }))), 'exchange-key-monitor/k*'],
      [named(1000, (i) => `prod/cdc/bot-${i}`), 'prod/cdc/bot-*'],
    ];
    for (const [keys, pattern] of cases) {
      const { template } = synth({ keys });
      const source = new Capture();
      template.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com' }, 1);
      template.hasResourceProperties(
        'AWS::Lambda::Permission',
        Match.objectLike({ Principal: 'secretsmanager.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' }, SourceArn: source }),
      );
      expect(arnText(source.asObject())).toBe(`arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${pattern}`);
    }
  });

  it('keeps exact names within Lambda’s 20 KB resource policy: long names switch to the pattern earlier', () => {
    const long = (i: number) => `prod/${'x'.repeat(480)}/bot-${i}`;
    const { template } = synth({ keys: named(15, long) });
    template.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com' }, 1);
    const { template: short } = synth({ keys: named(15, (i) => `prod/bot-${i}`) });
    short.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com' }, 15);
  });
});

describe('the alerts key: CloudWatch may use it for this account’s alarms only', () => {
  it('every key policy statement for cloudwatch.amazonaws.com carries aws:SourceAccount', () => {
    const { template } = synth({ alertEmail: 'ops@example.com' });
    const statements = new Capture();
    template.hasResourceProperties('AWS::KMS::Key', { KeyPolicy: { Statement: statements } });
    const forCloudWatch = (statements.asArray() as { Principal?: { Service?: string | string[] } }[]).filter((s) =>
      [s.Principal?.Service ?? []].flat().includes('cloudwatch.amazonaws.com'),
    );
    expect(forCloudWatch.length).toBeGreaterThan(0);
    for (const s of forCloudWatch) expect(s).toMatchObject({ Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: Match.arrayWith(['cloudwatch.amazonaws.com']) },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });
});
