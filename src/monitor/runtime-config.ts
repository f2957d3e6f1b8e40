import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DEFAULT_INCIDENT_POLICY, DEFAULT_SPACED_PROBE_MINUTES, DEFAULT_TIMEOUT_MS } from '../contract/defaults.js';
import { ENV } from '../contract/env.js';
import { checkBaseUrl, checkProxyUrl, isSecureOrLoopback } from '../exchange/base-url.js';
import { SERVICE_NAME } from '../contract/service.js';

/**
 * The check and rotation Lambdas' configuration: small values from environment variables the CDK
 * stack writes, and the key list from a JSON file bundled with the function (it grows with the
 * keys; Lambda's environment stops at 4 KB). Pure apart from reading that one file.
 */
export { ENV };

/** The security watch's settings of one key (security-watch.ts), as the key list and the construct give them. */
export interface KeySecurityFields {
  /** false: no security watch for this key. Default true. */
  readonly securityWatch?: boolean | undefined;
  /** Percent of the account's value whose loss between two checks is a finding (default 25). */
  readonly fundsDropPercent?: number | undefined;
  /** USD value of an asset whose disappearance is a finding (default 1,000). */
  readonly assetVanishedUsd?: number | undefined;
  /** Open orders whose client_oid lacks it are orders the bot did not place. */
  readonly botClientOidPrefix?: string | undefined;
  /** Withdrawals to these addresses are expected. */
  readonly allowedWithdrawalAddresses?: string[] | undefined;
  /** Withdrawals whose client_wid starts with it are expected. */
  readonly allowedWithdrawalClientWidPrefix?: string | undefined;
}

export const KEY_SECURITY_FIELDS = [
  'securityWatch',
  'fundsDropPercent',
  'assetVanishedUsd',
  'botClientOidPrefix',
  'allowedWithdrawalAddresses',
  'allowedWithdrawalClientWidPrefix',
] as const;

export interface MonitoredKey extends KeySecurityFields {
  /** Short name used in logs, alerts and the store; never the API key itself. */
  readonly name: string;
  /** Secrets Manager name or ARN holding {"apiKey","apiSecret"}. */
  readonly secretId: string;
  readonly expectTrade: boolean;
  /** Default false: a key that can withdraw is a finding. */
  readonly expectWithdraw?: boolean | undefined;
  readonly expectDerivatives?: boolean | undefined;
  readonly expectMaster?: boolean | undefined;
}

export interface RuntimeConfig {
  readonly keys: readonly MonitoredKey[];
  readonly baseUrl: string;
  readonly ipEchoUrl: string | null;
  readonly expectedIps: readonly string[];
  readonly timeoutMs: number;
  readonly secretCacheTtlMs: number;
  /** How often a healthy key's trade probe and account read are sent (cadence.ts); 0 = every run. */
  readonly spacedProbeMs: number;
  /** Leave through a forward proxy; its token is read from the named secret, never from the environment. */
  readonly proxy: { readonly url: string; readonly tokenSecretId: string | null } | null;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

export const KEY_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function wholeMinutes(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 1440) throw new ConfigError(name, `expected whole minutes from 0 (every run) to 1440, got "${raw}"`);
  return n;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, `expected a positive whole number, got "${raw}"`);
  return n;
}

export function parseMonitoredKeys(raw: string | undefined, source: string = ENV.keys): MonitoredKey[] {
  if (!raw) throw new ConfigError(source, 'not set');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(source, 'not valid JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new ConfigError(source, 'expected a non-empty JSON array');
  const names = new Set<string>();
  return parsed.map((item: unknown, i) => {
    const k = item as (Partial<MonitoredKey> & Record<string, unknown>) | null;
    if (!k || typeof k.name !== 'string' || !KEY_NAME_PATTERN.test(k.name))
      throw new ConfigError(`${source}[${i}].name`, 'letters, digits, - and _ only (1–64)');
    if (names.has(k.name)) throw new ConfigError(`${source}[${i}].name`, `"${k.name}" is used twice`);
    names.add(k.name);
    if (typeof k.secretId !== 'string' || !k.secretId) throw new ConfigError(`${source}[${i}].secretId`, 'missing');
    if (typeof k.expectTrade !== 'boolean') throw new ConfigError(`${source}[${i}].expectTrade`, 'must be true or false');
    for (const f of ['expectWithdraw', 'expectDerivatives', 'expectMaster'] as const) {
      if (k[f] !== undefined && typeof k[f] !== 'boolean') throw new ConfigError(`${source}[${i}].${f}`, 'must be true or false');
    }
    return {
      name: k.name,
      secretId: k.secretId,
      expectTrade: k.expectTrade,
      ...(k.expectWithdraw !== undefined ? { expectWithdraw: k.expectWithdraw } : {}),
      ...(k.expectDerivatives !== undefined ? { expectDerivatives: k.expectDerivatives } : {}),
      ...(k.expectMaster !== undefined ? { expectMaster: k.expectMaster } : {}),
      ...securityFields(k, `${source}[${i}]`),
    };
  });
}

const PREFIX = /^[A-Za-z0-9_.:-]{1,36}$/;

/**
 * The security watch's per-key settings, each checked on its own (a bad value is named, never
 * ignored): the same rule at synth (construct props, context) and when the Lambda reads the key list.
 */
export function securityFields(k: Readonly<Record<string, unknown>>, at: string): KeySecurityFields {
  const out: Record<string, unknown> = {};
  if (k['securityWatch'] !== undefined) {
    if (typeof k['securityWatch'] !== 'boolean') throw new ConfigError(`${at}.securityWatch`, 'must be true or false');
    out['securityWatch'] = k['securityWatch'];
  }
  const pct = k['fundsDropPercent'];
  if (pct !== undefined) {
    if (typeof pct !== 'number' || !Number.isFinite(pct) || pct <= 0 || pct > 100)
      throw new ConfigError(`${at}.fundsDropPercent`, 'expected a percentage above 0, at most 100');
    out['fundsDropPercent'] = pct;
  }
  const usd = k['assetVanishedUsd'];
  if (usd !== undefined) {
    if (typeof usd !== 'number' || !Number.isFinite(usd) || usd <= 0) throw new ConfigError(`${at}.assetVanishedUsd`, 'expected a positive amount in USD');
    out['assetVanishedUsd'] = usd;
  }
  for (const f of ['botClientOidPrefix', 'allowedWithdrawalClientWidPrefix'] as const) {
    if (k[f] === undefined) continue;
    if (typeof k[f] !== 'string' || !PREFIX.test(k[f])) throw new ConfigError(`${at}.${f}`, 'letters, digits and _ . : - only (1–36)');
    out[f] = k[f];
  }
  const addresses = k['allowedWithdrawalAddresses'];
  if (addresses !== undefined) {
    if (!Array.isArray(addresses) || !addresses.every((a) => typeof a === 'string' && a.length > 0 && a.length <= 200))
      throw new ConfigError(`${at}.allowedWithdrawalAddresses`, 'expected a list of addresses');
    out['allowedWithdrawalAddresses'] = addresses;
  }
  return out as KeySecurityFields;
}

function keysFrom(env: NodeJS.ProcessEnv, readFile: (path: string) => string): MonitoredKey[] {
  const given = env[ENV.keysFile];
  if (given) {
    // Relative to the function's code (the stack bundles the file next to the handler).
    const file = isAbsolute(given) ? given : join(env['LAMBDA_TASK_ROOT'] ?? process.cwd(), given);
    let text: string;
    try {
      text = readFile(file);
    } catch {
      throw new ConfigError(ENV.keysFile, `cannot read ${given}`);
    }
    return parseMonitoredKeys(text, ENV.keysFile);
  }
  return parseMonitoredKeys(env[ENV.keys]);
}

export function loadRuntimeConfig(env: NodeJS.ProcessEnv, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): RuntimeConfig {
  const baseUrl = env[ENV.baseUrl];
  if (!baseUrl) throw new ConfigError(ENV.baseUrl, 'not set');
  const base = checkBaseUrl(baseUrl);
  if (!base.ok) throw new ConfigError(ENV.baseUrl, base.problem);
  const ipEchoUrl = env[ENV.ipEchoUrl] || null;
  if (ipEchoUrl && !isSecureOrLoopback(ipEchoUrl)) throw new ConfigError(ENV.ipEchoUrl, 'must be an https:// URL');
  return {
    keys: keysFrom(env, readFile),
    baseUrl: base.url,
    ipEchoUrl,
    expectedIps: (env[ENV.expectedIp] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    timeoutMs: positiveInt(env, ENV.timeoutMs, DEFAULT_TIMEOUT_MS),
    secretCacheTtlMs: positiveInt(env, ENV.secretCacheTtlMs, 30_000),
    spacedProbeMs: wholeMinutes(env, ENV.spacedProbeMinutes, DEFAULT_SPACED_PROBE_MINUTES) * 60_000,
    proxy: proxyConfig(env),
  };
}

function proxyConfig(env: NodeJS.ProcessEnv): RuntimeConfig['proxy'] {
  const url = env[ENV.proxyUrl];
  if (!url) return null;
  const tokenSecretId = env[ENV.proxyTokenSecretId] || null;
  const verdict = checkProxyUrl(url, { withToken: tokenSecretId !== null });
  if (!verdict.ok) {
    throw new ConfigError(
      ENV.proxyUrl,
      verdict.problem === 'not-a-url'
        ? 'is not a URL'
        : verdict.problem === 'token-in-clear'
          ? `is plain http:// to a host that is not loopback: the token from ${ENV.proxyTokenSecretId} would travel in clear text; use https://`
          : 'must be http(s)://host:port of a CONNECT proxy, without credentials, path or query',
    );
  }
  return { url: verdict.url, tokenSecretId };
}

/** The incident layer's settings (the check Lambda in a deployed stack; absent in bare checks). */
export interface IncidentRuntimeConfig {
  readonly table: string;
  readonly queueUrl: string;
  readonly openAfterRuns: number;
  readonly resolveAfterRuns: number;
  readonly remindEveryHours: number;
  readonly acknowledgedRemindEveryHours: number;
  readonly historyDays: number;
  readonly keyMaxAgeDays: number;
  readonly monitorName: string;
  readonly dashboardUrl: string | null;
  readonly checkLogGroup: string | null;
  readonly region: string | null;
  readonly announcementsUrl: string | null;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  return n;
}

export function loadIncidentConfig(env: NodeJS.ProcessEnv): IncidentRuntimeConfig | null {
  const table = env[ENV.stateTable];
  const queueUrl = env[ENV.notificationQueueUrl];
  if (!table && !queueUrl) return null;
  if (!table) throw new ConfigError(ENV.stateTable, 'not set (it goes with NOTIFICATION_QUEUE_URL)');
  if (!queueUrl) throw new ConfigError(ENV.notificationQueueUrl, 'not set (it goes with STATE_TABLE)');
  const announcementsUrl = env[ENV.announcementsUrl] || null;
  if (announcementsUrl && !isSecureOrLoopback(announcementsUrl)) throw new ConfigError(ENV.announcementsUrl, 'must be an https:// URL');
  return {
    table,
    queueUrl,
    openAfterRuns: positiveInt(env, ENV.openAfterRuns, DEFAULT_INCIDENT_POLICY.openAfterRuns),
    resolveAfterRuns: positiveInt(env, ENV.resolveAfterRuns, DEFAULT_INCIDENT_POLICY.resolveAfterRuns),
    remindEveryHours: wholeNumber(env, ENV.remindEveryHours, DEFAULT_INCIDENT_POLICY.remindEveryHours),
    acknowledgedRemindEveryHours: wholeNumber(env, ENV.acknowledgedRemindEveryHours, DEFAULT_INCIDENT_POLICY.acknowledgedRemindEveryHours),
    historyDays: positiveInt(env, ENV.historyDays, DEFAULT_INCIDENT_POLICY.historyDays),
    keyMaxAgeDays: wholeNumber(env, ENV.keyMaxAgeDays, DEFAULT_INCIDENT_POLICY.keyMaxAgeDays),
    monitorName: env[ENV.monitorName] || SERVICE_NAME,
    dashboardUrl: env[ENV.dashboardUrl] || null,
    checkLogGroup: env[ENV.checkLogGroup] || null,
    region: env['AWS_REGION'] || null,
    announcementsUrl,
  };
}

/**
 * A secret's ARN without the 6-character random suffix Secrets Manager appends to every ARN:
 * `arn:…:secret:prod/cdc-AbCdEf` → `arn:…:secret:prod/cdc`, and its name, `prod/cdc`.
 */
export function secretArnParts(arn: string): { readonly baseArn: string; readonly name: string } | null {
  const m = /^(arn:[^:]+:secretsmanager:[^:]*:\d*:secret:(.+))-[A-Za-z0-9]{6}$/.exec(arn);
  return m ? { baseArn: m[1] as string, name: m[2] as string } : null;
}

/**
 * The configured key a rotating secret belongs to, matched exactly: by full ARN, by ARN without its
 * suffix, or by name. `prod/cdc` never matches `prod/cdc-reporting`.
 */
export function keyForSecret(keys: readonly MonitoredKey[], secretArn: string): MonitoredKey | undefined {
  const parts = secretArnParts(secretArn);
  return keys.find((k) => k.secretId === secretArn || (parts !== null && (k.secretId === parts.baseArn || k.secretId === parts.name)));
}
