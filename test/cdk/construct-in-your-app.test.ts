import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
// The sources; test/package/ installs the packed package into apps of their own and imports it by name.
import { ConfigError, ExchangeKeyMonitor, LambdaBundleMissingError, MonitorEgress, NatMode, type ExchangeKeyMonitorProps } from '../../cdk/index.js';
import { bundleDir, packageRoot } from '../../cdk/constructs/lambda-code.js';
import { MONITOR_ALARMS } from '../../cdk/constructs/monitor-alarms.js';
import { HOSTILE_BASE_URLS } from '../support/hostile-base-urls.js';

/** The monitor dropped into a team's own CDK app, next to the bot, sharing the bot's VPC and NAT. */
function botApp() {
  const app = new App();
  const stack = new Stack(app, 'TradingBot');
  const vpc = new ec2.Vpc(stack, 'BotVpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: false });
  vpc.addFlowLog('BotVpcFlowLogs');
  const monitor = new ExchangeKeyMonitor(stack, 'KeyMonitor', {
    keys: [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }],
    egress: MonitorEgress.existingVpc(vpc, { egressIps: ['203.0.113.7'] }),
    alerts: { emails: ['ops@example.com'] },
  });
  return { app, stack, vpc, monitor, template: Template.fromStack(stack) };
}

describe('ExchangeKeyMonitor inside your own CDK app', () => {
  it('runs its Lambdas in your VPC’s private subnets and creates no NAT or Elastic IP of its own', () => {
    const { template, vpc, stack } = botApp();
    template.resourceCountIs('AWS::EC2::NatGateway', 1); // the bot's own
    template.resourceCountIs('AWS::EC2::EIP', 1); // the bot NAT's
    const privateSubnets = vpc.privateSubnets.map((s) => stack.resolve(s.subnetId));
    const check = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => String(f.Properties['Description']).startsWith('Checks each'));
    expect(check?.Properties['VpcConfig'].SubnetIds).toEqual(privateSubnets);
    expect(check?.Properties['Environment'].Variables['EXPECTED_EGRESS_IP']).toBe('203.0.113.7');
  });

  it('passes cdk-nag in someone else’s stack, with the same fixed alarm set', () => {
    const { app, template } = botApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    template.resourceCountIs('AWS::CloudWatch::Alarm', MONITOR_ALARMS.length);
  });

  it('encodes a Teams channel id given as Teams shows it, the only form CloudFormation accepts', () => {
    const app = new App();
    const stack = new Stack(app, 'TradingBot');
    new ExchangeKeyMonitor(stack, 'KeyMonitor', {
      keys: [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }],
      egress: MonitorEgress.proxy('https://proxy.example.com:3128', { egressIps: ['198.51.100.9'] }),
      alerts: { teams: { tenantId: '00000000-0000-0000-0000-000000000000', teamId: '11111111-1111-1111-1111-111111111111', channelId: '19:def@thread.tacv2' } },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', { TeamsChannelId: '19%3adef%40thread.tacv2' });
  });

  it('takes exchangeBaseUrl as the context setting does: "uat" resolves, http:// or an endpoint path fails synth with the setting named', () => {
    const make = (exchangeBaseUrl: string) => {
      const app = new App();
      const stack = new Stack(app, 'TradingBot');
      new ExchangeKeyMonitor(stack, 'KeyMonitor', {
        keys: [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }],
        egress: MonitorEgress.proxy('https://proxy.example.com:3128', { egressIps: ['198.51.100.9'] }),
        exchangeBaseUrl,
      });
      return Template.fromStack(stack);
    };
    const check = Object.values(make('uat').findResources('AWS::Lambda::Function')).find((f) => String(f.Properties['Description']).startsWith('Checks each'));
    expect(check?.Properties['Environment'].Variables['EXCHANGE_BASE_URL']).toBe('https://uat-api.3ona.co/exchange/v1');
    for (const bad of ['http://api.crypto.com/exchange/v1', 'https://api.crypto.com/exchange/v1/private/cancel-all-orders?_=']) {
      expect(() => make(bad)).toThrow(/exchangeBaseUrl/);
    }
  });

  it.each(HOSTILE_BASE_URLS)('refuses an exchangeBaseUrl that names a method in any spelling: %s', (bad) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TradingBot');
    const make = () =>
      new ExchangeKeyMonitor(stack, 'KeyMonitor', {
        keys: [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }],
        egress: MonitorEgress.proxy('https://proxy.example.com:3128', { egressIps: ['198.51.100.9'] }),
        exchangeBaseUrl: bad,
      });
    expect(make).toThrow(/exchangeBaseUrl: must be "production", "uat" or the https:\/\/ API root \(must be the API root/);
  });
});

/** The synthesized cloud assembly: the template and each function's staged code folder. */
function assembly(props: Partial<ExchangeKeyMonitorProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'TradingBot');
  new ExchangeKeyMonitor(stack, 'KeyMonitor', {
    keys: [{ name: 'trading', secretName: 'prod/cdc-trading' }],
    egress: MonitorEgress.proxy('https://proxy.example.com:3128', { egressIps: ['198.51.100.9'] }),
    ...props,
  });
  const dir = app.synth().directory;
  const template = Template.fromStack(stack);
  const fns = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Description: string; Code: { S3Key: string } } }[];
  const code = (prefix: string) => {
    const fn = fns.find((f) => f.Properties.Description.startsWith(prefix));
    if (!fn) throw new Error(`no function ${prefix}`);
    return join(dir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  };
  return { template, fns, code };
}

describe('props in the CDK idiom', () => {
  it('egress from MonitorEgress.ownNat: a NAT instance holding your Elastic IP, across two AZs', () => {
    const app = new App();
    const stack = new Stack(app, 'TradingBot');
    new ExchangeKeyMonitor(stack, 'KeyMonitor', {
      keys: [{ name: 'trading', secretName: 'prod/cdc-trading' }],
      egress: MonitorEgress.ownNat({ natMode: NatMode.INSTANCE, maxAzs: 2, eip: { allocationId: 'eipalloc-0123456789abcdef0', publicIp: '203.0.113.7' } }),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    template.hasResourceProperties('AWS::EC2::EIPAssociation', { AllocationId: 'eipalloc-0123456789abcdef0' });
    const check = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => String(f.Properties['Description']).startsWith('Checks each'));
    expect(check?.Properties['Environment'].Variables['EXPECTED_EGRESS_IP']).toBe('203.0.113.7');
    expect(check?.Properties['VpcConfig'].SubnetIds).toHaveLength(2);
  });

  it('the proxy token secret belongs to MonitorEgress.proxy: its ARN in the environment, read access for the check Lambda', () => {
    const app = new App();
    const stack = new Stack(app, 'TradingBot');
    const tokenSecret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Token',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/proxy-token-AbCdEf',
    );
    new ExchangeKeyMonitor(stack, 'KeyMonitor', {
      keys: [{ name: 'trading', secretName: 'prod/cdc-trading' }],
      egress: MonitorEgress.proxy('https://proxy.example.com:3128', { egressIps: ['198.51.100.9'], tokenSecret }),
    });
    const template = Template.fromStack(stack);
    const check = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => String(f.Properties['Description']).startsWith('Checks each'));
    expect(check?.Properties['Environment'].Variables['EXCHANGE_PROXY_TOKEN_SECRET_ID']).toBe(tokenSecret.secretArn);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(tokenSecret.secretArn);
  });

  it('refuses, by name, what would deploy a monitor that cannot work or leaks a credential', () => {
    const vpc = () => new ec2.Vpc(new Stack(new App(), 'S'), 'Vpc');
    expect(() => MonitorEgress.ownNat({ maxAzs: 3 })).toThrow(new ConfigError('maxAzs', 'must be 1 or 2 (one NAT either way), got 3'));
    expect(() => MonitorEgress.existingVpc(vpc(), { egressIps: [] })).toThrow(/^egressIps: name the public IPv4 address/);
    expect(() => MonitorEgress.existingVpc(vpc(), { egressIps: ['203.0.113'] })).toThrow('egressIps: "203.0.113" is not an IPv4 address');
    let refused: unknown;
    try {
      MonitorEgress.proxy('https://bot:hunter2@proxy.example.com:3128', { egressIps: ['198.51.100.9'] });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect(String(refused)).toContain('proxyUrl: must not carry credentials');
    expect(String(refused)).not.toContain('hunter2');
  });

  it('refuses a key list the Lambdas could not use: a token for a secret, a bad or repeated name', () => {
    const withKeys = (keys: ExchangeKeyMonitorProps['keys']) => () => {
      const stack = new Stack(new App(), 'TradingBot');
      const secret = new secretsmanager.Secret(stack, 'Created');
      new ExchangeKeyMonitor(stack, 'KeyMonitor', { keys: keys.map((k) => (k.secretArn === 'TOKEN' ? { ...k, secretArn: secret.secretArn } : k)) });
    };
    expect(withKeys([{ name: 'trading', secretArn: 'TOKEN' }])).toThrow('keys[0].secretArn: must be a literal string, not a token');
    expect(withKeys([{ name: 'trading bot', secretName: 'a' }])).toThrow('keys[0].name: letters, digits, - and _ only');
    expect(
      withKeys([
        { name: 'a', secretName: 'a' },
        { name: 'a', secretName: 'b' },
      ]),
    ).toThrow('keys[1].name: "a" is used twice');
  });
});

describe('prebuilt Lambda code', () => {
  it('ships the prebuilt bundles as they are; the key list is staged next to the check and rotation bundles', () => {
    const { code } = assembly();
    const built = (name: string) => readFileSync(join(packageRoot(), 'dist', 'lambda', name, 'index.mjs'));
    expect(readFileSync(join(code('Delivers'), 'index.mjs')).equals(built('notify'))).toBe(true);
    expect(readFileSync(join(code('Checks each'), 'index.mjs')).equals(built('check'))).toBe(true);
    expect(readFileSync(join(code('Secrets Manager rotation'), 'index.mjs')).equals(built('rotate'))).toBe(true);
    // Every file of the built folder ships (the chunks loaded on demand, undici's parser), and nothing else.
    for (const [fn, name] of [
      ['Delivers', 'notify'],
      ['Checks each', 'check'],
    ] as const) {
      const shipped = readdirSync(code(fn)).filter((f) => f !== 'monitored-keys.json');
      expect(shipped.sort(), name).toEqual(readdirSync(join(packageRoot(), 'dist', 'lambda', name)).sort());
    }
    expect(readdirSync(code('Delivers'))).toContain('llhttp_simd-wasm.cjs');
    expect(JSON.parse(readFileSync(join(code('Checks each'), 'monitored-keys.json'), 'utf8'))).toEqual([
      { name: 'trading', secretId: 'prod/cdc-trading', expectTrade: true },
    ]);
  });

  it('a key with no secret is written to the key list by the created secret’s name, never as an unresolved token', () => {
    const { code } = assembly({ keys: [{ name: 'trading' }] });
    const keys = readFileSync(join(code('Checks each'), 'monitored-keys.json'), 'utf8');
    expect(JSON.parse(keys)).toEqual([{ name: 'trading', secretId: 'exchange-key-monitor/trading', expectTrade: true }]);
  });

  it('ships a key’s security watch settings in the key list the check function reads', () => {
    const settings = {
      securityWatch: false,
      fundsDropPercent: 30,
      assetVanishedUsd: 5000,
      botClientOidPrefix: 'bot-',
      allowedWithdrawalAddresses: ['bc1qabc'],
      allowedWithdrawalClientWidPrefix: 'payout-',
    };
    const { code } = assembly({ keys: [{ name: 'trading', secretName: 'prod/cdc-trading', ...settings }] });
    expect(JSON.parse(readFileSync(join(code('Checks each'), 'monitored-keys.json'), 'utf8'))).toEqual([
      { name: 'trading', secretId: 'prod/cdc-trading', expectTrade: true, ...settings },
    ]);
  });

  it('is reproducible: the same props give the same asset hashes, different keys a different check asset', () => {
    const hashes = (props: Partial<ExchangeKeyMonitorProps> = {}) =>
      assembly(props)
        .fns.map((f) => f.Properties.Code.S3Key)
        .sort();
    const first = hashes();
    expect(hashes()).toEqual(first);
    const other = hashes({ keys: [{ name: 'other', secretName: 'prod/other' }] });
    expect(other.filter((h) => first.includes(h))).toHaveLength(2); // the notifier's and the ack endpoint's: neither ships the key list
  });

  it('an unbuilt package fails with a named error that says to run npm run build', () => {
    const root = mkdtempSync(join(tmpdir(), 'ekm-unbuilt-'));
    try {
      expect(() => bundleDir('check', root)).toThrow(LambdaBundleMissingError);
      expect(() => bundleDir('check', root)).toThrow(
        `the prebuilt Lambda bundle ${join(root, 'dist/lambda/check/index.mjs')} is missing; run "npm run build" in ${root} first`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
