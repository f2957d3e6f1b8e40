/**
 * The check and rotation Lambdas' configuration, read from environment variables that the CDK
 * stack writes (it imports these names, so the two cannot drift). Pure: no AWS imports.
 */
export const ENV = {
  keys: 'MONITORED_KEYS',
  baseUrl: 'EXCHANGE_BASE_URL',
  ipEchoUrl: 'IP_ECHO_URL',
  expectedIp: 'EXPECTED_EGRESS_IP',
  timeoutMs: 'CHECK_TIMEOUT_MS',
  secretCacheTtlMs: 'SECRET_CACHE_TTL_MS',
  alertTopicArn: 'ALERT_TOPIC_ARN',
} as const;

export interface MonitoredKey {
  /** Short name used in metrics, alarms and logs; never the API key itself. */
  readonly name: string;
  /** Secrets Manager name or ARN holding {"apiKey","apiSecret"}. */
  readonly secretId: string;
  readonly expectTrade: boolean;
}

export interface RuntimeConfig {
  readonly keys: readonly MonitoredKey[];
  readonly baseUrl: string;
  readonly ipEchoUrl: string | null;
  readonly expectedIps: readonly string[];
  readonly timeoutMs: number;
  readonly secretCacheTtlMs: number;
  readonly alertTopicArn: string | null;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

export const KEY_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(name, `expected a positive whole number, got "${raw}"`);
  return n;
}

export function parseMonitoredKeys(raw: string | undefined): MonitoredKey[] {
  if (!raw) throw new ConfigError(ENV.keys, 'not set');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(ENV.keys, 'not valid JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new ConfigError(ENV.keys, 'expected a non-empty JSON array');
  const names = new Set<string>();
  return parsed.map((item: unknown, i) => {
    const k = item as Partial<MonitoredKey> | null;
    if (!k || typeof k.name !== 'string' || !KEY_NAME_PATTERN.test(k.name)) throw new ConfigError(`${ENV.keys}[${i}].name`, 'letters, digits, - and _ only (1–64)');
    if (names.has(k.name)) throw new ConfigError(`${ENV.keys}[${i}].name`, `"${k.name}" is used twice`);
    names.add(k.name);
    if (typeof k.secretId !== 'string' || !k.secretId) throw new ConfigError(`${ENV.keys}[${i}].secretId`, 'missing');
    if (typeof k.expectTrade !== 'boolean') throw new ConfigError(`${ENV.keys}[${i}].expectTrade`, 'must be true or false');
    return { name: k.name, secretId: k.secretId, expectTrade: k.expectTrade };
  });
}

export function loadRuntimeConfig(env: NodeJS.ProcessEnv): RuntimeConfig {
  const baseUrl = env[ENV.baseUrl];
  if (!baseUrl) throw new ConfigError(ENV.baseUrl, 'not set');
  return {
    keys: parseMonitoredKeys(env[ENV.keys]),
    baseUrl: baseUrl.replace(/\/+$/, ''),
    ipEchoUrl: env[ENV.ipEchoUrl] || null,
    expectedIps: (env[ENV.expectedIp] ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    timeoutMs: positiveInt(env, ENV.timeoutMs, 5_000),
    secretCacheTtlMs: positiveInt(env, ENV.secretCacheTtlMs, 30_000),
    alertTopicArn: env[ENV.alertTopicArn] || null,
  };
}

/** Find the configured key a secret belongs to, by name or ARN (ARNs may carry a random suffix). */
export function keyForSecret(keys: readonly MonitoredKey[], secretArn: string): MonitoredKey | undefined {
  return keys.find((k) => k.secretId === secretArn || secretArn.includes(`:secret:${k.secretId}-`) || secretArn.startsWith(`${k.secretId}-`));
}
