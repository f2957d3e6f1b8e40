import { isIP } from 'node:net';
import { DEFAULT_IP_ECHO_URL, PRODUCTION_BASE_URL, UAT_BASE_URL } from '../lambdas/contract/endpoints.js';
import { ConfigError, KEY_NAME_PATTERN } from '../lambdas/monitor/runtime-config.js';
import { DEFAULT_NAMESPACE } from '../lambdas/contract/service.js';

export { ConfigError };

/** One monitored exchange key. With neither secretName nor secretArn the stack creates the secret. */
export interface KeyConfig {
  readonly name: string;
  readonly secretName?: string;
  readonly secretArn?: string;
  /** true: the key must have Trade; false: it must be read-only. */
  readonly expectTrade: boolean;
  /** Attach the validate-then-promote rotation Lambda to this key's secret. */
  readonly rotation: boolean;
}

export interface MonitorConfig {
  readonly keys: readonly KeyConfig[];
  readonly scheduleMinutes: number;
  readonly alertEmails: readonly string[];
  readonly exchangeBaseUrl: string;
  readonly ipEchoUrl: string;
  /** Reuse an Elastic IP that is already whitelisted; null = create one (retained on destroy). */
  readonly eip: { readonly allocationId: string; readonly publicIp: string } | null;
  readonly natMode: 'gateway' | 'instance';
  readonly maxAzs: 1 | 2;
  readonly metricsNamespace: string;
  readonly keyMaxAgeDays: number;
  /** Maintenance mute: alarms keep evaluating but send nothing. */
  readonly muteAlarms: boolean;
}

export const DEFAULT_KEY: KeyConfig = { name: 'default', expectTrade: true, rotation: true };

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

function int(get: Lookup, name: string, fallback: number, min: number, max: number): number {
  const v = parsed(get, name);
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function bool(get: Lookup, name: string, fallback: boolean): boolean {
  const v = parsed(get, name);
  if (v === undefined || v === '') return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(v)}`);
}

function oneOf<T extends string>(get: Lookup, name: string, allowed: readonly T[], fallback: T): T {
  const v = parsed(get, name);
  if (v === undefined || v === '') return fallback;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
}

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

function keys(get: Lookup): KeyConfig[] {
  const v = parsed(get, 'keys');
  if (v === undefined || v === '') return [DEFAULT_KEY];
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError('keys', 'must be a non-empty JSON array of {name, secretName | secretArn, expectTrade}');
  const seen = new Set<string>();
  return v.map((item: unknown, i) => {
    const at = `keys[${i}]`;
    if (!item || typeof item !== 'object') throw new ConfigError(at, 'must be an object');
    const k = item as Record<string, unknown>;
    const known = new Set(['name', 'secretName', 'secretArn', 'expectTrade', 'rotation']);
    const unknown = Object.keys(k).find((f) => !known.has(f));
    if (unknown) throw new ConfigError(`${at}.${unknown}`, 'unknown field (expected name, secretName, secretArn, expectTrade, rotation)');
    if (typeof k['name'] !== 'string' || !KEY_NAME_PATTERN.test(k['name'])) throw new ConfigError(`${at}.name`, 'letters, digits, - and _ only (1–64 characters)');
    if (seen.has(k['name'])) throw new ConfigError(`${at}.name`, `"${k['name']}" is used twice`);
    seen.add(k['name']);
    if (k['secretName'] !== undefined && k['secretArn'] !== undefined) throw new ConfigError(at, 'give secretName or secretArn, not both');
    if (k['secretName'] !== undefined && (typeof k['secretName'] !== 'string' || !SECRET_NAME.test(k['secretName']))) throw new ConfigError(`${at}.secretName`, 'is not a valid secret name');
    if (k['secretArn'] !== undefined && (typeof k['secretArn'] !== 'string' || !SECRET_ARN.test(k['secretArn']))) throw new ConfigError(`${at}.secretArn`, 'is not a Secrets Manager secret ARN');
    for (const flag of ['expectTrade', 'rotation'] as const) {
      if (k[flag] !== undefined && typeof k[flag] !== 'boolean') throw new ConfigError(`${at}.${flag}`, 'must be true or false');
    }
    return {
      name: k['name'],
      ...(k['secretName'] ? { secretName: k['secretName'] as string } : {}),
      ...(k['secretArn'] ? { secretArn: k['secretArn'] as string } : {}),
      expectTrade: (k['expectTrade'] as boolean | undefined) ?? true,
      rotation: (k['rotation'] as boolean | undefined) ?? true,
    };
  });
}

function emails(get: Lookup): string[] {
  const v = parsed(get, 'alertEmail');
  if (v === undefined || v === '') return [];
  const list = Array.isArray(v) ? v : String(v).split(',');
  return list.map((e: unknown) => {
    const s = String(e).trim();
    if (!EMAIL.test(s)) throw new ConfigError('alertEmail', `"${s}" is not an email address`);
    return s;
  });
}

function baseUrl(get: Lookup): string {
  const v = parsed(get, 'exchangeBaseUrl');
  if (v === undefined || v === '' || v === 'production') return PRODUCTION_BASE_URL;
  if (v === 'uat') return UAT_BASE_URL;
  if (typeof v === 'string' && /^https:\/\/[^\s/]+(\/\S*)?$/.test(v)) return v.replace(/\/+$/, '');
  throw new ConfigError('exchangeBaseUrl', 'must be "production", "uat" or an https:// URL');
}

function eip(get: Lookup): MonitorConfig['eip'] {
  const allocationId = parsed(get, 'eipAllocationId');
  const publicIp = parsed(get, 'eipPublicIp');
  if ((allocationId === undefined || allocationId === '') && (publicIp === undefined || publicIp === '')) return null;
  if (typeof allocationId !== 'string' || !/^eipalloc-[0-9a-f]{8,17}$/.test(allocationId)) {
    throw new ConfigError('eipAllocationId', 'must look like eipalloc-0123456789abcdef0 (and goes with eipPublicIp)');
  }
  if (typeof publicIp !== 'string' || isIP(publicIp) !== 4) {
    throw new ConfigError('eipPublicIp', 'the IPv4 address of eipAllocationId is needed too (it goes into the alerts)');
  }
  return { allocationId, publicIp };
}

export function loadConfig(get: Lookup): MonitorConfig {
  const ipEchoUrl = parsed(get, 'ipEchoUrl');
  if (ipEchoUrl !== undefined && ipEchoUrl !== '' && (typeof ipEchoUrl !== 'string' || !/^https:\/\/\S+$/.test(ipEchoUrl))) {
    throw new ConfigError('ipEchoUrl', 'must be an https:// URL');
  }
  const namespace = parsed(get, 'metricsNamespace');
  if (namespace !== undefined && (typeof namespace !== 'string' || !/^[A-Za-z0-9._/#:-]{1,255}$/.test(namespace))) {
    throw new ConfigError('metricsNamespace', 'letters, digits and . _ / # : - only');
  }
  return {
    keys: keys(get),
    scheduleMinutes: int(get, 'scheduleMinutes', 5, 1, 1440),
    alertEmails: emails(get),
    exchangeBaseUrl: baseUrl(get),
    ipEchoUrl: (ipEchoUrl as string | undefined) || DEFAULT_IP_ECHO_URL,
    eip: eip(get),
    natMode: oneOf(get, 'natMode', ['gateway', 'instance'] as const, 'gateway'),
    maxAzs: int(get, 'maxAzs', 1, 1, 2) as 1 | 2,
    metricsNamespace: (namespace as string | undefined) ?? DEFAULT_NAMESPACE,
    keyMaxAgeDays: int(get, 'keyMaxAgeDays', 90, 1, 3650),
    muteAlarms: bool(get, 'muteAlarms', false),
  };
}
