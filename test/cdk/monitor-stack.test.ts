import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { checkContextKeys, ConfigError, loadConfig, MAX_CREATED_SECRETS } from '../../cdk/config.js';
import { MAX_DESCRIPTION } from '../../cdk/constructs/alarm-factory.js';
import { alarmText } from '../../cdk/constructs/monitor-alarms.js';
import { EXACT_SECRET_LIMIT } from '../../cdk/constructs/secret-access.js';
import { DIMENSION, METRIC } from '../../src/contract/metrics.js';
import { SERVICE_NAME } from '../../src/contract/service.js';
import { deliveryPk } from '../../src/contract/store.js';
import { logicalId, synth } from '../support/synth.js';
import { HOSTILE_BASE_URLS } from '../support/hostile-base-urls.js';

const WHITELISTED = { eipAllocationId: 'eipalloc-0123456789abcdef0', eipPublicIp: '203.0.113.7' };
const EXISTING_VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: 'eu-west-1a,eu-west-1b',
  privateSubnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
  privateSubnetRouteTableIds: 'rtb-0123456789abcdef0,rtb-0123456789abcdef1',
  egressIps: '198.51.100.7',
};
const PROXY = { proxyUrl: 'https://proxy.example.com:3128', proxyTokenSecretName: 'prod/proxy-token', egressIps: '198.51.100.9' };
const manyKeys = (n: number) =>
  JSON.stringify(Array.from({ length: n }, (_, i) => ({ name: `bot-${i}`, secretName: `prod/cdc/bot-${i}`, expectTrade: i % 3 !== 0 })));

const { template, app } = synth({ alertEmail: 'ops@example.com,oncall@example.com' });
const imported = synth({
  ...WHITELISTED,
  keys: JSON.stringify([
    { name: 'main', expectTrade: true },
    { name: 'reporting', secretName: 'prod/reporting-key', expectTrade: false },
  ]),
});

type Res = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
const resources = (t: Template, type: string) => Object.values(t.findResources(type)) as Res[];
const fnByDescription = (t: Template, prefix: string) => {
  const fn = resources(t, 'AWS::Lambda::Function').find((f) => String(f.Properties['Description']).startsWith(prefix));
  if (!fn) throw new Error(`no function ${prefix}`);
  return fn.Properties;
};
const statements = (t: Template) =>
  resources(t, 'AWS::IAM::Policy').flatMap(
    (p) => (p.Properties['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] }).Statement,
  );

describe('egress: where the checks leave from', () => {
  it('own NAT gateway holding a retained Elastic IP, output as the IP to whitelist', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const eip = logicalId(template, 'AWS::EC2::EIP');
    template.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: { 'Fn::GetAtt': [eip, 'AllocationId'] } });
    template.hasResource('AWS::EC2::EIP', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(JSON.stringify(template.findOutputs('EgressIps'))).toContain(JSON.stringify({ Ref: eip }));
  });

  it('reuses an already-whitelisted Elastic IP by allocation id', () => {
    imported.template.resourceCountIs('AWS::EC2::EIP', 0);
    imported.template.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: WHITELISTED.eipAllocationId });
  });

  it('a NAT instance keeps the Elastic IP and admits HTTPS from the Lambdas (or every check would time out)', () => {
    const { template: t } = synth({ natMode: 'instance' });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    const instance = logicalId(t, 'AWS::EC2::Instance');
    t.hasResourceProperties('AWS::EC2::EIPAssociation', {
      InstanceId: { Ref: instance },
      AllocationId: { 'Fn::GetAtt': [logicalId(t, 'AWS::EC2::EIP'), 'AllocationId'] },
    });
    const fnSg = logicalId(t, 'AWS::EC2::SecurityGroup', (p) => String(p['GroupDescription']).startsWith('exchange-key-monitor Lambdas'));
    const natSg = (resources(t, 'AWS::EC2::Instance')[0]?.Properties['SecurityGroupIds'] as { 'Fn::GetAtt': [string, string] }[])[0]?.['Fn::GetAtt'][0];
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [natSg, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [fnSg, 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
    });
  });

  it('keeps one NAT (one IP to whitelist) even across two AZs', () => {
    const { template: t } = synth({ maxAzs: 2 });
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(resources(t, 'AWS::EC2::Route').filter((r) => 'NatGatewayId' in r.Properties)).toHaveLength(2);
  });

  it('puts the Lambdas only in private subnets whose default route is the NAT', () => {
    const subnetIds = (fnByDescription(template, 'Checks each')['VpcConfig'] as { SubnetIds: { Ref: string }[] }).SubnetIds.map((s) => s.Ref);
    const subnets = template.findResources('AWS::EC2::Subnet');
    expect(subnetIds.length).toBeGreaterThan(0);
    for (const id of subnetIds) expect((subnets[id] as Res).Properties['MapPublicIpOnLaunch']).toBe(false);
  });

  it('exports the VPC, private subnets and a bot security group for a bot that should leave from the same IP', () => {
    template.hasOutput('VpcId', {});
    template.hasOutput('PrivateSubnetIds', {});
    template.hasOutput('BotSecurityGroupId', {});
  });

  it('in your existing VPC: no VPC, NAT or EIP of its own; your subnets; your egress IPs in the checks', () => {
    const { template: t } = synth(EXISTING_VPC);
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::Instance', 'AWS::EC2::Subnet']) t.resourceCountIs(type, 0);
    const fn = fnByDescription(t, 'Checks each');
    expect((fn['VpcConfig'] as { SubnetIds: string[] }).SubnetIds).toEqual(['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1']);
    expect((fn['Environment'] as { Variables: Record<string, string> }).Variables['EXPECTED_EGRESS_IP']).toBe('198.51.100.7');
    t.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0', GroupDescription: Match.stringLikeRegexp('no inbound, HTTPS out') });
  });

  it('through a forward proxy: no VPC or NAT at all, the proxy URL in the environment, its token read from Secrets Manager', () => {
    const { template: t } = synth(PROXY);
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::SecurityGroup']) t.resourceCountIs(type, 0);
    const fn = fnByDescription(t, 'Checks each');
    expect(fn['VpcConfig']).toBeUndefined();
    const env = (fn['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['EXCHANGE_PROXY_URL']).toBe('https://proxy.example.com:3128');
    expect(env['EXPECTED_EGRESS_IP']).toBe('198.51.100.9');
    expect(JSON.stringify(env)).not.toMatch(/token":"[^{]/i);
    expect(JSON.stringify(statements(t))).toContain(':secret:prod/proxy-token-??????');
  });
});

describe('check Lambda', () => {
  const fn = () => fnByDescription(template, 'Checks each');

  it('runs Node.js 24 (newest LTS runtime) on arm64, one run at a time, its timeout below the schedule', () => {
    expect(fn()).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], ReservedConcurrentExecutions: 1 });
    expect(fn()['Timeout']).toBeLessThan(5 * 60);
  });

  it('gets configuration, the egress IP and no secret through the environment; the key list is a bundled file', () => {
    const env = (fn()['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env['EXPECTED_EGRESS_IP']).toEqual({ Ref: logicalId(template, 'AWS::EC2::EIP') });
    expect(env['EXCHANGE_BASE_URL']).toBe('https://api.crypto.com/exchange/v1');
    expect(env['MONITORED_KEYS_FILE']).toBe('monitored-keys.json');
    expect(env['MONITORED_KEYS']).toBeUndefined();
    expect(JSON.stringify(env)).not.toMatch(/apiSecret|api_secret/i);
  });

  it('is scheduled with no retries and a short event age, at both EventBridge and Lambda', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });

  it('logs to an explicit log group with retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(fn()['LoggingConfig']).toMatchObject({ LogGroup: { Ref: expect.stringMatching(/CheckFunctionLogs/) } });
  });
});

describe('least privilege', () => {
  it('reads exactly the monitored secrets (a by-name secret as name + random suffix, never a wildcard)', () => {
    const read = statements(imported.template).filter((s) => s.Action === 'secretsmanager:GetSecretValue');
    expect(JSON.stringify(read)).toContain(':secret:prod/reporting-key-??????');
    expect(JSON.stringify(read)).not.toContain(':secret:*');
  });

  it('has no wildcard action, and "*" resources only for the two AWS actions that take no resource', () => {
    for (const t of [template, imported.template, synth(PROXY).template]) {
      for (const s of statements(t)) {
        expect(
          [s.Action].flat().some((a) => a.includes('*')),
          JSON.stringify(s),
        ).toBe(false);
        if (JSON.stringify(s.Resource) === '"*"') {
          for (const a of [s.Action].flat())
            expect([
              'secretsmanager:BatchGetSecretValue',
              'ec2:CreateNetworkInterface',
              'ec2:DescribeNetworkInterfaces',
              'ec2:DeleteNetworkInterface',
              'ec2:AssignPrivateIpAddresses',
              'ec2:UnassignPrivateIpAddresses',
            ]).toContain(a);
        }
      }
    }
  });

  it('attaches no managed policy: each function may write only to its own log group', () => {
    for (const role of resources(template, 'AWS::IAM::Role').filter((r) =>
      JSON.stringify(r.Properties['AssumeRolePolicyDocument']).includes('lambda.amazonaws.com'),
    )) {
      expect(role.Properties['ManagedPolicyArns']).toBeUndefined();
    }
    for (const s of statements(template).filter((x) => [x.Action].flat().some((a) => a.startsWith('logs:')))) {
      expect(JSON.stringify(s.Resource)).toMatch(/LogsAE|Logs[0-9A-F]{8}/);
    }
  });

  it('lets the notifier read, write and delete only its delivery-ledger items, nothing else in the state table', () => {
    const notifier = fnByDescription(template, 'Delivers exchange-key-monitor notifications');
    const role = (notifier['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const table = logicalId(template, 'AWS::DynamoDB::Table');
    const own = resources(template, 'AWS::IAM::Policy')
      .filter((p) => JSON.stringify(p.Properties['Roles']) === JSON.stringify([{ Ref: role }]))
      .flatMap((p) => (p.Properties['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] }).Statement);
    const dynamo = own.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': [table, 'Arn'] },
        // The prefix the ledger writes (contract/store.ts), so a rename cannot silently lock it out.
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [deliveryPk('*')] } },
      },
    ]);
    expect(deliveryPk('*')).toBe('DELIVERY#*');
  });

  it('lets only this account’s Secrets Manager invoke the rotation Lambda', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' } });
  });

  it('allows only HTTPS out of the Lambdas’ security group, and nothing in', () => {
    const sg = resources(template, 'AWS::EC2::SecurityGroup').find((g) => String(g.Properties['GroupDescription']).startsWith('exchange-key-monitor Lambdas'));
    expect(sg?.Properties['SecurityGroupEgress']).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })]);
    expect(sg?.Properties['SecurityGroupIngress']).toBeUndefined();
  });

  it('passes cdk-nag AwsSolutions in every mode, each finding acknowledged with a reason', () => {
    expect(() => app.synth()).not.toThrow();
    expect(() => imported.app.synth()).not.toThrow();
    for (const ctx of [
      { natMode: 'instance', maxAzs: 2 },
      EXISTING_VPC,
      PROXY,
      { keys: manyKeys(60) },
      { slackWorkspaceId: 'T01ABCDEF23', slackChannelId: 'C01ABCDEF23' },
    ]) {
      expect(() => synth(ctx).app.synth(), JSON.stringify(ctx)).not.toThrow();
    }
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    expect(() =>
      synth({}, (stack) => stack.monitor.checkFunction.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:*'], resources: ['*'] }))),
    ).toThrow(/AwsSolutions-IAM5/);
  });
});

describe('secrets the stack creates', () => {
  it('are kept on destroy and on key renames (they hold the live key and its backup)', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ Name: 'exchange-key-monitor/default' }),
    });
  });
});

describe('the notification path', () => {
  it('encrypts the topics and queues with a customer-managed key that CloudWatch alarms and SNS may use', () => {
    const key = logicalId(template, 'AWS::KMS::Key');
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: Match.arrayWith(['cloudwatch.amazonaws.com']) }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    for (const topic of resources(template, 'AWS::SNS::Topic')) expect(topic.Properties['KmsMasterKeyId']).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    for (const queue of resources(template, 'AWS::SQS::Queue')) expect(queue.Properties['KmsMasterKeyId']).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
  });

  it('emails every alertEmail address from an SSL-only topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('retries failed deliveries through the queue and ends them, visible, in a dead-letter queue', () => {
    const dlq = logicalId(template, 'AWS::SQS::Queue', (p) => p['RedrivePolicy'] === undefined);
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 8 } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it('sends CloudWatch alarms into the same queue (one path, one format), except the notifier’s own failure and a refusing channel', () => {
    const alarmTopic = logicalId(template, 'AWS::SNS::Topic', (p) => String(p['DisplayName']).includes('alarm events'));
    const emailTopic = logicalId(template, 'AWS::SNS::Topic', (p) => p['DisplayName'] === 'Exchange key monitor');
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', TopicArn: { Ref: alarmTopic } });
    for (const alarm of resources(template, 'AWS::CloudWatch::Alarm')) {
      const name = String(alarm.Properties['AlarmName']);
      if (name.endsWith('DELIVERIES_FAILED')) continue;
      const target = name.endsWith('NOTIFIER_ERRORS') ? emailTopic : alarmTopic;
      expect(alarm.Properties['AlarmActions']).toEqual([{ Ref: target }]);
      expect(alarm.Properties['OKActions']).toEqual([{ Ref: target }]);
    }
  });

  it('alarms on the first permanent refusal, straight to email and through the notifier, with no OK that would claim the channel fixed', () => {
    const alarmTopic = logicalId(template, 'AWS::SNS::Topic', (p) => String(p['DisplayName']).includes('alarm events'));
    const emailTopic = logicalId(template, 'AWS::SNS::Topic', (p) => p['DisplayName'] === 'Exchange key monitor');
    const alarm = resources(template, 'AWS::CloudWatch::Alarm').find((a) => String(a.Properties['AlarmName']).endsWith('-DELIVERIES_FAILED'));
    expect(alarm?.Properties).toMatchObject({
      // Exactly what the notifier emits (Powertools adds the service dimension).
      Namespace: 'ExchangeKeyMonitor',
      MetricName: METRIC.deliveriesFailed,
      Dimensions: [{ Name: DIMENSION.service, Value: SERVICE_NAME }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: emailTopic }, { Ref: alarmTopic }],
      AlarmDescription: alarmText('DELIVERIES_FAILED'),
    });
    expect(alarm?.Properties['OKActions']).toBeUndefined();
    expect(alarmText('DELIVERIES_FAILED')).toMatch(
      /^A channel refused a notification for good, or the channels secret left it out, so alerts may no longer reach it\. .*stopped accepting alerts.*test-alert/,
    );
    // The dead-letter alarm does not promise what only this one does.
    expect(alarmText('NOTIFICATIONS_UNDELIVERED')).toContain('a channel that refuses for good is not retried (DELIVERIES_FAILED)');
  });

  it('keeps incident state in an on-demand DynamoDB table with a TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('wires Slack through Amazon Q Developer when a workspace and channel are given, with a read-only guardrail', () => {
    const { template: t } = synth({ slackWorkspaceId: 'T01ABCDEF23', slackChannelId: 'C01ABCDEF23' });
    t.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', { SlackWorkspaceId: 'T01ABCDEF23', SlackChannelId: 'C01ABCDEF23' });
    const guardrails = resources(t, 'AWS::Chatbot::SlackChannelConfiguration')[0]?.Properties['GuardrailPolicies'];
    expect(JSON.stringify(guardrails)).toContain(':iam::aws:policy/CloudWatchReadOnlyAccess');
    expect(JSON.stringify(guardrails)).not.toContain('AdministratorAccess');
  });
});

describe('monitor-the-monitor alarms', () => {
  const names = (t: Template) =>
    resources(t, 'AWS::CloudWatch::Alarm')
      .map((a) => String(a.Properties['AlarmName']).replace(/^Monitor-/, ''))
      .sort();

  it('are a fixed set, the same at 1 key and at 1,000', () => {
    const fixed = ['CHECK_FUNCTION_ERRORS', 'DELIVERIES_FAILED', 'HEARTBEAT', 'NOTIFICATIONS_UNDELIVERED', 'NOTIFIER_ERRORS', 'ROTATION_FAILED'];
    expect(names(template)).toEqual(fixed);
    expect(names(synth({ keys: manyKeys(1000) }).template)).toEqual(fixed);
  });

  it('watch exactly the heartbeat metric the check Lambda emits (namespace, name, every dimension)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ExchangeKeyMonitor',
      MetricName: METRIC.keysChecked,
      Dimensions: [{ Name: DIMENSION.service, Value: SERVICE_NAME }],
      Statistic: 'SampleCount',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('do not count a refused rotation (reported on its own) as a failed one', () => {
    const alarm = resources(template, 'AWS::CloudWatch::Alarm').find((a) => String(a.Properties['AlarmName']).endsWith('ROTATION_FAILED'));
    const refused = (alarm?.Properties['Metrics'] as { Id: string; MetricStat?: { Metric: { MetricName: string } } }[]).find((m) => m.Id === 'refused');
    expect(refused?.MetricStat?.Metric.MetricName).toBe(METRIC.rotationsRefused);
  });

  it('keep every description (headline, then runbook) within CloudWatch’s 1024 characters', () => {
    for (const alarm of resources(template, 'AWS::CloudWatch::Alarm')) {
      const text = String(alarm.Properties['AlarmDescription']);
      expect(text.length).toBeLessThanOrEqual(MAX_DESCRIPTION);
      expect(text).toMatch(/^[^.]+\. .+/);
    }
  });

  it('show on a dashboard with aggregate graphs and the per-key view from Logs Insights', () => {
    const body = new Capture();
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: body });
    const text = JSON.stringify(body.asObject());
    for (const needle of [
      'Egress IP',
      'Keys checked',
      'Unhealthy keys by diagnosis',
      'Exchange latency',
      'Latest state per key',
      'Failures by key',
      'Slowest keys',
    ])
      expect(text).toContain(needle);
  });
});

describe('scale: 1,000 keys deploy', () => {
  const big = synth({ keys: manyKeys(1000), alertEmail: 'ops@example.com' });
  const json = big.template.toJSON() as { Resources: Record<string, Res>; Outputs: Record<string, unknown> };

  it('sizes the check function for its keys: 384 MB at 1,000 keys, where one key gets 256 MB', () => {
    const memory = (t: { Resources: Record<string, Res> }) =>
      Object.values(t.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.['Description'] ?? '').startsWith('Checks each exchange API key'))
        .map((r) => r.Properties?.['MemorySize']);
    expect(memory(json)).toEqual([384]);
    expect(memory(synth({ keys: manyKeys(1) }).template.toJSON() as { Resources: Record<string, Res> })).toEqual([256]);
  });

  it('stays inside CloudFormation’s limits: 500 resources, 200 outputs, 1 MB', () => {
    expect(Object.keys(json.Resources).length).toBeLessThan(100);
    expect(Object.keys(json.Outputs).length).toBeLessThan(200);
    expect(JSON.stringify(json).length).toBeLessThan(1_000_000);
  });

  it(`fits MAX_CREATED_SECRETS (${MAX_CREATED_SECRETS}) created secrets under 500 resources with every optional resource on`, () => {
    const keys = JSON.stringify(Array.from({ length: MAX_CREATED_SECRETS }, (_, i) => ({ name: `k${i}` })));
    const most = synth({
      keys,
      alertEmail: 'ops@example.com',
      natMode: 'instance',
      maxAzs: 2,
      slackWorkspaceId: 'T01ABCDEF23',
      slackChannelId: 'C01ABCDEF23',
      teamsTenantId: '00000000-0000-0000-0000-000000000000',
      teamsTeamId: '11111111-1111-1111-1111-111111111111',
      teamsChannelId: '19:def@thread.tacv2',
    });
    expect(Object.keys(most.template.toJSON().Resources as object).length).toBeLessThan(500);
    // The Teams channel id as Teams shows it, encoded the only way CloudFormation accepts.
    most.template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', { TeamsChannelId: '19%3adef%40thread.tacv2' });
  });

  it('grants secret access by tag beyond the exact-list limit, keeping every inline policy under IAM’s 10,240 characters', () => {
    expect(EXACT_SECRET_LIMIT).toBeLessThan(1000);
    for (const policy of resources(big.template, 'AWS::IAM::Policy')) expect(JSON.stringify(policy.Properties['PolicyDocument']).length).toBeLessThan(10_240);
    const tagged = statements(big.template).filter((s) => JSON.stringify(s.Condition ?? {}).includes('aws:ResourceTag/exchange-key-monitor'));
    expect(tagged.length).toBe(3); // check, verify and rotation
  });

  it('keeps the key list out of Lambda’s 4 KB environment', () => {
    for (const fn of resources(big.template, 'AWS::Lambda::Function')) expect(JSON.stringify(fn.Properties['Environment'] ?? {}).length).toBeLessThan(4_096);
  });

  it('keeps the dashboard inside CloudWatch’s quotas (500 widgets, 500 metrics per widget)', () => {
    const body = new Capture();
    big.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: body });
    const dashboard = JSON.parse(
      (body.asObject() as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''),
    ) as { widgets: { properties: { metrics?: unknown[] } }[] };
    expect(dashboard.widgets.length).toBeLessThan(500);
    for (const w of dashboard.widgets) expect((w.properties.metrics ?? []).length).toBeLessThan(500);
    // Not one widget or metric more than with a single key.
    const small = new Capture();
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: small });
    expect(JSON.stringify(body.asObject())).toBe(JSON.stringify(small.asObject()));
  });
});

describe('configuration', () => {
  const get = (ctx: Record<string, unknown>) => (name: string) => ctx[name];

  it('defaults to one created key, every 5 minutes, production, own NAT gateway, 1 AZ', () => {
    expect(loadConfig(get({}))).toMatchObject({
      keys: [{ name: 'default', expectTrade: true }],
      scheduleMinutes: 5,
      egress: { mode: 'nat', natMode: 'gateway', maxAzs: 1, eip: null },
      exchangeBaseUrl: 'https://api.crypto.com/exchange/v1',
      incidents: { openAfterRuns: 2, resolveAfterRuns: 1, remindEveryHours: 4, historyDays: 30, keyMaxAgeDays: 90 },
    });
  });

  it('accepts -c strings as well as cdk.json values', () => {
    expect(loadConfig(get({ scheduleMinutes: '10', maxAzs: 2, exchangeBaseUrl: 'uat' }))).toMatchObject({
      scheduleMinutes: 10,
      egress: { maxAzs: 2 },
      exchangeBaseUrl: 'https://uat-api.3ona.co/exchange/v1',
    });
  });

  it.each([
    [{ scheduleMinutes: '0' }, 'scheduleMinutes'],
    [{ alertEmail: 'not-an-email' }, 'alertEmail'],
    [{ natMode: 'nat-please' }, 'natMode'],
    [{ maxAzs: 3 }, 'maxAzs'],
    [{ exchangeBaseUrl: 'http://api.crypto.com/exchange/v1' }, 'exchangeBaseUrl'],
    [{ exchangeBaseUrl: 'https://x.test/exchange/v1/private/cancel-all-orders?_=' }, 'exchangeBaseUrl'],
    [{ eipAllocationId: 'eipalloc-0123456789abcdef0' }, 'eipPublicIp'],
    [{ eipAllocationId: 'abc', eipPublicIp: '203.0.113.7' }, 'eipAllocationId'],
    [{ keys: '[{"name":"a b"}]' }, 'keys[0].name'],
    [{ keys: '[{"name":"a"},{"name":"a"}]' }, 'keys[1].name'],
    [{ keys: '[{"name":"a","secretArn":"nope"}]' }, 'keys[0].secretArn'],
    [{ keys: '[{"name":"a","expectTrade":"yes"}]' }, 'keys[0].expectTrade'],
    [{ keys: '[{"name":"a","secret":"x"}]' }, 'keys[0].secret'],
    [{ keys: '[{' }, 'keys'],
    [{ vpcId: 'vpc-0123456789abcdef0' }, 'availabilityZones'],
    [{ ...EXISTING_VPC, egressIps: '' }, 'egressIps'],
    [{ ...EXISTING_VPC, privateSubnetIds: 'subnet-0123456789abcdef0' }, 'privateSubnetIds'],
    [{ ...EXISTING_VPC, natMode: 'instance' }, 'natMode'],
    [{ ...EXISTING_VPC, proxyUrl: 'http://p:3128' }, 'proxyUrl'],
    [{ proxyUrl: 'http://p:3128' }, 'egressIps'],
    [{ proxyUrl: 'http://user:pw@p:3128', egressIps: '198.51.100.9' }, 'proxyUrl'],
    [{ egressIps: '198.51.100.9' }, 'egressIps'],
    [{ slackWorkspaceId: 'T01ABCDEF23' }, 'slackChannelId'],
    [{ teamsTenantId: '00000000-0000-0000-0000-000000000000' }, 'teamsTeamId'],
    [{ remindEveryHours: '-1' }, 'remindEveryHours'],
    [{ keys: JSON.stringify(Array.from({ length: 401 }, (_, i) => ({ name: `k${i}` }))) }, 'keys'],
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

  it.each(HOSTILE_BASE_URLS)('refuses an exchangeBaseUrl context value that names a method in any spelling: %s', (bad) => {
    expect(() => loadConfig(get({ exchangeBaseUrl: bad }))).toThrow(ConfigError);
    expect(() => loadConfig(get({ exchangeBaseUrl: bad }))).toThrow(/must be the API root/);
  });

  it('sets every feature flag CDK recommends for new projects in cdk.json', async () => {
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const recommended = createRequire(import.meta.url)('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>;
    const context = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;
    for (const [flag, value] of Object.entries(recommended)) expect(context[flag], flag).toEqual(value);
  });

  it('refuses an unknown context key that looks like ours, with a suggestion; leaves CDK’s own keys alone', () => {
    expect(() => checkContextKeys(['alertEmal'])).toThrow(/alertEmal: unknown setting — did you mean alertEmail\?/);
    expect(() =>
      checkContextKeys(['@aws-cdk/core:newStyleStackSynthesis', 'aws:cdk:bundling-stacks', 'availability-zones:account=1:region=x', 'alertEmail', 'keys']),
    ).not.toThrow();
  });
});
