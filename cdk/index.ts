/**
 * exchange-key-monitor as a construct library: add the monitor to the CDK app that deploys your
 * bot, passing the bot's VPC (both leave through one NAT, one IP to whitelist) or a forward proxy.
 *
 *   const monitor = new ExchangeKeyMonitor(this, 'KeyMonitor', {
 *     keys: [{ name: 'trading', secretName: 'prod/cdc-trading' }],
 *     egress: MonitorEgress.existingVpc(botVpc, { egressIps: ['203.0.113.7'] }),
 *     alerts: { emails: ['ops@example.com'] },
 *     botLogGroups: [{ logGroup: botService.logGroup, key: 'trading' }],
 *   });
 *   monitor.grantNudge(botTaskRole);
 *
 * The Lambda code ships prebuilt in the package: synth needs neither esbuild nor Docker.
 */
export { ExchangeKeyMonitor, type ExchangeKeyMonitorProps } from './constructs/exchange-key-monitor.js';
export {
  MonitorEgress,
  NatMode,
  type ElasticIpProps,
  type ExistingVpcEgressOptions,
  type OwnNatEgressOptions,
  type ProxyEgressOptions,
} from './constructs/egress-network.js';
export {
  DEFAULT_INCIDENTS,
  type AlertsProps,
  type IncidentProps,
  type MonitoredKeyProps,
  type SlackChannelProps,
  type TeamsChannelProps,
} from './constructs/monitor-props.js';
export { LambdaBundleMissingError } from './constructs/lambda-code.js';
export { type BotLogGroup } from './constructs/verify-function.js';
export { DEFAULT_BOT_LOG_FILTER_PATTERN } from '../src/contract/trigger.js';
export { ConfigError } from '../src/monitor/runtime-config.js';
