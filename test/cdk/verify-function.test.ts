import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../cdk/config.js';
import { ExchangeKeyMonitor, MonitorEgress } from '../../cdk/index.js';
import { BOT_LOG_GROUPS_ENV, DEFAULT_BOT_LOG_FILTER_PATTERN } from '../../src/contract/trigger.js';
import { OUTPUTS } from '../../src/contract/stack.js';
import { logicalId, synth } from '../support/synth.js';

type Res = { Properties: Record<string, unknown> };
const fnOf = (t: Template, prefix: string) => {
  const found = Object.entries(t.findResources('AWS::Lambda::Function')).find(([, r]) => String((r as Res).Properties['Description']).startsWith(prefix));
  if (!found) throw new Error(`no function ${prefix}`);
  return { id: found[0], props: (found[1] as Res).Properties };
};

describe('instant detection: the verify function and the bot’s log groups', () => {
  const { template } = synth({
    alertEmail: 'ops@example.com',
    keys: JSON.stringify([
      { name: 'trading', secretName: 'prod/cdc-trading' },
      { name: 'hedge', secretName: 'prod/cdc-hedge' },
    ]),
    botLogGroups: JSON.stringify([
      { logGroupName: '/ecs/trading-bot', key: 'trading' },
      { logGroupName: '/ec2/hedge-bot', key: 'hedge', filterPattern: '"Authentication failure"' },
    ]),
  });
  const verify = fnOf(template, 'Verifies one exchange API key now');
  const check = fnOf(template, 'Checks each exchange API key');

  it('leaves from the same place as the check function, with at most two verifications at once', () => {
    expect(verify.props['VpcConfig']).toEqual(check.props['VpcConfig']);
    expect(verify.props['VpcConfig']).toBeDefined();
    expect(verify.props['ReservedConcurrentExecutions']).toBe(2);
    const env = (verify.props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.parse(String(env[BOT_LOG_GROUPS_ENV]))).toEqual({ '/ecs/trading-bot': 'trading', '/ec2/hedge-bot': 'hedge' });
    const checkEnv = (check.props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    for (const name of ['EXCHANGE_BASE_URL', 'EXPECTED_EGRESS_IP', 'STATE_TABLE', 'NOTIFICATION_QUEUE_URL', 'OPEN_AFTER_RUNS'])
      expect(env[name], name).toEqual(checkEnv[name]);
  });

  it('subscribes each bot log group with the default pattern or its own, and only those log groups may invoke it', () => {
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: '/ecs/trading-bot',
      // The stack's name in it: a staging and a prod monitor may both subscribe one log group.
      FilterName: 'Monitor-key-monitor-trading',
      FilterPattern: DEFAULT_BOT_LOG_FILTER_PATTERN,
      DestinationArn: { 'Fn::GetAtt': [verify.id, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', { LogGroupName: '/ec2/hedge-bot', FilterPattern: '"Authentication failure"' });
    const perms = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'logs.amazonaws.com' } })) as Res[];
    expect(perms).toHaveLength(2);
    for (const p of perms) {
      expect(p.Properties['FunctionName']).toEqual({ 'Fn::GetAtt': [verify.id, 'Arn'] });
      expect(JSON.stringify(p.Properties['SourceArn'])).toMatch(/log-group:\/(ecs\/trading-bot|ec2\/hedge-bot):\*/);
    }
  });

  it('may read the monitored secrets, write the table and enqueue, and nothing to do with the schedule or rotation', () => {
    const role = logicalId(template, 'AWS::IAM::Role', (p) => String(p['Description']).startsWith('Verifies one exchange API key'));
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Res[];
    const actions = policies
      .filter((p) => JSON.stringify(p.Properties['Roles']).includes(role))
      .flatMap((p) => (p.Properties['PolicyDocument'] as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) => s.Action));
    expect(new Set(actions)).toEqual(
      new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
        'secretsmanager:GetSecretValue',
        'secretsmanager:BatchGetSecretValue',
        // The Acknowledge links' signing secret (grantRead).
        'secretsmanager:DescribeSecret',
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:BatchWriteItem',
        'sqs:SendMessage',
        'sqs:GetQueueAttributes',
        'kms:GenerateDataKey',
        'kms:Decrypt',
      ]),
    );
  });

  it('outputs its name for key-monitor nudge, and what key-monitor verify needs: the next step, the schedule rule, the egress mode', () => {
    template.hasOutput(OUTPUTS.verifyFunctionName, { Value: { Ref: verify.id } });
    template.hasOutput(OUTPUTS.nextStep, { Value: 'npx key-monitor verify --stack Monitor' });
    template.hasOutput(OUTPUTS.scheduleRuleName, { Value: { Ref: logicalId(template, 'AWS::Events::Rule') } });
    template.hasOutput(OUTPUTS.egressMode, { Value: 'own-nat' });
  });

  it('names a bot log group whose key is not monitored, and an entry that is not one', () => {
    expect(() => synth({ alertEmail: 'ops@example.com', botLogGroups: JSON.stringify([{ logGroupName: '/ecs/bot', key: 'nope' }]) })).toThrow(
      new ConfigError('botLogGroups[0].key', 'must name a monitored key (default)'),
    );
    expect(() => synth({ alertEmail: 'ops@example.com', botLogGroups: JSON.stringify([{ logGroupName: 'bad name!', key: 'default' }]) })).toThrow(
      /botLogGroups\[0\]\.logGroupName/,
    );
    expect(() => synth({ alertEmail: 'ops@example.com', botLogGroups: JSON.stringify([{ logGroup: '/ecs/bot', key: 'default' }]) })).toThrow(
      /botLogGroups\[0\]\.logGroup: unknown field/,
    );
    // Twenty long names would not fit Lambda's 4 KB environment: named at synth, not a failed deploy.
    const long = Array.from({ length: 20 }, (_, i) => ({ logGroupName: `/ecs/${'trading-bot-'.repeat(10)}${i}`, key: 'default' }));
    expect(() => synth({ alertEmail: 'ops@example.com', botLogGroups: JSON.stringify(long) })).toThrow(
      /botLogGroups: the log group names and keys take \d+ characters; at most 2000/,
    );
  });
});

describe('instant detection in the bot’s own CDK app', () => {
  it('takes the bot’s log group as a construct, grantNudge lets the bot invoke the verify function and nothing else, and addOutputs gives the CLI its outputs', () => {
    const app = new App();
    const stack = new Stack(app, 'Bot');
    const botLogs = new logs.LogGroup(stack, 'BotLogs');
    const taskRole = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const monitor = new ExchangeKeyMonitor(stack, 'KeyMonitor', {
      keys: [{ name: 'trading', secretName: 'prod/cdc-trading' }],
      egress: MonitorEgress.proxy('https://proxy.example.com:3128', { egressIps: ['198.51.100.9'] }),
      alerts: { emails: ['ops@example.com'] },
      botLogGroups: [{ logGroup: botLogs, key: 'trading' }],
    });
    monitor.grantNudge(taskRole);
    monitor.addOutputs();
    const t = Template.fromStack(stack);
    // What the key-monitor commands find it by, with --stack Bot.
    for (const name of [OUTPUTS.stateTableName, OUTPUTS.notificationQueueUrl, OUTPUTS.checkFunctionName, OUTPUTS.verifyFunctionName, OUTPUTS.scheduleRuleName])
      expect(Object.keys(t.findOutputs(name)), name).toEqual([name]);
    t.hasOutput(OUTPUTS.nextStep, { Value: 'npx key-monitor verify --stack Bot' });
    t.hasOutput(OUTPUTS.egressMode, { Value: 'proxy' });
    const verify = fnOf(t, 'Verifies one exchange API key now');
    t.hasResourceProperties('AWS::Logs::SubscriptionFilter', { LogGroupName: { Ref: Match.stringLikeRegexp('BotLogs') } });
    const env = (verify.props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    // The log group's name is only known at deploy time: the map is joined then.
    expect(JSON.stringify(env[BOT_LOG_GROUPS_ENV])).toContain('BotLogs');
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('TaskRole') }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: [{ 'Fn::GetAtt': [verify.id, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [verify.id, 'Arn'] }, ':*']] }],
          },
        ],
      },
    });
    expect(
      () =>
        new ExchangeKeyMonitor(new Stack(new App(), 'Other'), 'KeyMonitor', {
          keys: [{ name: 'trading', secretName: 'prod/cdc-trading' }],
          egress: MonitorEgress.proxy('https://proxy.example.com:3128', { egressIps: ['198.51.100.9'] }),
          alerts: { emails: ['ops@example.com'] },
          botLogGroups: [{ logGroup: logs.LogGroup.fromLogGroupName(new Stack(new App(), 'X'), 'L', '/ecs/bot'), key: 'hedge' }],
        }),
    ).toThrow(/botLogGroups\[0\]\.key: "hedge" is not a monitored key/);
  });
});
