import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
// Imported as a team's app does (package.json "exports" → ./cdk).
import { ExchangeKeyMonitor } from 'exchange-key-monitor/cdk';
import { HOSTILE_BASE_URLS } from '../support/hostile-base-urls.js';

/** The monitor dropped into a team's own CDK app, next to the bot, sharing the bot's VPC and NAT. */
function botApp() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TradingBot');
  const vpc = new ec2.Vpc(stack, 'BotVpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: false });
  vpc.addFlowLog('BotVpcFlowLogs');
  const monitor = new ExchangeKeyMonitor(stack, 'KeyMonitor', {
    keys: [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }],
    egress: { kind: 'existing-vpc', vpc, egressIps: ['203.0.113.7'] },
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
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  it('encodes a Teams channel id given as Teams shows it, the only form CloudFormation accepts', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TradingBot');
    new ExchangeKeyMonitor(stack, 'KeyMonitor', {
      keys: [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }],
      egress: { kind: 'proxy', proxyUrl: 'https://proxy.example.com:3128', egressIps: ['198.51.100.9'] },
      alerts: { teams: { tenantId: '00000000-0000-0000-0000-000000000000', teamId: '11111111-1111-1111-1111-111111111111', channelId: '19:def@thread.tacv2' } },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', { TeamsChannelId: '19%3adef%40thread.tacv2' });
  });

  it('takes exchangeBaseUrl as the context setting does: "uat" resolves, http:// or an endpoint path fails synth with the setting named', () => {
    const make = (exchangeBaseUrl: string) => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'TradingBot');
      new ExchangeKeyMonitor(stack, 'KeyMonitor', {
        keys: [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }],
        egress: { kind: 'proxy', proxyUrl: 'https://proxy.example.com:3128', egressIps: ['198.51.100.9'] },
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
        egress: { kind: 'proxy', proxyUrl: 'https://proxy.example.com:3128', egressIps: ['198.51.100.9'] },
        exchangeBaseUrl: bad,
      });
    expect(make).toThrow(/exchangeBaseUrl: must be "production", "uat" or the https:\/\/ API root \(must be the API root/);
  });
});
