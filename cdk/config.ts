import { isIP } from 'node:net';
import { DEFAULT_INCIDENT_POLICY as D, DEFAULT_SCHEDULE_MINUTES, DEFAULT_SPACED_PROBE_MINUTES } from '../src/contract/defaults.js';
import { DEFAULT_IP_ECHO_URL, PRODUCTION_BASE_URL, UAT_BASE_URL } from '../src/contract/endpoints.js';
import { DEFAULT_NAMESPACE } from '../src/contract/service.js';
import { checkBaseUrl, checkProxyUrl } from '../src/exchange/base-url.js';
import { defaultAnnouncementsUrl } from '../src/monitor/maintenance.js';
import { ConfigError, KEY_NAME_PATTERN, KEY_SECURITY_FIELDS, securityFields, type KeySecurityFields } from '../src/monitor/runtime-config.js';
import { closest } from '../src/contract/did-you-mean.js';
import { nonPublicIpv4 } from '../src/contract/ip-address.js';
import { SECRET_ARN_PATTERN, SECRET_NAME_PATTERN, secretArnRegion } from '../src/contract/aws-names.js';

export { ConfigError };

/** One monitored exchange key. With neither secretName nor secretArn the stack creates the secret. */
export interface KeyConfig extends KeySecurityFields {
  readonly name: string;
  readonly secretName?: string;
  readonly secretArn?: string;
  /** true: the key must have Trade; false: it must be read-only. */
  readonly expectTrade: boolean;
  /** Default false: a key that can withdraw is a security finding. */
  readonly expectWithdraw?: boolean;
  /** true: the account must have derivatives access. */
  readonly expectDerivatives?: boolean;
  /** true: the key must belong to the master account. */
  readonly expectMaster?: boolean;
}

/** Where the checks' traffic leaves from: the one address (or few) to whitelist on the keys. */
export type EgressConfig =
  /** A VPC of the monitor's own, with one NAT holding one Elastic IP (the default). */
  | {
      readonly mode: 'nat';
      readonly natMode: 'gateway' | 'instance';
      readonly maxAzs: 1 | 2;
      readonly eip: { readonly allocationId: string; readonly publicIp: string } | null;
    }
  /** Your existing VPC: private subnets whose NAT already has the IP your bot uses. Nothing is looked up. */
  | {
      readonly mode: 'vpc';
      readonly vpcId: string;
      readonly availabilityZones: readonly string[];
      readonly privateSubnetIds: readonly string[];
      readonly privateSubnetRouteTableIds: readonly string[];
      readonly egressIps: readonly string[];
    }
  /** An HTTPS forward proxy (HTTP CONNECT) on the whitelisted host: no VPC, no NAT. */
  | { readonly mode: 'proxy'; readonly proxyUrl: string; readonly proxyTokenSecretName: string | null; readonly egressIps: readonly string[] };

export interface AlertsConfig {
  readonly emails: readonly string[];
  /** Slack through Amazon Q Developer in chat applications (formerly AWS Chatbot). */
  readonly slack: { readonly workspaceId: string; readonly channelId: string } | null;
  /** Microsoft Teams through Amazon Q Developer in chat applications. */
  readonly teams: { readonly tenantId: string; readonly teamId: string; readonly channelId: string } | null;
  /** An existing secret with webhook channels (Slack/Teams/Discord/Telegram/webhook); null = the stack creates an empty one. */
  readonly channelsSecretName: string | null;
}

export interface IncidentConfig {
  readonly openAfterRuns: number;
  readonly resolveAfterRuns: number;
  /** 0 = no reminders. */
  readonly remindEveryHours: number;
  /** While acknowledged; 0 = no reminders. */
  readonly acknowledgedRemindEveryHours: number;
  readonly historyDays: number;
  readonly keyMaxAgeDays: number;
}

export interface MonitorConfig {
  readonly keys: readonly KeyConfig[];
  readonly scheduleMinutes: number;
  readonly spacedProbeMinutes: number;
  readonly alerts: AlertsConfig;
  readonly exchangeBaseUrl: string;
  readonly ipEchoUrl: string;
  readonly announcementsUrl: string;
  readonly egress: EgressConfig;
  readonly metricsNamespace: string;
  readonly incidents: IncidentConfig;
  readonly botLogGroups: readonly BotLogGroupConfig[];
}

/** A bot's log group, by name, and the monitored key it uses (construct: BotLogGroup). */
export interface BotLogGroupConfig {
  readonly logGroupName: string;
  readonly key: string;
  readonly filterPattern: string | null;
}

export const DEFAULT_KEY: KeyConfig = { name: 'default', expectTrade: true };

/** Every context key this app reads. Anything else that looks like ours is a typo and fails synth. */
export const CONTEXT_KEYS = [
  'keys',
  'scheduleMinutes',
  'spacedProbeMinutes',
  'alertEmail',
  'slackWorkspaceId',
  'slackChannelId',
  'teamsTenantId',
  'teamsTeamId',
  'teamsChannelId',
  'channelsSecretName',
  'exchangeBaseUrl',
  'ipEchoUrl',
  'announcementsUrl',
  'natMode',
  'maxAzs',
  'eipAllocationId',
  'eipPublicIp',
  'vpcId',
  'availabilityZones',
  'privateSubnetIds',
  'privateSubnetRouteTableIds',
  'egressIps',
  'proxyUrl',
  'proxyTokenSecretName',
  'metricsNamespace',
  'openAfterRuns',
  'resolveAfterRuns',
  'remindEveryHours',
  'acknowledgedRemindEveryHours',
  'historyDays',
  'keyMaxAgeDays',
  'botLogGroups',
] as const;

/** Context from cdk.json is typed JSON; from `-c name=value` it is always a string. */
type Lookup = (name: string) => unknown;

function parsed(get: Lookup, name: string): unknown {
  const v = get(name);
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (/^[[{]/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      throw new ConfigError(name, 'is not valid JSON');
    }
  }
  return t;
}

const absent = (v: unknown) => v === undefined || v === '';

function int(get: Lookup, name: string, fallback: number, min: number, max: number): number {
  const v = parsed(get, name);
  if (absent(v)) return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function oneOf<T extends string>(get: Lookup, name: string, allowed: readonly T[], fallback: T): T {
  const v = parsed(get, name);
  if (absent(v)) return fallback;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

function optionalString(get: Lookup, name: string, pattern: RegExp, what: string): string | null {
  const v = parsed(get, name);
  if (absent(v)) return null;
  if (typeof v !== 'string' || !pattern.test(v)) throw new ConfigError(name, what);
  return v;
}

/** A list from a JSON array or a comma-separated string. */
function list(get: Lookup, name: string): string[] {
  const v = parsed(get, name);
  if (absent(v)) return [];
  const items = Array.isArray(v) ? v : String(v).split(',');
  return items.map((x: unknown) => String(x).trim()).filter(Boolean);
}

/** Secrets the stack creates (one resource each) on top of its ~70 base resources, under CloudFormation's 500. */
export const MAX_CREATED_SECRETS = 400;

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const SECRET_ARN = SECRET_ARN_PATTERN;
const SECRET_NAME = SECRET_NAME_PATTERN;

function keys(get: Lookup): KeyConfig[] {
  const v = parsed(get, 'keys');
  if (absent(v)) return [DEFAULT_KEY];
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError('keys', 'must be a non-empty JSON array of {name, secretName | secretArn, expectTrade}');
  const created = v.filter((k: unknown) => k && typeof k === 'object' && !('secretName' in k) && !('secretArn' in k)).length;
  if (created > MAX_CREATED_SECRETS) {
    throw new ConfigError(
      'keys',
      `${created} keys name no secret, so the stack would create ${created} secrets; a CloudFormation stack holds at most 500 resources. ` +
        `Create the secrets yourself (aws secretsmanager create-secret) and give each key its secretName, or keep at most ${MAX_CREATED_SECRETS} created secrets.`,
    );
  }
  const seen = new Set<string>();
  const parsedKeys = v.map((item: unknown, i) => {
    const at = `keys[${i}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new ConfigError(at, 'must be an object');
    const k = item as Record<string, unknown>;
    const known = ['name', 'secretName', 'secretArn', 'expectTrade', 'expectWithdraw', 'expectDerivatives', 'expectMaster', ...KEY_SECURITY_FIELDS];
    const unknown = Object.keys(k).find((f) => !known.includes(f));
    if (unknown) throw new ConfigError(`${at}.${unknown}`, `unknown field (expected ${known.join(', ')})`);
    if (typeof k['name'] !== 'string' || !KEY_NAME_PATTERN.test(k['name']))
      throw new ConfigError(`${at}.name`, 'letters, digits, - and _ only (1–64 characters)');
    if (seen.has(k['name'])) throw new ConfigError(`${at}.name`, `"${k['name']}" is used twice`);
    seen.add(k['name']);
    if (k['secretName'] !== undefined && k['secretArn'] !== undefined) throw new ConfigError(at, 'give secretName or secretArn, not both');
    if (k['secretName'] !== undefined && (typeof k['secretName'] !== 'string' || !SECRET_NAME.test(k['secretName'])))
      throw new ConfigError(`${at}.secretName`, 'is not a valid secret name');
    if (k['secretArn'] !== undefined && (typeof k['secretArn'] !== 'string' || !SECRET_ARN.test(k['secretArn'])))
      throw new ConfigError(`${at}.secretArn`, 'is not a Secrets Manager secret ARN');
    for (const f of ['expectTrade', 'expectWithdraw', 'expectDerivatives', 'expectMaster'] as const) {
      if (k[f] !== undefined && typeof k[f] !== 'boolean') throw new ConfigError(`${at}.${f}`, 'must be true or false');
    }
    return {
      name: k['name'],
      ...(k['secretName'] ? { secretName: k['secretName'] as string } : {}),
      ...(k['secretArn'] ? { secretArn: k['secretArn'] as string } : {}),
      expectTrade: (k['expectTrade'] as boolean | undefined) ?? true,
      ...(typeof k['expectWithdraw'] === 'boolean' ? { expectWithdraw: k['expectWithdraw'] } : {}),
      ...(typeof k['expectDerivatives'] === 'boolean' ? { expectDerivatives: k['expectDerivatives'] } : {}),
      ...(typeof k['expectMaster'] === 'boolean' ? { expectMaster: k['expectMaster'] } : {}),
      ...securityFields(k, at),
    };
  });
  // The app is environment-agnostic, so the stack's region is not known here; two regions among the
  // ARNs mean at least one secret the Lambdas cannot read. The construct checks against the stack's own.
  checkSecretRegions(parsedKeys, null);
  return parsedKeys;
}

/**
 * Every secretArn in one region, and in the stack's region when it is known: Lambda reads secrets
 * through its own region's Secrets Manager, so a secret elsewhere could never be read or rotated.
 */
export function checkSecretRegions(keys: readonly Pick<KeyConfig, 'secretArn'>[], stackRegion: string | null): void {
  let first: { at: number; region: string } | null = null;
  keys.forEach((k, i) => {
    const region = k.secretArn ? secretArnRegion(k.secretArn) : null;
    if (region === null) return;
    if (stackRegion !== null && region !== stackRegion) {
      throw new ConfigError(
        `keys[${i}].secretArn`,
        `is in ${region}, but the stack deploys to ${stackRegion}: the Lambdas read secrets of their own region only (deploy the monitor in ${region}, or replicate the secret to ${stackRegion})`,
      );
    }
    if (first && region !== first.region) {
      throw new ConfigError(
        `keys[${i}].secretArn`,
        `is in ${region}, but keys[${first.at}].secretArn is in ${first.region}: one stack reads secrets of its own region only (one monitor per region)`,
      );
    }
    first ??= { at: i, region };
  });
}

function emails(get: Lookup): string[] {
  return list(get, 'alertEmail').map((s) => {
    if (!EMAIL.test(s)) throw new ConfigError('alertEmail', `"${s}" is not an email address`);
    return s;
  });
}

function baseUrl(get: Lookup): string {
  return resolveExchangeBaseUrl(parsed(get, 'exchangeBaseUrl'));
}

/** `production`, `uat` or an https:// API root, as the context setting and the construct prop take it. */
export function resolveExchangeBaseUrl(v: unknown): string {
  if (absent(v) || v === 'production') return PRODUCTION_BASE_URL;
  if (v === 'uat') return UAT_BASE_URL;
  const verdict = typeof v === 'string' ? checkBaseUrl(v) : { ok: false as const, problem: 'must be a string' };
  if (!verdict.ok || !String(v).startsWith('https://')) {
    throw new ConfigError('exchangeBaseUrl', `must be "production", "uat" or the https:// API root (${verdict.ok ? 'https only' : verdict.problem})`);
  }
  return verdict.url;
}

function httpsUrl(get: Lookup, name: string, fallback: string): string {
  const v = parsed(get, name);
  if (absent(v)) return fallback;
  if (typeof v !== 'string' || !/^https:\/\/[^\s]+$/.test(v)) throw new ConfigError(name, 'must be an https:// URL');
  try {
    new URL(v);
  } catch {
    throw new ConfigError(name, 'must be an https:// URL');
  }
  return v;
}

export function checkEgressIp(ip: string, field: string): string {
  if (isIP(ip) !== 4) throw new ConfigError(field, `"${ip}" is not an IPv4 address`);
  const why = nonPublicIpv4(ip);
  if (why)
    throw new ConfigError(
      field,
      `"${ip}" is ${why}; the exchange whitelist needs the public address your traffic leaves from (the NAT's or proxy host's Elastic IP)`,
    );
  return ip;
}

function ips(get: Lookup, name: string): string[] {
  return list(get, name).map((ip) => checkEgressIp(ip, name));
}

/**
 * A forward proxy URL as the stack writes it for the Lambdas: the shared rule, worded for `field`.
 * With a token, plain http:// is loopback only (no Lambda has a proxy on its loopback, so in practice
 * https://): the token would otherwise cross the network in clear text.
 */
export function resolveProxyUrl(value: unknown, withToken: boolean, field: string, tokenField: string): string {
  const verdict = typeof value === 'string' ? checkProxyUrl(value, { withToken }) : ({ ok: false, problem: 'not-a-url' } as const);
  if (verdict.ok) return verdict.url;
  const problems: Record<typeof verdict.problem, string> = {
    'not-a-url': 'must be an http:// or https:// URL of an HTTP CONNECT proxy',
    scheme: 'must be an http:// or https:// URL of an HTTP CONNECT proxy',
    credentials: `must not carry credentials: put the proxy token in a secret (${tokenField})`,
    path: `must be http(s)://host:port only: a CONNECT proxy takes no path, query or fragment (${JSON.stringify(String(value).slice(0, 80))} would lose them silently)`,
    'token-in-clear': `is plain http:// to a host that is not loopback, with a token (${tokenField}): the token would travel in clear text; use https:// to the proxy`,
  };
  throw new ConfigError(field, problems[verdict.problem]);
}

function eip(get: Lookup): { allocationId: string; publicIp: string } | null {
  const allocationId = parsed(get, 'eipAllocationId');
  const publicIp = parsed(get, 'eipPublicIp');
  if (absent(allocationId) && absent(publicIp)) return null;
  if (typeof allocationId !== 'string' || !/^eipalloc-[0-9a-f]{8,17}$/.test(allocationId)) {
    throw new ConfigError('eipAllocationId', 'must look like eipalloc-0123456789abcdef0 (and goes with eipPublicIp)');
  }
  if (typeof publicIp !== 'string' || isIP(publicIp) !== 4) {
    throw new ConfigError('eipPublicIp', 'the IPv4 address of eipAllocationId is needed too (it goes into the alerts)');
  }
  return { allocationId, publicIp: checkEgressIp(publicIp, 'eipPublicIp') };
}

const VPC_FIELDS = ['vpcId', 'availabilityZones', 'privateSubnetIds', 'privateSubnetRouteTableIds'] as const;
const NAT_FIELDS = ['natMode', 'maxAzs', 'eipAllocationId', 'eipPublicIp'] as const;

function egress(get: Lookup): EgressConfig {
  const given = (name: string) => !absent(parsed(get, name));
  const vpcGiven = VPC_FIELDS.filter(given);
  const proxyGiven = given('proxyUrl');
  if (vpcGiven.length > 0 && proxyGiven) throw new ConfigError('proxyUrl', 'choose one egress: your VPC (vpcId…) or a forward proxy (proxyUrl), not both');
  const natGiven = NAT_FIELDS.filter(given);
  if ((vpcGiven.length > 0 || proxyGiven) && natGiven.length > 0) {
    throw new ConfigError(natGiven[0] as string, `belongs to the monitor's own NAT; with ${proxyGiven ? 'proxyUrl' : 'vpcId'} the stack creates no NAT`);
  }
  if (proxyGiven) {
    const proxyTokenSecretName = optionalString(get, 'proxyTokenSecretName', SECRET_NAME, 'is not a valid secret name');
    const proxyUrl = resolveProxyUrl(String(parsed(get, 'proxyUrl')), proxyTokenSecretName !== null, 'proxyUrl', 'proxyTokenSecretName');
    const egressIps = ips(get, 'egressIps');
    if (egressIps.length === 0)
      throw new ConfigError('egressIps', 'the public IP(s) the proxy host leaves from are needed (they go into the egress check and the alerts)');
    return { mode: 'proxy', proxyUrl, proxyTokenSecretName, egressIps };
  }
  if (vpcGiven.length > 0) {
    const missing = VPC_FIELDS.filter((f) => !given(f));
    if (missing.length > 0)
      throw new ConfigError(
        missing[0] as string,
        `is needed with ${vpcGiven.join(', ')}: an existing VPC is described in full (${VPC_FIELDS.join(', ')}, egressIps) so synth looks nothing up`,
      );
    const vpcId = String(parsed(get, 'vpcId'));
    if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) throw new ConfigError('vpcId', 'must look like vpc-0123456789abcdef0');
    const availabilityZones = list(get, 'availabilityZones');
    const privateSubnetIds = list(get, 'privateSubnetIds');
    const privateSubnetRouteTableIds = list(get, 'privateSubnetRouteTableIds');
    if (availabilityZones.some((az) => !/^[a-z]{2}-[a-z]+-\d[a-z]$/.test(az))) throw new ConfigError('availabilityZones', 'must be zone names like eu-west-1a');
    if (privateSubnetIds.some((id) => !/^subnet-[0-9a-f]{8,17}$/.test(id)))
      throw new ConfigError('privateSubnetIds', 'must look like subnet-0123456789abcdef0');
    if (privateSubnetRouteTableIds.some((id) => !/^rtb-[0-9a-f]{8,17}$/.test(id)))
      throw new ConfigError('privateSubnetRouteTableIds', 'must look like rtb-0123456789abcdef0');
    if (privateSubnetIds.length !== availabilityZones.length)
      throw new ConfigError('privateSubnetIds', `one subnet per availability zone: ${privateSubnetIds.length} subnets for ${availabilityZones.length} zones`);
    if (privateSubnetRouteTableIds.length !== privateSubnetIds.length)
      throw new ConfigError('privateSubnetRouteTableIds', 'one route table per private subnet, in the same order');
    const egressIps = ips(get, 'egressIps');
    if (egressIps.length === 0)
      throw new ConfigError('egressIps', 'the public IP(s) your NAT leaves from are needed (they go into the egress check and the alerts)');
    return { mode: 'vpc', vpcId, availabilityZones, privateSubnetIds, privateSubnetRouteTableIds, egressIps };
  }
  if (given('egressIps')) throw new ConfigError('egressIps', 'is for vpcId or proxyUrl; the monitor’s own NAT knows its IP');
  return {
    mode: 'nat',
    natMode: oneOf(get, 'natMode', ['gateway', 'instance'] as const, 'gateway'),
    maxAzs: int(get, 'maxAzs', 1, 1, 2) as 1 | 2,
    eip: eip(get),
  };
}

function alerts(get: Lookup): AlertsConfig {
  const slackWorkspaceId = optionalString(
    get,
    'slackWorkspaceId',
    /^[A-Z0-9]{9,11}$/,
    'is the Slack workspace id (like T01ABCDEF23) from the Amazon Q Developer console',
  );
  const slackChannelId = optionalString(get, 'slackChannelId', /^[A-Z0-9]{9,11}$/, 'is the Slack channel id (like C01ABCDEF23)');
  if ((slackWorkspaceId === null) !== (slackChannelId === null))
    throw new ConfigError(slackWorkspaceId ? 'slackChannelId' : 'slackWorkspaceId', 'slackWorkspaceId and slackChannelId go together');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const teamsTenantId = optionalString(get, 'teamsTenantId', uuid, 'is the Microsoft Entra tenant id (a UUID)');
  const teamsTeamId = optionalString(get, 'teamsTeamId', uuid, 'is the Teams team id (a UUID)');
  const teamsChannelId = optionalString(
    get,
    'teamsChannelId',
    /^19(%3a|:)[^\s]+(%40|@)thread\.(tacv2|skype)$/i,
    'is the Teams channel id (like 19%3a…%40thread.tacv2)',
  );
  const teamsGiven = [teamsTenantId, teamsTeamId, teamsChannelId].filter((x) => x !== null).length;
  if (teamsGiven > 0 && teamsGiven < 3)
    throw new ConfigError(
      teamsTenantId === null ? 'teamsTenantId' : teamsTeamId === null ? 'teamsTeamId' : 'teamsChannelId',
      'teamsTenantId, teamsTeamId and teamsChannelId go together',
    );
  return {
    emails: emails(get),
    slack: slackWorkspaceId && slackChannelId ? { workspaceId: slackWorkspaceId, channelId: slackChannelId } : null,
    teams: teamsTenantId && teamsTeamId && teamsChannelId ? { tenantId: teamsTenantId, teamId: teamsTeamId, channelId: teamsChannelId } : null,
    channelsSecretName: optionalString(get, 'channelsSecretName', SECRET_NAME, 'is not a valid secret name'),
  };
}

/**
 * A context key that looks like ours (plain camelCase, no `:` `@` or `/` like CDK's own) but is not
 * one we read is a typo: `alertEmal` must not deploy a monitor that tells nobody.
 */
export function checkContextKeys(names: readonly string[]): void {
  for (const name of names) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(name) || (CONTEXT_KEYS as readonly string[]).includes(name)) continue;
    const best = closest(name, CONTEXT_KEYS, 3);
    const hint = best ? ` — did you mean ${best}?` : '';
    throw new ConfigError(name, `unknown setting${hint} (README → Configure lists them all)`);
  }
}

const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

function botLogGroups(get: Lookup, keyNames: readonly string[]): BotLogGroupConfig[] {
  const v = parsed(get, 'botLogGroups');
  if (absent(v)) return [];
  if (!Array.isArray(v)) throw new ConfigError('botLogGroups', 'must be a JSON array of {logGroupName, key, filterPattern?}');
  return v.map((item: unknown, i) => {
    const at = `botLogGroups[${i}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new ConfigError(at, 'must be an object {logGroupName, key, filterPattern?}');
    const g = item as Record<string, unknown>;
    const unknown = Object.keys(g).find((f) => !['logGroupName', 'key', 'filterPattern'].includes(f));
    if (unknown) throw new ConfigError(`${at}.${unknown}`, 'unknown field (expected logGroupName, key, filterPattern)');
    if (typeof g['logGroupName'] !== 'string' || !LOG_GROUP_NAME.test(g['logGroupName']))
      throw new ConfigError(`${at}.logGroupName`, 'must be a CloudWatch Logs log group name (letters, digits and . - _ / #, up to 512)');
    if (typeof g['key'] !== 'string' || !keyNames.includes(g['key'])) throw new ConfigError(`${at}.key`, `must name a monitored key (${keyNames.join(', ')})`);
    if (g['filterPattern'] !== undefined && typeof g['filterPattern'] !== 'string') throw new ConfigError(`${at}.filterPattern`, 'must be a string');
    return { logGroupName: g['logGroupName'], key: g['key'], filterPattern: (g['filterPattern'] as string | undefined) ?? null };
  });
}

export function loadConfig(get: Lookup): MonitorConfig {
  const namespace = parsed(get, 'metricsNamespace');
  if (!absent(namespace) && (typeof namespace !== 'string' || !/^[A-Za-z0-9._/#:-]{1,255}$/.test(namespace))) {
    throw new ConfigError('metricsNamespace', 'letters, digits and . _ / # : - only');
  }
  const exchangeBaseUrl = baseUrl(get);
  const scheduleMinutes = int(get, 'scheduleMinutes', DEFAULT_SCHEDULE_MINUTES, 1, 1440);
  const keyList = keys(get);
  return {
    keys: keyList,
    scheduleMinutes,
    spacedProbeMinutes: int(get, 'spacedProbeMinutes', DEFAULT_SPACED_PROBE_MINUTES, 0, 1440),
    alerts: alerts(get),
    exchangeBaseUrl,
    ipEchoUrl: httpsUrl(get, 'ipEchoUrl', DEFAULT_IP_ECHO_URL),
    announcementsUrl: httpsUrl(get, 'announcementsUrl', defaultAnnouncementsUrl(exchangeBaseUrl)),
    egress: egress(get),
    metricsNamespace: (namespace as string | undefined) || DEFAULT_NAMESPACE,
    incidents: {
      openAfterRuns: int(get, 'openAfterRuns', D.openAfterRuns, 1, 100),
      resolveAfterRuns: int(get, 'resolveAfterRuns', D.resolveAfterRuns, 1, 100),
      remindEveryHours: int(get, 'remindEveryHours', D.remindEveryHours, 0, 24 * 30),
      acknowledgedRemindEveryHours: int(get, 'acknowledgedRemindEveryHours', D.acknowledgedRemindEveryHours, 0, 24 * 30),
      historyDays: int(get, 'historyDays', D.historyDays, 1, 400),
      keyMaxAgeDays: int(get, 'keyMaxAgeDays', D.keyMaxAgeDays, 0, 3650),
    },
    botLogGroups: botLogGroups(
      get,
      keyList.map((k) => k.name),
    ),
  };
}

/** Whether anyone will hear an alert: an email, a chat channel, or the webhook channels secret. */
export function alertsReachSomeone(alerts: AlertsConfig): boolean {
  return alerts.emails.length > 0 || alerts.slack !== null || alerts.teams !== null || alerts.channelsSecretName !== null;
}
