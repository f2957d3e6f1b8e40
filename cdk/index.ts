/**
 * exchange-key-monitor as a construct library: add the monitor to the CDK app that deploys your
 * bot, passing the bot's VPC (both leave through one NAT, one IP to whitelist) or a forward proxy.
 *
 *   new ExchangeKeyMonitor(this, 'KeyMonitor', {
 *     keys: [{ name: 'trading', secretName: 'prod/cdc-trading', expectTrade: true }],
 *     egress: { kind: 'existing-vpc', vpc: botVpc, egressIps: ['203.0.113.7'] },
 *     alerts: { emails: ['ops@example.com'] },
 *   });
 */
export { ExchangeKeyMonitor, DEFAULT_INCIDENTS, type ExchangeKeyMonitorProps } from './constructs/exchange-key-monitor.js';
export type { MonitorEgress } from './constructs/egress-network.js';
export type { AlertsConfig, IncidentConfig, KeyConfig } from './config.js';
