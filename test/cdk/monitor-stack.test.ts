import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../cdk/config.js';
import { MAX_DESCRIPTION } from '../../cdk/constructs/alarm-factory.js';
import { logicalId, synth } from '../support/synth.js';

const WHITELISTED = { eipAllocationId: 'eipalloc-0123456789abcdef0', eipPublicIp: '203.0.113.7' };

const { template, app } = synth({ alertEmail: 'ops@example.com,oncall@example.com' });
const imported = synth({ ...WHITELISTED, keys: JSON.stringify([{ name: 'main', expectTrade: true }, { name: 'reporting', secretName: 'prod/reporting-key', expectTrade: false }]) });

type Res = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
const resources = (t: Template, type: string) => Object.values(t.findResources(type)) as Res[];

function alarmFor(t: Template, reason: string, key = 'default'): Res {
  const found = resources(t, 'AWS::CloudWatch::Alarm').find((a) => {
    const dims = (a.Properties['Dimensions'] ?? []) as { Name: string; Value: string }[];
    return dims.some((d) => d.Name === 'Reason' && d.Value === reason) && dims.some((d) => d.Name === 'Key' && d.Value === key);
  });
  if (!found) throw new Error(`no ${reason} alarm for ${key}`);
  return found;
}

describe('fixed egress IP', () => {
  it('sends private subnets through one NAT gateway holding a retained Elastic IP, and outputs the IP', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const eip = logicalId(template, 'AWS::EC2::EIP');
    template.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: { 'Fn::GetAtt': [eip, 'AllocationId'] } });
    // Destroying the stack must not release an address that is whitelisted on exchange keys.
    template.hasResource('AWS::EC2::EIP', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasOutput('EgressIp', { Value: { Ref: eip } });
  });

  it('reuses an already-whitelisted Elastic IP by allocation id', () => {
    imported.template.resourceCountIs('AWS::EC2::EIP', 0);
    imported.template.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: WHITELISTED.eipAllocationId });
    imported.template.hasOutput('EgressIp', { Value: '203.0.113.7' });
  });

  it('can use a NAT instance with the same fixed Elastic IP instead (cheaper)', () => {
    const { template: t } = synth({ natMode: 'instance' });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    const instance = logicalId(t, 'AWS::EC2::Instance');
    t.hasResourceProperties('AWS::EC2::EIPAssociation', { InstanceId: { Ref: instance }, AllocationId: { 'Fn::GetAtt': [logicalId(t, 'AWS::EC2::EIP'), 'AllocationId'] } });
  });

  it('keeps one NAT (one IP to whitelist) even across two AZs', () => {
    const { template: t } = synth({ maxAzs: 2 });
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(resources(t, 'AWS::EC2::Route').filter((r) => 'NatGatewayId' in r.Properties)).toHaveLength(2);
  });
});

describe('check Lambda', () => {
  const fnProps = () => {
    const fn = resources(template, 'AWS::Lambda::Function').find((f) => String(f.Properties['Description']).startsWith('Checks each'));
    if (!fn) throw new Error('check function not found');
    return fn.Properties;
  };

  it('runs Node.js 22 on arm64 with one run at a time and a timeout below the schedule', () => {
    expect(fnProps()).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], ReservedConcurrentExecutions: 1, MemorySize: 256 });
    expect(fnProps()['Timeout']).toBeLessThan(5 * 60);
  });

  it('lives only in the private subnets, whose default route is the NAT gateway', () => {
    const subnetIds = (fnProps()['VpcConfig'] as { SubnetIds: { Ref: string }[] }).SubnetIds.map((s) => s.Ref);
    const subnets = template.findResources('AWS::EC2::Subnet');
    expect(subnetIds.length).toBeGreaterThan(0);
    for (const id of subnetIds) expect((subnets[id] as Res).Properties['MapPublicIpOnLaunch']).toBe(false);
    const natRoutes = resources(template, 'AWS::EC2::Route').filter((r) => 'NatGatewayId' in r.Properties);
    const assoc = resources(template, 'AWS::EC2::SubnetRouteTableAssociation');
    for (const id of subnetIds) {
      const table = assoc.find((a) => (a.Properties['SubnetId'] as { Ref: string }).Ref === id)?.Properties['RouteTableId'];
      expect(natRoutes.some((r) => JSON.stringify(r.Properties['RouteTableId']) === JSON.stringify(table))).toBe(true);
    }
  });

  it('gets its configuration, the egress IP and no secret through the environment', () => {
    const env = (fnProps()['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['EXPECTED_EGRESS_IP']).toEqual({ Ref: logicalId(template, 'AWS::EC2::EIP') });
    expect(env['EXCHANGE_BASE_URL']).toBe('https://api.crypto.com/exchange/v1');
    expect(JSON.stringify(env)).not.toMatch(/apiSecret|api_secret/i);
    const keys = imported.template.toJSON() as { Resources: Record<string, Res> };
    const importedEnv = Object.values(keys.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties['Description']).startsWith('Checks each'));
    const monitored = (importedEnv?.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables['MONITORED_KEYS'];
    expect(JSON.stringify(monitored)).toContain('prod/reporting-key');
    expect(JSON.stringify(monitored)).toContain('\\"expectTrade\\":false');
  });

  it('is scheduled every 5 minutes with no retries and a short event age, at both EventBridge and Lambda', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });

  it('logs to an explicit log group with retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(fnProps()['LoggingConfig']).toMatchObject({ LogGroup: { Ref: expect.stringMatching(/^CheckFunctionLogs/) } });
  });
});

describe('least privilege', () => {
  it('lets the check Lambda read only the monitored secrets', () => {
    const secret = logicalId(template, 'AWS::SecretsManager::Secret');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('CheckFunction'),
      PolicyDocument: { Statement: [{ Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: secret } }] },
    });
  });

  it('scopes a by-name secret to its name and random suffix, never a wildcard', () => {
    const statements = resources(imported.template, 'AWS::IAM::Policy').flatMap((p) => (p.Properties['PolicyDocument'] as { Statement: { Action: unknown; Resource: unknown }[] }).Statement);
    const read = statements.find((s) => s.Action === 'secretsmanager:GetSecretValue');
    expect(JSON.stringify(read?.Resource)).toContain(':secret:prod/reporting-key-??????');
  });

  it('has no wildcard action or resource in any policy the stack writes', () => {
    for (const t of [template, imported.template]) {
      for (const policy of resources(t, 'AWS::IAM::Policy')) {
        for (const s of (policy.Properties['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement) {
          expect([s.Action].flat().some((a) => a.includes('*'))).toBe(false);
          expect(JSON.stringify(s.Resource)).not.toBe('"*"');
        }
      }
    }
  });

  it('allows only HTTPS out of the Lambdas’ security group, and nothing in', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('exchange-key-monitor Lambdas'),
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })],
    });
    const sg = resources(template, 'AWS::EC2::SecurityGroup').find((g) => String(g.Properties['GroupDescription']).includes('Lambdas'));
    expect(sg?.Properties['SecurityGroupIngress']).toBeUndefined();
  });

  it('passes cdk-nag AwsSolutions in every mode, each finding acknowledged with a reason', () => {
    expect(() => app.synth()).not.toThrow();
    expect(() => imported.app.synth()).not.toThrow();
    expect(() => synth({ natMode: 'instance', maxAzs: 2 })).not.toThrow();
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    const widen = (stack: { checkFunction: { addToRolePolicy(s: PolicyStatement): void } }) =>
      stack.checkFunction.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: ['*'] }));
    expect(() => synth({}, widen)).toThrow(/AwsSolutions-IAM5/);
  });
});

describe('alerts', () => {
  const topic = () => logicalId(template, 'AWS::SNS::Topic');

  it('emails every alertEmail address through an SSL-only topic', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topic() } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it.each([
    ['AUTH_FAILED', '40101'],
    ['IP_NOT_WHITELISTED', '40103'],
    ['TRADE_PERMISSION_MISSING', '40101'],
  ])('alarms per key on %s (%s) with alarm and OK actions to the topic', (reason, code) => {
    const alarm = alarmFor(template, reason);
    expect(alarm.Properties).toMatchObject({
      MetricName: 'Failure',
      Namespace: 'ExchangeKeyMonitor',
      Statistic: 'Sum',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic() }],
      OKActions: [{ Ref: topic() }],
    });
    expect(JSON.stringify(alarm.Properties['AlarmDescription'])).toContain(code);
  });

  it('puts the egress IP into the 40103 runbook', () => {
    const text = alarmFor(imported.template, 'IP_NOT_WHITELISTED', 'main').Properties['AlarmDescription'] as string;
    expect(text).toContain('Add 203.0.113.7 to the key’s IP whitelist');
    expect(text).toContain('wait 2–5 minutes');
    // With a created EIP, the description is joined around the address CloudFormation allocates.
    const joined = alarmFor(template, 'IP_NOT_WHITELISTED').Properties['AlarmDescription'];
    expect(JSON.stringify(joined)).toContain(JSON.stringify({ Ref: logicalId(template, 'AWS::EC2::EIP') }));
  });

  it('keeps every alarm description within CloudWatch’s 1024 characters', () => {
    for (const alarm of resources(imported.template, 'AWS::CloudWatch::Alarm')) {
      expect(String(alarm.Properties['AlarmDescription']).length).toBeLessThanOrEqual(MAX_DESCRIPTION);
    }
  });

  it('alarms on any other unhealthy state, without repeating the specific alarms', () => {
    const other = resources(template, 'AWS::CloudWatch::Alarm').find((a) => String(a.Properties['AlarmName']).endsWith('-UNHEALTHY'));
    const expr = (other?.Properties['Metrics'] as { Expression?: string }[]).find((m) => m.Expression)?.Expression;
    expect(expr).toBe('IF(h < 1 AND (FILL(a, 0) + FILL(i, 0) + FILL(t, 0)) == 0, 1, 0)');
    expect(other?.Properties).toMatchObject({ EvaluationPeriods: 2, OKActions: [{ Ref: topic() }] });
  });

  it('watches the monitor itself: a heartbeat that breaches on missing data, and Lambda errors', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'KeysChecked',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      OKActions: [{ Ref: topic() }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      AlarmActions: [{ Ref: topic() }],
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('CheckFunction') } }],
    });
  });

  it('can be muted for maintenance without losing the alarms', () => {
    const { template: t } = synth({ muteAlarms: 'true' });
    for (const alarm of resources(t, 'AWS::CloudWatch::Alarm')) expect(alarm.Properties['ActionsEnabled']).toBe(false);
  });

  it('has a dashboard showing the egress IP, health, latency, failure reasons and alarm states', () => {
    const body = new Capture();
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: body });
    const text = JSON.stringify(body.asObject());
    for (const needle of ['Egress IP', 'Key health', 'Exchange latency', 'Failure reasons', 'alarm']) expect(text).toContain(needle);
  });
});

describe('configuration', () => {
  const get = (ctx: Record<string, unknown>) => (name: string) => ctx[name];

  it('defaults to one created key, every 5 minutes, production, NAT gateway, 1 AZ', () => {
    expect(loadConfig(get({}))).toMatchObject({ keys: [{ name: 'default', expectTrade: true }], scheduleMinutes: 5, natMode: 'gateway', maxAzs: 1, exchangeBaseUrl: 'https://api.crypto.com/exchange/v1', eip: null });
  });

  it('accepts -c strings as well as cdk.json values', () => {
    expect(loadConfig(get({ scheduleMinutes: '10', maxAzs: 2, exchangeBaseUrl: 'uat' }))).toMatchObject({ scheduleMinutes: 10, maxAzs: 2, exchangeBaseUrl: 'https://uat-api.3ona.co/exchange/v1' });
  });

  it.each([
    [{ scheduleMinutes: '0' }, 'scheduleMinutes'],
    [{ alertEmail: 'not-an-email' }, 'alertEmail'],
    [{ natMode: 'nat-please' }, 'natMode'],
    [{ maxAzs: 3 }, 'maxAzs'],
    [{ exchangeBaseUrl: 'http://api.crypto.com' }, 'exchangeBaseUrl'],
    [{ eipAllocationId: 'eipalloc-0123456789abcdef0' }, 'eipPublicIp'],
    [{ eipAllocationId: 'abc', eipPublicIp: '203.0.113.7' }, 'eipAllocationId'],
    [{ keys: '[{"name":"a b"}]' }, 'keys[0].name'],
    [{ keys: '[{"name":"a"},{"name":"a"}]' }, 'keys[1].name'],
    [{ keys: '[{"name":"a","secretArn":"nope"}]' }, 'keys[0].secretArn'],
    [{ keys: '[{"name":"a","expectTrade":"yes"}]' }, 'keys[0].expectTrade'],
    [{ keys: '[{"name":"a","secret":"x"}]' }, 'keys[0].secret'],
    [{ keys: '[{' }, 'keys'],
    [{ muteAlarms: 'maybe' }, 'muteAlarms'],
  ])('%o fails naming %s', (ctx, field) => {
    let error: unknown;
    try {
      loadConfig(get(ctx));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });
});

describe('rotation wiring', () => {
  it('attaches on-demand rotation that never starts by itself on deploy', () => {
    const rotationFn = logicalId(template, 'AWS::Lambda::Function', (p) => String(p['Description']).startsWith('Secrets Manager rotation'));
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: logicalId(template, 'AWS::SecretsManager::Secret') },
      RotationLambdaARN: { 'Fn::GetAtt': [rotationFn, 'Arn'] },
      RotateImmediatelyOnUpdate: false,
      RotationRules: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com', FunctionName: { 'Fn::GetAtt': [rotationFn, 'Arn'] } });
  });

  it('lets the rotation Lambda change version stages of the monitored secrets only, and publish to the topic', () => {
    const secret = logicalId(template, 'AWS::SecretsManager::Secret');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('RotationFunction'),
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: Match.arrayWith(['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']), Resource: { Ref: secret } }),
          Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: logicalId(template, 'AWS::SNS::Topic') } }),
        ],
      },
    });
  });

  it('alarms on key age (default 90 days) per key', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'KeyAgeDays', Threshold: 90, Dimensions: Match.arrayWith([{ Name: 'Key', Value: 'default' }]) });
  });
});
