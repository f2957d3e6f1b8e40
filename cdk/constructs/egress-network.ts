import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionPlacement } from './monitor-function.js';

/** Where the checks leave from, as the construct's user gives it. */
export type MonitorEgress =
  /** A VPC of the monitor's own with one NAT (gateway, or a t4g.nano instance) holding one Elastic IP. */
  | { readonly kind: 'own-nat'; readonly natMode: 'gateway' | 'instance'; readonly maxAzs: 1 | 2; readonly eip: { readonly allocationId: string; readonly publicIp: string } | null }
  /** The VPC your bot already uses: the checks leave through its NAT, from the IP(s) you name. */
  | { readonly kind: 'existing-vpc'; readonly vpc: ec2.IVpc; readonly subnets?: ec2.SubnetSelection; readonly egressIps: readonly string[] }
  /** An HTTP CONNECT proxy on the whitelisted host: the Lambdas need no VPC at all. */
  | { readonly kind: 'proxy'; readonly proxyUrl: string; readonly egressIps: readonly string[] };

/**
 * The network the Lambdas run in and the address(es) their traffic leaves from. With its own NAT:
 * private subnets reach the internet only through one NAT holding one Elastic IP, the single
 * address to whitelist (one NAT even with 2 AZs, on purpose: a second NAT is a second IP).
 */
export class EgressNetwork extends Construct {
  readonly vpc: ec2.IVpc | null;
  readonly placement: FunctionPlacement | null;
  /** The public IPv4 address(es) traffic leaves from (a token when the EIP is created here). */
  readonly egressIps: readonly string[];
  /** For a bot deployed separately that should leave from the same IP (own-NAT mode only). */
  readonly botSecurityGroup: ec2.SecurityGroup | null;

  constructor(scope: Construct, id: string, egress: MonitorEgress) {
    super(scope, id);
    if (egress.kind === 'proxy') {
      this.vpc = null;
      this.placement = null;
      this.botSecurityGroup = null;
      this.egressIps = egress.egressIps;
      return;
    }
    const vpc = egress.kind === 'existing-vpc' ? egress.vpc : null;
    const own = egress.kind === 'own-nat' ? this.ownNetwork(egress) : null;
    this.vpc = vpc ?? (own as { vpc: ec2.Vpc }).vpc;
    const functionSecurityGroup = this.httpsOnlyGroup('FunctionSecurityGroup', 'exchange-key-monitor Lambdas: no inbound, HTTPS out');
    this.placement = {
      vpc: this.vpc,
      subnets: egress.kind === 'existing-vpc' ? (egress.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }) : { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: functionSecurityGroup,
    };
    this.egressIps = egress.kind === 'existing-vpc' ? egress.egressIps : [(own as { egressIp: string }).egressIp];
    this.botSecurityGroup = own ? this.httpsOnlyGroup('BotSecurityGroup', 'Trading bot joining the monitor VPC: no inbound, HTTPS out through the whitelisted NAT') : null;
    if (own?.nat) {
      // A NAT instance admits nothing from the private subnets unless told to: without this every
      // check would time out in instance mode.
      own.nat.connections.allowFrom(functionSecurityGroup, ec2.Port.tcp(443), 'HTTPS from the monitor Lambdas');
      if (this.botSecurityGroup) own.nat.connections.allowFrom(this.botSecurityGroup, ec2.Port.tcp(443), 'HTTPS from a bot in the monitor VPC');
    }
  }

  private httpsOnlyGroup(id: string, description: string): ec2.SecurityGroup {
    const sg = new ec2.SecurityGroup(this, id, { vpc: this.vpc as ec2.IVpc, allowAllOutbound: false, description });
    sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the exchange, the IP echo and AWS APIs');
    return sg;
  }

  private ownNetwork(egress: Extract<MonitorEgress, { kind: 'own-nat' }>): { vpc: ec2.Vpc; egressIp: string; nat: ec2.NatInstanceProviderV2 | null } {
    let allocationId: string;
    let egressIp: string;
    if (egress.eip) {
      allocationId = egress.eip.allocationId;
      egressIp = egress.eip.publicIp;
    } else {
      const eip = new ec2.CfnEIP(this, 'NatEip', { domain: 'vpc', tags: [{ key: 'Name', value: 'exchange-key-monitor egress (whitelisted on exchange keys)' }] });
      // The address is whitelisted on exchange keys: losing it on `cdk destroy` would break them all.
      eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
      allocationId = eip.attrAllocationId;
      egressIp = eip.ref;
    }
    const instance =
      egress.natMode === 'instance'
        ? ec2.NatProvider.instanceV2({
            instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
            machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
            defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
          })
        : null;
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: egress.maxAzs,
      natGateways: 1,
      natGatewayProvider: instance ?? ec2.NatProvider.gateway({ eipAllocationIds: [allocationId] }),
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 28 },
      ],
    });
    if (instance) {
      const instanceId = instance.configuredGateways[0]?.gatewayId;
      if (!instanceId) throw new Error('NAT instance was not created');
      new ec2.CfnEIPAssociation(this, 'NatEipAssociation', { allocationId, instanceId });
      const node = vpc.publicSubnets[0]?.node.tryFindChild('NatInstance');
      if (node) {
        const why = {
          'AwsSolutions::AwsSolutions-EC26': 'The NAT instance’s root volume holds only the AMI; no data is written to it.',
          'AwsSolutions::AwsSolutions-EC28': 'Detailed monitoring costs more than the NAT instance option saves; the heartbeat alarm catches a dead NAT.',
          'AwsSolutions::AwsSolutions-EC29': 'The NAT instance is disposable: a replacement gets the same Elastic IP through the association.',
        };
        for (const [id, reason] of Object.entries(why)) Validations.of(node).acknowledge({ id, reason });
      }
    }
    const flowLogs = new logs.LogGroup(this, 'RejectedFlowLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    vpc.addFlowLog('RejectedTraffic', { trafficType: ec2.FlowLogTrafficType.REJECT, destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs) });
    return { vpc, egressIp, nat: instance };
  }
}
