import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface EgressNetworkProps {
  readonly natMode: 'gateway' | 'instance';
  readonly maxAzs: 1 | 2;
  /** Reuse an already-whitelisted Elastic IP; otherwise one is created and kept on destroy. */
  readonly eip: { readonly allocationId: string; readonly publicIp: string } | null;
}

/**
 * A VPC whose private subnets reach the internet only through one NAT holding one Elastic IP:
 * the single address to whitelist on every exchange key. One NAT even with 2 AZs, on purpose:
 * a second NAT would mean a second IP to whitelist.
 */
export class EgressNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** The public IPv4 address traffic leaves from (a token when the EIP is created here). */
  readonly egressIp: string;
  /** For the Lambdas: no inbound, outbound HTTPS only. */
  readonly functionSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: EgressNetworkProps) {
    super(scope, id);
    let allocationId: string;
    if (props.eip) {
      allocationId = props.eip.allocationId;
      this.egressIp = props.eip.publicIp;
    } else {
      const eip = new ec2.CfnEIP(this, 'NatEip', { domain: 'vpc', tags: [{ key: 'Name', value: 'exchange-key-monitor egress (whitelisted on exchange keys)' }] });
      // The address is whitelisted on exchange keys: losing it on `cdk destroy` would break them all.
      eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
      allocationId = eip.attrAllocationId;
      this.egressIp = eip.ref;
    }

    const natProvider =
      props.natMode === 'gateway'
        ? ec2.NatProvider.gateway({ eipAllocationIds: [allocationId] })
        : ec2.NatProvider.instanceV2({
            instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
            machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
            defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
          });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.maxAzs,
      natGateways: 1,
      natGatewayProvider: natProvider,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 28 },
      ],
    });

    if (props.natMode === 'instance') {
      const instanceId = natProvider.configuredGateways[0]?.gatewayId;
      if (!instanceId) throw new Error('NAT instance was not created');
      new ec2.CfnEIPAssociation(this, 'NatEipAssociation', { allocationId, instanceId });
      const instance = this.vpc.publicSubnets[0]?.node.tryFindChild('NatInstance');
      if (instance) {
        const why = {
          'AwsSolutions::AwsSolutions-EC26': 'The NAT instance’s root volume holds only the AMI; no data is written to it.',
          'AwsSolutions::AwsSolutions-EC28': 'Detailed monitoring costs more than the NAT instance option saves; the heartbeat alarm catches a dead NAT.',
          'AwsSolutions::AwsSolutions-EC29': 'The NAT instance is disposable: a replacement gets the same Elastic IP through the association.',
        };
        for (const [id, reason] of Object.entries(why)) Validations.of(instance).acknowledge({ id, reason });
      }
    }

    const flowLogs = new logs.LogGroup(this, 'RejectedFlowLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.vpc.addFlowLog('RejectedTraffic', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
    });

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      allowAllOutbound: false,
      description: 'exchange-key-monitor Lambdas: no inbound, HTTPS out through the NAT',
    });
    this.functionSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the exchange, the IP echo and AWS APIs');
  }
}
