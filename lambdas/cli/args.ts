import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { DEFAULT_IP_ECHO_URL, PRODUCTION_BASE_URL } from '../contract/endpoints.js';
import { isScenarioName, SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

export const DEFAULT_TIMEOUT_MS = 5_000;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface CheckOptions {
  readonly command: 'check';
  /** undefined: not given on the command line or in the environment. */
  readonly baseUrl: string | undefined;
  readonly ipEchoUrl: string;
  readonly expectedIps: readonly string[];
  readonly readOnly: boolean;
  readonly timeoutMs: number;
  readonly json: boolean;
  readonly secretId: string | undefined;
  readonly sandbox: ScenarioName | undefined;
}

export interface RotateOptions {
  readonly command: 'rotate';
  readonly secretId: string;
  /** undefined: read the new key from standard input (never from the command line). */
  readonly file: string | undefined;
  /** 0: start the rotation and return without waiting for its verdict. */
  readonly waitSeconds: number;
}

export type Command = CheckOptions | RotateOptions | { readonly command: 'help' };

export const DEFAULT_WAIT_SECONDS = 180;

export const USAGE = `Usage: key-monitor check [options]
       key-monitor rotate --secret-id ID [--file new-key.json] [--wait-seconds N]

Checks a Crypto.com Exchange API key: credentials, egress IP, public API and clock skew, a signed
read (private/user-balance) and a harmless Trade-permission probe. With no credentials and no
--base-url it runs against a built-in sandbox exchange on loopback.

Options:
  --base-url URL        exchange REST base (env EXCHANGE_BASE_URL; default ${PRODUCTION_BASE_URL})
  --ip-echo-url URL     service that answers with your public IP (env IP_ECHO_URL; default ${DEFAULT_IP_ECHO_URL})
  --expected-ip A[,B]   IPs whitelisted on the key (env EXPECTED_EGRESS_IP)
  --read-only           the key must NOT have Trade permission (default: Trade expected)
  --timeout-ms N        per-request timeout (default ${DEFAULT_TIMEOUT_MS})
  --json                print one JSON object instead of the checklist
  --secret-id ID        read {"apiKey","apiSecret"} from AWS Secrets Manager
  --sandbox [SCENARIO]  use the built-in sandbox (default scenario: healthy)
  -h, --help            this text

Credentials: --secret-id, else EXCHANGE_API_KEY / EXCHANGE_API_SECRET
(or EXCHANGE_CUSTOM_API_KEY / EXCHANGE_CUSTOM_API_SECRET).

Sandbox scenarios: ${SCENARIO_NAMES.join(', ')}

rotate: stages a new key ({"apiKey","apiSecret"} JSON from --file or standard input, never from
the command line) as AWSPENDING on a deployed monitor's secret and starts its rotation. The rotation
Lambda validates the key from the fixed egress IP and promotes it only if it is healthy.
  --wait-seconds N      wait up to N s for the verdict (default ${DEFAULT_WAIT_SECONDS}; 0 = do not wait)

Exit status: 0 healthy / promoted, 1 unhealthy / not promoted, 2 bad input or configuration.`;

function splitIps(value: string | undefined): string[] {
  const ips = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = ips.find((ip) => !isIP(ip));
  if (bad !== undefined) throw new UsageError(`--expected-ip: "${bad}" is not an IP address`);
  return ips;
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${name}: "${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`${name}: use an http(s) URL`);
  return value.replace(/\/+$/, '');
}

/** `--sandbox` takes an optional value, which parseArgs cannot express: default it here. */
function withSandboxDefault(argv: readonly string[]): string[] {
  return argv.flatMap((arg, i) => (arg === '--sandbox' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('-')) ? [arg, 'healthy'] : [arg]));
}

export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: withSandboxDefault(argv),
      allowPositionals: true,
      strict: true,
      options: {
        'base-url': { type: 'string' },
        'ip-echo-url': { type: 'string' },
        'expected-ip': { type: 'string' },
        'read-only': { type: 'boolean', default: false },
        'timeout-ms': { type: 'string' },
        json: { type: 'boolean', default: false },
        'secret-id': { type: 'string' },
        sandbox: { type: 'string' },
        file: { type: 'string' },
        'wait-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    // parseArgs' messages are clear ("Unknown option '--x'"); keep them, drop the stack.
    throw new UsageError((err as Error).message.split('. To specify')[0] ?? 'invalid arguments');
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const [command, ...extra] = positionals;
  if (command !== 'check' && command !== 'rotate') {
    throw new UsageError(command ? `unknown command "${command}"` : 'missing command: try "key-monitor check"');
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const given = (names: string[]) => names.filter((n) => (values as Record<string, unknown>)[n] !== undefined && (values as Record<string, unknown>)[n] !== false);
  if (command === 'rotate') {
    const foreign = given(['base-url', 'ip-echo-url', 'expected-ip', 'read-only', 'timeout-ms', 'json', 'sandbox']);
    if (foreign.length > 0) throw new UsageError(`--${foreign[0]} is a check option; rotate takes --secret-id, --file, --wait-seconds`);
    if (!values['secret-id']) throw new UsageError('rotate needs --secret-id (the monitored key’s secret)');
    const waitText = values['wait-seconds'];
    const waitSeconds = waitText === undefined ? DEFAULT_WAIT_SECONDS : Number(waitText);
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 3600) throw new UsageError('--wait-seconds: a whole number from 0 to 3600');
    return { command: 'rotate', secretId: values['secret-id'], file: values.file, waitSeconds };
  }
  const foreign = given(['file', 'wait-seconds']);
  if (foreign.length > 0) throw new UsageError(`--${foreign[0]} is a rotate option`);

  const sandbox = values.sandbox;
  if (sandbox !== undefined && !isScenarioName(sandbox)) {
    throw new UsageError(`--sandbox: unknown scenario "${sandbox}" (one of: ${SCENARIO_NAMES.join(', ')})`);
  }
  const timeoutText = values['timeout-ms'];
  const timeoutMs = timeoutText === undefined ? DEFAULT_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 50 || timeoutMs > 120_000) {
    throw new UsageError('--timeout-ms: a whole number of milliseconds between 50 and 120000');
  }
  const baseUrl = values['base-url'] ?? (env['EXCHANGE_BASE_URL'] || undefined);
  if (sandbox !== undefined && values['base-url'] !== undefined) throw new UsageError('--sandbox and --base-url exclude each other');
  return {
    command: 'check',
    baseUrl: baseUrl === undefined ? undefined : httpUrl('--base-url', baseUrl),
    ipEchoUrl: httpUrl('--ip-echo-url', values['ip-echo-url'] ?? (env['IP_ECHO_URL'] || DEFAULT_IP_ECHO_URL)),
    expectedIps: splitIps(values['expected-ip'] ?? env['EXPECTED_EGRESS_IP']),
    readOnly: values['read-only'] ?? false,
    timeoutMs,
    json: values.json ?? false,
    secretId: values['secret-id'],
    sandbox: sandbox as ScenarioName | undefined,
  };
}

/** Env credentials, with the names users' existing deployments already have. Empty = missing. */
export function envCredentials(env: NodeJS.ProcessEnv): { apiKey: string | undefined; apiSecret: string | undefined } {
  return {
    apiKey: env['EXCHANGE_API_KEY'] || env['EXCHANGE_CUSTOM_API_KEY'] || undefined,
    apiSecret: env['EXCHANGE_API_SECRET'] || env['EXCHANGE_CUSTOM_API_SECRET'] || undefined,
  };
}
