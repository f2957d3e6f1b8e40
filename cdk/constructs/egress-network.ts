import { isIP } from 'node:net';
import { RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { resolveProxyUrl } from '../config.js';
import { ConfigError } from '../../src/monitor/runtime-config.js';
import type { FunctionPlacement } from './monitor-function.js';

/** How the monitor's own VPC reaches the internet. */
export enum NatMode {
  /** A managed NAT gateway. */
  GATEWAY = 'gateway',
  /** A t4g.nano NAT instance: cheaper, and yours to patch. */
  INSTANCE = 'instance',
}

/** An Elastic IP that already exists (and is already whitelisted on your keys). */
export interface ElasticIpProps {
  /** Its allocation id, like eipalloc-0123456789abcdef0. */
  readonly allocationId: string;
  /** Its public IPv4 address: the checks compare their egress with it and the alerts name it. */
  readonly publicIp: string;
}

/** Options of `MonitorEgress.ownNat`. */
export interface OwnNatEgressOptions {
  /**
   * A NAT gateway or a NAT instance.
   * @default NatMode.GATEWAY
   */
  readonly natMode?: NatMode;
  /**
   * Availability zones of the VPC (1 or 2); there is one NAT, so one IP, either way.
   * @default 1
   */
  readonly maxAzs?: number;
  /**
   * Reuse this Elastic IP for the NAT.
   * @default - a new Elastic IP, kept when the stack is destroyed (it is whitelisted on your keys)
   */
  readonly eip?: ElasticIpProps;
}

/** Options of `MonitorEgress.existingVpc`. */
export interface ExistingVpcEgressOptions {
  /** The public IPv4 address(es) the VPC's NAT leaves from: the checks compare their egress with them and the alerts name them. */
  readonly egressIps: string[];
  /**
   * The subnets the Lambdas run in; their traffic must leave through that NAT.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;
}

/** Options of `MonitorEgress.proxy`. */
export interface ProxyEgressOptions {
  /** The public IPv4 address(es) the proxy host leaves from: the checks compare their egress with them and the alerts name them. */
  readonly egressIps: string[];
  /**
   * The secret holding the proxy's token (a plain string, or {"token":"…"}), sent as Proxy-Authorization.
   * @default - the proxy is sent no credentials
   */
  readonly tokenSecret?: secretsmanager.ISecret;
}

/** What the network is built from; the factories of MonitorEgress are the only way to make one. */
export type EgressSpec =
  | { readonly kind: 'own-nat'; readonly natMode: NatMode; readonly maxAzs: 1 | 2; readonly eip: ElasticIpProps | null }
  | { readonly kind: 'existing-vpc'; readonly vpc: ec2.IVpc; readonly subnets: ec2.SubnetSelection | null; readonly egressIps: readonly string[] }
  | { readonly kind: 'proxy'; readonly proxyUrl: string; readonly egressIps: readonly string[]; readonly tokenSecret: secretsmanager.ISecret | null };

function checkEgressIps(field: string, egressIps: readonly string[]): readonly string[] {
  if (egressIps.length === 0)
    throw new ConfigError(field, 'name the public IPv4 address(es) the traffic leaves from: they go into the egress check and the alerts');
  for (const ip of egressIps) {
    if (!Token.isUnresolved(ip) && isIP(ip) !== 4) throw new ConfigError(field, `"${ip}" is not an IPv4 address`);
  }
  return [...egressIps];
}

/**
 * Where the checks leave from: the address(es) to whitelist on every monitored key, and the address a
 * check compares its own egress with. A check from another IP than your bot's can say OK while the
 * bot gets 40103, so pick the one your bot leaves from.
 */
export class MonitorEgress {
  /** A VPC of the monitor's own whose private subnets leave through one NAT holding one Elastic IP. */
  static ownNat(options: OwnNatEgressOptions = {}): MonitorEgress {
    const maxAzs = options.maxAzs ?? 1;
    if (maxAzs !== 1 && maxAzs !== 2) throw new ConfigError('maxAzs', `must be 1 or 2 (one NAT either way), got ${maxAzs}`);
    const natMode = options.natMode ?? NatMode.GATEWAY;
    if (!Object.values(NatMode).includes(natMode))
      throw new ConfigError('natMode', `must be NatMode.GATEWAY or NatMode.INSTANCE, got ${JSON.stringify(natMode)}`);
    return new MonitorEgress({ kind: 'own-nat', natMode, maxAzs, eip: options.eip ?? null });
  }

  /** The VPC your bot already uses: the Lambdas join its private subnets and leave through its NAT. */
  static existingVpc(vpc: ec2.IVpc, options: ExistingVpcEgressOptions): MonitorEgress {
    return new MonitorEgress({ kind: 'existing-vpc', vpc, subnets: options.subnets ?? null, egressIps: checkEgressIps('egressIps', options.egressIps) });
  }

  /**
   * An HTTP CONNECT proxy on the whitelisted host (`http://` or `https://`, host and port only): no
   * VPC, no NAT. Credentials in the URL are refused, since the URL is stored in the function's
   * configuration: put the token in `tokenSecret`.
   */
  static proxy(proxyUrl: string, options: ProxyEgressOptions): MonitorEgress {
    // The context setting's rule: host and port only, no credentials, and a token never over plain http:// off loopback.
    const url = Token.isUnresolved(proxyUrl) ? proxyUrl : resolveProxyUrl(proxyUrl, options.tokenSecret !== undefined, 'egress.proxyUrl', 'egress.tokenSecret');
    return new MonitorEgress({
      kind: 'proxy',
      proxyUrl: url,
      egressIps: checkEgressIps('egressIps', options.egressIps),
      tokenSecret: options.tokenSecret ?? null,
    });
  }

  private constructor(
    /** @internal */
    readonly _spec: EgressSpec,
  ) {}
}

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

  constructor(scope: Construct, id: string, egress: EgressSpec) {
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
      subnets: egress.kind === 'existing-vpc' && egress.subnets ? egress.subnets : { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: functionSecurityGroup,
    };
    this.egressIps = egress.kind === 'existing-vpc' ? egress.egressIps : [(own as { egressIp: string }).egressIp];
    this.botSecurityGroup = own
      ? this.httpsOnlyGroup('BotSecurityGroup', 'Trading bot joining the monitor VPC: no inbound, HTTPS out through the whitelisted NAT')
      : null;
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

  private ownNetwork(egress: Extract<EgressSpec, { kind: 'own-nat' }>): { vpc: ec2.Vpc; egressIp: string; nat: ec2.NatInstanceProviderV2 | null } {
    let allocationId: string;
    let egressIp: string;
    if (egress.eip) {
      allocationId = egress.eip.allocationId;
      egressIp = egress.eip.publicIp;
    } else {
      const eip = new ec2.CfnEIP(this, 'NatEip', {
        domain: 'vpc',
        tags: [{ key: 'Name', value: 'exchange-key-monitor egress (whitelisted on exchange keys)' }],
      });
      // The address is whitelisted on exchange keys: losing it on `cdk destroy` would break them all.
      eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
      allocationId = eip.attrAllocationId;
      egressIp = eip.ref;
    }
    const instance =
      egress.natMode === NatMode.INSTANCE
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
