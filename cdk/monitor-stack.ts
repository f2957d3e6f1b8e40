import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { MonitorConfig } from './config.js';
import { MonitorEgress, NatMode } from './constructs/egress-network.js';
import { ExchangeKeyMonitor, type ExchangeKeyMonitorProps } from './constructs/exchange-key-monitor.js';
import { CREATED_SECRET_PREFIX } from './constructs/secret-access.js';
import { OUTPUTS } from '../src/contract/stack.js';

export { OUTPUTS };

export interface MonitorStackProps extends StackProps {
  readonly config: MonitorConfig;
}

/** The context settings, parsed and checked by config.ts, as the construct's props. */
function monitorProps(scope: Construct, config: MonitorConfig): ExchangeKeyMonitorProps {
  const e = config.egress;
  let egress: MonitorEgress;
  if (e.mode === 'nat') {
    egress = MonitorEgress.ownNat({ natMode: e.natMode === 'instance' ? NatMode.INSTANCE : NatMode.GATEWAY, maxAzs: e.maxAzs, eip: e.eip ?? undefined });
  } else if (e.mode === 'proxy') {
    const tokenSecret = e.proxyTokenSecretName ? secretsmanager.Secret.fromSecretNameV2(scope, 'ProxyToken', e.proxyTokenSecretName) : undefined;
    egress = MonitorEgress.proxy(e.proxyUrl, { egressIps: [...e.egressIps], tokenSecret });
  } else {
    const vpc = ec2.Vpc.fromVpcAttributes(scope, 'ExistingVpc', {
      vpcId: e.vpcId,
      availabilityZones: [...e.availabilityZones],
      privateSubnetIds: [...e.privateSubnetIds],
      privateSubnetRouteTableIds: [...e.privateSubnetRouteTableIds],
    });
    egress = MonitorEgress.existingVpc(vpc, { egressIps: [...e.egressIps], subnets: { subnets: vpc.privateSubnets } });
  }
  const { alerts } = config;
  return {
    keys: [...config.keys],
    egress,
    scheduleMinutes: config.scheduleMinutes,
    spacedProbeMinutes: config.spacedProbeMinutes,
    alerts: {
      emails: [...alerts.emails],
      slack: alerts.slack ?? undefined,
      teams: alerts.teams ?? undefined,
      channelsSecretName: alerts.channelsSecretName ?? undefined,
    },
    exchangeBaseUrl: config.exchangeBaseUrl,
    ipEchoUrl: config.ipEchoUrl,
    announcementsUrl: config.announcementsUrl,
    metricsNamespace: config.metricsNamespace,
    incidents: config.incidents,
    botLogGroups: config.botLogGroups.map((g, i) => ({
      logGroup: logs.LogGroup.fromLogGroupName(scope, `BotLogGroup${i}`, g.logGroupName),
      key: g.key,
      ...(g.filterPattern !== null ? { filterPattern: g.filterPattern } : {}),
    })),
  };
}

/**
 * The standalone app: the ExchangeKeyMonitor construct configured from cdk.json / -c context, plus
 * the outputs an operator (and the CLI) needs. Environment-agnostic: synth needs no AWS account.
 */
export class MonitorStack extends Stack {
  readonly monitor: ExchangeKeyMonitor;

  constructor(scope: Construct, id: string, props: MonitorStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.monitor = new ExchangeKeyMonitor(this, 'Monitor', monitorProps(this, config));
    const m = this.monitor;
    const n = m.notifications;
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out(
      OUTPUTS.nextStep,
      `npx key-monitor verify --stack ${this.stackName}`,
      'Run this now: it checks every key, the egress IP, every channel and the wiring, and names the fix',
    );
    out(OUTPUTS.egressIps, Fn.join(',', [...m.egressIps]), 'Whitelist this IP (or these IPs) on every monitored exchange API key');
    out(OUTPUTS.alertTopicArn, n.emailTopic.topicArn, 'Alert email topic (subscribe more addresses here)');
    out(OUTPUTS.notificationQueueUrl, n.queue.queueUrl, 'Every notification goes through this queue');
    out(OUTPUTS.deadLetterQueueArn, n.deadLetters.queueArn, 'Notifications that could not be delivered');
    out(OUTPUTS.stateTableName, m.table.tableName, 'Incident state and history');
    out(OUTPUTS.channelsSecretName, n.channelsSecret.secretName, 'Slack/Teams/Discord/Telegram/webhook channel settings (README → Channels)');
    if (n.chatbotTopic) out(OUTPUTS.chatbotTopicArn, n.chatbotTopic.topicArn, 'Amazon Q Developer (Slack/Teams) notifications');
    out(OUTPUTS.checkFunctionName, m.checkFunction.functionName, 'Invoke it to run a check now');
    out(OUTPUTS.verifyFunctionName, m.verifyFunction.functionName, 'key-monitor nudge --key NAME (or a bot’s error handler) verifies a key now');
    out(OUTPUTS.rotationFunctionArn, m.rotationFunction.functionArn, 'key-monitor rotate --rotation-function <this> (first rotation of a secret)');
    out(OUTPUTS.dashboardUrl, m.dashboardUrl, 'CloudWatch dashboard');
    out(OUTPUTS.scheduleRuleName, m.schedule.ruleName, 'The schedule that runs the checks (key-monitor verify checks it is enabled)');
    out(OUTPUTS.egressMode, m.egressMode, 'own-nat, existing-vpc or proxy: where the checks leave from');
    out(OUTPUTS.scheduleMinutes, String(config.scheduleMinutes), 'Minutes between checks (key-monitor status calls a key stale after three missed runs)');
    if (m.vpc && m.botSecurityGroup) {
      out(OUTPUTS.vpcId, m.vpc.vpcId, 'For a bot that should leave from the same IP: deploy it in this VPC');
      out(
        OUTPUTS.privateSubnetIds,
        Fn.join(
          ',',
          m.vpc.privateSubnets.map((s) => s.subnetId),
        ),
        'Private subnets whose traffic leaves through the whitelisted NAT',
      );
      out(OUTPUTS.botSecurityGroupId, m.botSecurityGroup.securityGroupId, 'Security group for a bot in this VPC: HTTPS out, nothing in');
    }
    if (config.keys.some((k) => !k.secretName && !k.secretArn)) {
      out('CreatedSecretsPrefix', CREATED_SECRET_PREFIX, 'Secrets the stack created for keys that name none: <prefix><key name>, filled with put-secret-value');
    }
  }
}
