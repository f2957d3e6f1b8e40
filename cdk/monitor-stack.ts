import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
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
    this.monitor.addOutputs();
    if (config.keys.some((k) => !k.secretName && !k.secretArn)) {
      new CfnOutput(this, 'CreatedSecretsPrefix', {
        value: CREATED_SECRET_PREFIX,
        description: 'Secrets the stack created for keys that name none: <prefix><key name>, filled with put-secret-value',
      });
    }
  }
}
