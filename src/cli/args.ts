import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { DEFAULT_TIMEOUT_MS } from '../contract/defaults.js';
import { DEFAULT_IP_ECHO_URL, PRODUCTION_BASE_URL } from '../contract/endpoints.js';
import { checkBaseUrl, checkProxyUrl, isSecureOrLoopback } from '../exchange/base-url.js';
import type { ProxySettings } from '../exchange/proxy.js';
import { isScenarioName, SCENARIO_NAMES, type ScenarioName } from './scenarios.js';
import { closest } from '../contract/did-you-mean.js';
import { DEFAULT_STACK_NAME } from '../contract/stack.js';
import { SECRET_ARN_PATTERN, SECRET_NAME_PATTERN, STACK_ARN_PATTERN, STACK_NAME_PATTERN } from '../contract/aws-names.js';
import { KEY_NAME_PATTERN } from '../monitor/runtime-config.js';
import { displaySafe } from '../exchange/text-safety.js';
import { nonPublicIpv4 } from '../contract/ip-address.js';
import { ackText, MAX_ACK_BY, MAX_ACK_NOTE } from '../monitor/acknowledge.js';

/** Bad input: printed as one line, exit status 2. */
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
  /** The forward proxy to leave through, and which setting named it; null = direct. */
  readonly proxy: (ProxySettings & { readonly from: string }) | null;
  readonly expectWithdraw: boolean;
  readonly expectDerivatives: boolean | undefined;
  readonly expectMaster: boolean | undefined;
  /** Skip the withdraw probe (it may create a deposit address on the account). */
  readonly withdrawProbe: boolean;
}

export interface RotateOptions {
  readonly command: 'rotate';
  readonly secretId: string;
  /** undefined: read the new key from standard input (never from the command line). */
  readonly file: string | undefined;
  /** 0: start the rotation and return without waiting for its verdict. */
  readonly waitSeconds: number;
  /** The stack's RotationFunctionArn output; needed the first time a secret is rotated. */
  readonly rotationFunction: string | undefined;
  /** Where to look the rotation function up when neither the flag nor the secret names it. */
  readonly stack: string;
}

/** The commands that act on a deployed monitor, found by its CloudFormation stack's outputs. */
export interface StackOptions {
  readonly stack: string;
  readonly timeoutMs: number;
}

export interface StatusOptions extends StackOptions {
  readonly command: 'status';
  readonly json: boolean;
}

export interface MuteOptions extends StackOptions {
  readonly command: 'mute';
  /** Epoch ms the mute ends. */
  readonly until: number;
  readonly reason: string;
  readonly json: boolean;
}

export interface UnmuteOptions extends StackOptions {
  readonly command: 'unmute';
  readonly json: boolean;
}

export interface VerifyOptions extends StackOptions {
  readonly command: 'verify';
  readonly json: boolean;
  /** How long the channels step waits for the notifier's delivery records. */
  readonly waitSeconds: number;
}

export interface NudgeOptions extends StackOptions {
  readonly command: 'nudge';
  readonly key: string;
  readonly reason: string | null;
  readonly json: boolean;
}

export interface AckOptions extends StackOptions {
  readonly command: 'ack';
  /** A monitored key's name or an open incident's id (as status shows it). */
  readonly target: string;
  readonly note: string | null;
  /** null: the caller's AWS identity, else $USER. */
  readonly by: string | null;
  readonly json: boolean;
}

export interface TestAlertOptions extends StackOptions {
  readonly command: 'test-alert';
  readonly json: boolean;
  readonly waitSeconds: number;
}

export type Command =
  | CheckOptions
  | RotateOptions
  | StatusOptions
  | MuteOptions
  | UnmuteOptions
  | TestAlertOptions
  | NudgeOptions
  | VerifyOptions
  | AckOptions
  | { readonly command: 'help' }
  | { readonly command: 'version' };

/** A mute longer than this is refused: a forgotten mute must not silence the monitor for good. */
export const MAX_MUTE_DAYS = 7;

export const DEFAULT_WAIT_SECONDS = 180;

export const USAGE = `Usage: key-monitor check [options]
       key-monitor rotate --secret-id ID [--file new-key.json] [--wait-seconds N] [--rotation-function ARN]
       key-monitor status [--stack NAME] [--json]
       key-monitor mute (--until 2026-12-01T06:00Z | --for 2h) [--reason TEXT] [--stack NAME] [--json]
       key-monitor unmute [--stack NAME] [--json]
       key-monitor test-alert [--stack NAME] [--json]
       key-monitor nudge --key NAME [--reason TEXT] [--stack NAME] [--json]
       key-monitor verify [--stack NAME] [--json]
       key-monitor ack <key name or incident id> [--note TEXT] [--by NAME] [--stack NAME] [--json]
       key-monitor --version | --help

check: checks a Crypto.com Exchange API key: credentials, egress IP, public API and clock skew, a
signed read (private/user-balance) and a harmless Trade-permission probe.

Options:
  --base-url URL        exchange REST base (env EXCHANGE_BASE_URL; default ${PRODUCTION_BASE_URL})
  --ip-echo-url URL     service that answers with your public IP (env IP_ECHO_URL; default ${DEFAULT_IP_ECHO_URL})
  --expected-ip A[,B]   IPs whitelisted on the key (env EXPECTED_EGRESS_IP)
  --read-only           the key must NOT have Trade permission (default: Trade expected)
  --expect-withdraw     the key may withdraw (default: a key that can withdraw is a security finding)
  --expect-derivatives  the account must have derivatives access
  --expect-master       the key must belong to the master account, not a sub-account
  --no-withdraw-probe   skip the withdraw probe (a read, but it may create a deposit address)
  --timeout-ms N        per-request timeout, Secrets Manager included (default ${DEFAULT_TIMEOUT_MS})
  --json                print one JSON object instead of the checklist (docs/cli.md → JSON output)
  --secret-id ID        read {"apiKey","apiSecret"} from AWS Secrets Manager
  --proxy URL           leave through this HTTP CONNECT forward proxy (env HTTPS_PROXY / NO_PROXY, or the
                        bots' USE_CRYPTO_PROXY=true + CRYPTO_PROXY_URL); its token only from the environment:
                        KEY_MONITOR_PROXY_TOKEN (or CRYPTO_PROXY_TOKEN), sent as Proxy-Authorization
  --sandbox [SCENARIO]  run against the built-in sandbox exchange (default scenario: healthy)
  -V, --version         print the version
  -h, --help            this text

Credentials: --secret-id, else EXCHANGE_API_KEY + EXCHANGE_API_SECRET
(or EXCHANGE_CUSTOM_API_KEY + EXCHANGE_CUSTOM_API_SECRET; one pair, never mixed).

Sandbox scenarios: ${SCENARIO_NAMES.join(', ')}

rotate: stages a new key ({"apiKey","apiSecret"} JSON from --file or standard input, never from
the command line) as KEYMONITOR_STAGED on a deployed monitor's secret and starts its rotation. The
rotation Lambda validates the key from the fixed egress IP and promotes it only if it is healthy.
Exit: 0 promoted, 1 refused (the current key is untouched), 2 bad input or AWS error, 3 no verdict yet.
  --wait-seconds N        wait up to N s for the verdict (default ${DEFAULT_WAIT_SECONDS}; 0 = do not wait)
  --rotation-function ARN the stack's RotationFunctionArn output (env KEY_MONITOR_ROTATION_FUNCTION);
                          needed only the first time a secret is rotated

status, mute, unmute, test-alert, nudge, verify, ack act on a deployed monitor (your AWS credentials; the stack's
outputs tell where its state and queue are):
  --stack NAME            the monitor's CloudFormation stack (env KEY_MONITOR_STACK; default ExchangeKeyMonitor)
  status                  each key's state, open incidents with durations, the last incidents, 7- and 30-day uptime
  mute                    suppress incident alerts until a time (at most ${MAX_MUTE_DAYS} days); every suppressed alert is
                          counted and summarised when the mute ends; monitor-health alarms still come through
  unmute                  end the mute now (the next run sends the summary)
  test-alert              send a marked test notification through every configured channel and report each
  verify                  right after cdk deploy: checks every key now, the egress IP, every channel, the
                          schedule, the alarms, the dead-letter queue and rotation; names the fix per step
  nudge                   verify one key now from the monitor's egress (what a bot's log line triggers); an
                          incident it finds is alerted at once; at most one verification per key a minute
  ack                     "I'm on it": acknowledge a key's open incident (or one by its id); reminders stop,
                          every channel hears who is on it; --by defaults to your AWS identity's name, else $USER

Exit status: check: 0 healthy, 1 unhealthy, 2 bad input or configuration.
             rotate: 0 promoted, 1 refused, 2 bad input, 3 still running at the deadline.
             status: 0 every key checked recently and OK, 1 otherwise (failing, stale or not yet checked).
             test-alert: 0 every channel delivered, 1 not.
             verify: 0 every step passed, 1 not.
             nudge: 0 healthy, 1 not healthy, 3 a verification of the key is already under way, 4 no answer.
             ack: 0 acknowledged, 1 AWS refused or failed, 3 no open incident, 4 ambiguous (name an incident id),
                  5 already acknowledged.
             mute/unmute: 0 done, 1 AWS refused or failed (nothing changed). Every command: 2 bad input or configuration.`;

const OPTIONS = {
  'base-url': { type: 'string' },
  'ip-echo-url': { type: 'string' },
  'expected-ip': { type: 'string' },
  'read-only': { type: 'boolean' },
  'timeout-ms': { type: 'string' },
  json: { type: 'boolean' },
  'secret-id': { type: 'string' },
  sandbox: { type: 'string' },
  proxy: { type: 'string' },
  'expect-withdraw': { type: 'boolean' },
  'expect-derivatives': { type: 'boolean' },
  'expect-master': { type: 'boolean' },
  'no-withdraw-probe': { type: 'boolean' },
  file: { type: 'string' },
  'wait-seconds': { type: 'string' },
  'rotation-function': { type: 'string' },
  stack: { type: 'string' },
  until: { type: 'string' },
  for: { type: 'string' },
  reason: { type: 'string' },
  key: { type: 'string' },
  note: { type: 'string' },
  by: { type: 'string' },
  version: { type: 'boolean', short: 'V' },
  help: { type: 'boolean', short: 'h' },
} as const;

const COMMANDS = ['check', 'rotate', 'status', 'mute', 'unmute', 'test-alert', 'nudge', 'verify', 'ack'] as const;
type CommandName = (typeof COMMANDS)[number];

/** Which options each command takes; anything else is named as belonging to another command. */
const ACCEPTS: Record<CommandName, readonly (keyof typeof OPTIONS)[]> = {
  check: [
    'base-url',
    'ip-echo-url',
    'expected-ip',
    'read-only',
    'timeout-ms',
    'json',
    'secret-id',
    'sandbox',
    'proxy',
    'expect-withdraw',
    'expect-derivatives',
    'expect-master',
    'no-withdraw-probe',
  ],
  rotate: ['secret-id', 'file', 'wait-seconds', 'rotation-function', 'stack'],
  status: ['stack', 'json', 'timeout-ms'],
  mute: ['stack', 'until', 'for', 'reason', 'json', 'timeout-ms'],
  unmute: ['stack', 'json', 'timeout-ms'],
  'test-alert': ['stack', 'json', 'wait-seconds', 'timeout-ms'],
  nudge: ['stack', 'key', 'reason', 'json', 'timeout-ms'],
  verify: ['stack', 'json', 'wait-seconds', 'timeout-ms'],
  ack: ['stack', 'note', 'by', 'json', 'timeout-ms'],
};

const UNTIL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})$/i;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * `2026-12-01T06:00Z` (an explicit zone is required: a mute must not depend on the laptop's time
 * zone). Every field is range-checked here: Date.parse rolls 2026-02-30 over to 2 March.
 */
export function parseUntil(text: string): number {
  const shown = displaySafe(text, 40);
  const t = text.trim();
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(t)) throw new UsageError(`--until: give a time with its zone, like 2026-12-01T06:00Z`);
  const m = UNTIL.exec(t);
  if (!m) throw new UsageError(`--until: "${shown}" is not a date and time (like 2026-12-01T06:00Z)`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const fraction = (m[7] ?? '').slice(0, 4);
  const zone = (m[8] as string).toUpperCase();
  if (month < 1 || month > 12) throw new UsageError(`--until: "${shown}" has no month ${month}`);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) throw new UsageError(`--until: "${shown}" is not a date (${MONTHS[month - 1]} ${year} has ${days} days)`);
  if (hour > 23 || minute > 59 || second > 59) throw new UsageError(`--until: "${shown}" is not a time of day (00:00 to 23:59)`);
  const offset = zone === 'Z' ? null : /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (offset && (Number(offset[2]) > 14 || Number(offset[3]) > 59)) throw new UsageError(`--until: "${zone}" is not a time zone offset (-12:00 to +14:00)`);
  const at = Date.parse(
    `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${String(second).padStart(2, '0')}${fraction}${offset ? `${offset[1]}${offset[2]}:${offset[3]}` : 'Z'}`,
  );
  if (!Number.isFinite(at)) throw new UsageError(`--until: "${shown}" is not a date and time (like 2026-12-01T06:00Z)`);
  return at;
}

/** `90m`, `2h`, `1d`: at least a minute (0m would end the mute as it starts). */
export function parseFor(text: string): number {
  const m = /^(\d{1,4})\s*(m|min|h|d)$/i.exec(text.trim());
  if (!m) throw new UsageError('--for: a duration like 90m, 2h or 1d');
  const n = Number(m[1]);
  if (n === 0) throw new UsageError(`--for ${displaySafe(text, 20)} is no mute at all: give at least 1m (like 90m, 2h or 1d)`);
  const unit = (m[2] as string).toLowerCase();
  return n * (unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : 60_000);
}

/** A stack name or ARN: empty or malformed is refused (DescribeStacks with no name lists every stack). */
function stackName(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const origin = flag !== undefined ? '--stack' : 'KEY_MONITOR_STACK';
  const value = flag ?? (env['KEY_MONITOR_STACK'] || DEFAULT_STACK_NAME);
  if (value.trim() === '') throw new UsageError(`${origin} is empty: give the monitor's CloudFormation stack name (default ${DEFAULT_STACK_NAME})`);
  if (!STACK_NAME_PATTERN.test(value) && !STACK_ARN_PATTERN.test(value)) {
    throw new UsageError(
      `${origin}: "${displaySafe(value, 60)}" is not a CloudFormation stack name (a letter, then letters, digits and -; at most 128) or stack ARN`,
    );
  }
  return value;
}

/** A secret name or ARN: an empty one would otherwise fall back to the environment's key. */
function secretId(value: string): string {
  if (value.trim() === '') throw new UsageError('--secret-id is empty: give the secret’s name or ARN');
  if (!SECRET_NAME_PATTERN.test(value) && !SECRET_ARN_PATTERN.test(value)) {
    throw new UsageError(`--secret-id: "${displaySafe(value, 60)}" is not a secret name (letters, digits and /_+=.@-; at most 512) or secret ARN`);
  }
  return value;
}

export function didYouMean(given: string, known: readonly string[]): string | null {
  return closest(given, known, Math.max(2, Math.floor(given.length / 4)));
}

/** Node's parseArgs messages, as one line a user can act on. */
function usageFromParseError(err: Error, argv: readonly string[]): UsageError {
  const code = (err as { code?: string }).code;
  const option = /'(-{1,2}[A-Za-z0-9-]+)/.exec(err.message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const suggestion = didYouMean(option.replace(/^-+/, ''), Object.keys(OPTIONS));
    return new UsageError(`unknown option ${option}${suggestion ? ` — did you mean --${suggestion}?` : ''}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    const next = argv[argv.indexOf(option) + 1];
    return new UsageError(next?.startsWith('-') ? `${option} needs a value (found the option ${next} instead)` : `${option} needs a value`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError('unexpected argument');
  return new UsageError('invalid arguments');
}

/** Where a value came from, so its error names what the user typed: a flag or an env variable. */
function source(flag: string, envName: string | null, fromFlag: boolean): string {
  return fromFlag || !envName ? `--${flag}` : envName;
}

function splitIps(value: string | undefined, origin: string): string[] {
  const ips = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ips.find((ip) => !isIP(ip));
  if (bad !== undefined) throw new UsageError(`${origin}: "${bad.slice(0, 60)}" is not an IP address`);
  for (const ip of ips) {
    const why = isIP(ip) === 4 ? nonPublicIpv4(ip) : null;
    if (why) throw new UsageError(`${origin}: ${ip} is ${why}; the exchange whitelist needs the public address your traffic leaves from`);
  }
  return ips;
}

function baseUrlOption(value: string, origin: string): string {
  const verdict = checkBaseUrl(value);
  if (!verdict.ok) throw new UsageError(`${origin} ${verdict.problem}`);
  return verdict.url;
}

function echoUrlOption(value: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${origin} is not a URL`);
  }
  if (!isSecureOrLoopback(url.href)) throw new UsageError(`${origin} must be an https:// URL (http:// only on loopback)`);
  return value.replace(/\/+$/, '');
}

/** `--sandbox` takes an optional value, which parseArgs cannot express: default it here. */
function withSandboxDefault(argv: readonly string[]): string[] {
  return argv.flatMap((arg, i) =>
    arg === '--sandbox' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('-') || (COMMANDS as readonly string[]).includes(argv[i + 1] as string))
      ? [arg, 'healthy']
      : [arg],
  );
}

function wholeNumber(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name}: a whole number from ${min} to ${max}`);
  return n;
}

export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv, now: number = Date.now()): Command {
  let parsed;
  const args = withSandboxDefault(argv);
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: OPTIONS, tokens: true });
  } catch (err) {
    throw usageFromParseError(err as Error, args);
  }
  // A value given twice is a mistake either way round: which one was meant is not ours to guess.
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || OPTIONS[token.name as keyof typeof OPTIONS]?.type !== 'string') continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once; give it once`);
    seen.add(token.name);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [command, ...extra] = positionals;
  if (!(COMMANDS as readonly string[]).includes(command ?? '')) {
    if (!command) throw new UsageError('missing command: try "key-monitor check --sandbox"');
    const suggestion = didYouMean(command, COMMANDS);
    throw new UsageError(`unknown command "${command.slice(0, 40)}"${suggestion ? ` — did you mean "${suggestion}"?` : ''}`);
  }
  // ack names what it acknowledges as its one argument.
  const [target, ...beyond] = command === 'ack' ? extra : [undefined, ...extra];
  if (beyond.length > 0) throw new UsageError(`unexpected argument "${displaySafe(String(beyond[0]), 40)}"`);
  const name = command as CommandName;
  const foreignOption = (Object.keys(values) as (keyof typeof OPTIONS)[]).find(
    (o) => o !== 'help' && o !== 'version' && values[o] !== undefined && !ACCEPTS[name].includes(o),
  );
  if (foreignOption) {
    const owner = COMMANDS.find((c) => ACCEPTS[c].includes(foreignOption));
    throw new UsageError(
      `--${foreignOption} is ${owner ? `a ${owner} option` : 'not an option here'}; ${name} takes ${ACCEPTS[name].map((o) => `--${o}`).join(', ')}`,
    );
  }
  const stackOptions = () => ({
    stack: stackName(values.stack, env),
    timeoutMs: wholeNumber(values['timeout-ms'], '--timeout-ms', DEFAULT_TIMEOUT_MS, 50, 120_000),
  });
  if (name === 'status') return { command: 'status', json: values.json ?? false, ...stackOptions() };
  if (name === 'unmute') return { command: 'unmute', json: values.json ?? false, ...stackOptions() };
  if (name === 'test-alert')
    return {
      command: 'test-alert',
      json: values.json ?? false,
      waitSeconds: wholeNumber(values['wait-seconds'], '--wait-seconds', 60, 1, 900),
      ...stackOptions(),
    };
  if (name === 'verify')
    return { command: 'verify', json: values.json ?? false, waitSeconds: wholeNumber(values['wait-seconds'], '--wait-seconds', 60, 1, 900), ...stackOptions() };
  if (name === 'nudge') {
    if (values.key === undefined || !KEY_NAME_PATTERN.test(values.key))
      throw new UsageError('nudge needs --key NAME: a monitored key’s name (letters, digits, - and _; as in the stack’s keys setting)');
    const reason = values.reason === undefined ? null : displaySafe(values.reason, 120);
    if (reason === '') throw new UsageError('--reason is empty: say what the bot saw, or leave --reason out');
    return { command: 'nudge', key: values.key, reason, json: values.json ?? false, ...stackOptions() };
  }
  if (name === 'ack') {
    if (target === undefined || target.trim() === '')
      throw new UsageError('ack needs what to acknowledge: a monitored key’s name or an open incident’s id (key-monitor status lists both)');
    if (target.length > 300 || /[\x00-\x1f\x7f]/.test(target)) throw new UsageError('ack: that is neither a key name nor an incident id');
    const note = values.note === undefined ? null : ackFlag('--note', values.note, MAX_ACK_NOTE);
    if (note === '') throw new UsageError('--note is empty: say what you are doing, or leave --note out');
    const by = values.by === undefined ? null : ackFlag('--by', values.by, MAX_ACK_BY);
    if (by === '') throw new UsageError('--by is empty: give your name, or leave --by out (your AWS identity’s name is used)');
    return { command: 'ack', target, note, by, json: values.json ?? false, ...stackOptions() };
  }
  if (name === 'mute') {
    if ((values.until === undefined) === (values.for === undefined)) throw new UsageError('mute needs --until 2026-12-01T06:00Z or --for 2h (one of them)');
    const until = values.until !== undefined ? parseUntil(values.until) : now + parseFor(values.for as string);
    if (until <= now)
      throw new UsageError(`--until is in the past (${new Date(until).toISOString().slice(0, 16)}Z; now ${new Date(now).toISOString().slice(0, 16)}Z)`);
    if (until - now > MAX_MUTE_DAYS * 86_400_000)
      throw new UsageError(`a mute may last at most ${MAX_MUTE_DAYS} days; a forgotten mute would silence the monitor`);
    const reason = displaySafe(values.reason ?? '', 200);
    if (values.reason !== undefined && reason === '') throw new UsageError('--reason is empty: say why alerts are muted, or leave --reason out');
    return { command: 'mute', until, reason: reason || 'muted with key-monitor mute', json: values.json ?? false, ...stackOptions() };
  }
  if (command === 'rotate') {
    if (values['secret-id'] === undefined) throw new UsageError('rotate needs --secret-id (the monitored key’s secret)');
    return {
      command: 'rotate',
      secretId: secretId(values['secret-id']),
      file: values.file,
      waitSeconds: wholeNumber(values['wait-seconds'], '--wait-seconds', DEFAULT_WAIT_SECONDS, 0, 3600),
      rotationFunction: values['rotation-function'] ?? (env['KEY_MONITOR_ROTATION_FUNCTION'] || undefined),
      stack: stackName(values.stack, env),
    };
  }

  const sandbox = values.sandbox;
  if (sandbox !== undefined && !isScenarioName(sandbox)) {
    const suggestion = didYouMean(sandbox, SCENARIO_NAMES);
    throw new UsageError(
      `--sandbox: unknown scenario "${sandbox.slice(0, 40)}"${suggestion ? ` — did you mean "${suggestion}"?` : ''} (one of: ${SCENARIO_NAMES.join(', ')})`,
    );
  }
  if (sandbox !== undefined && (values['base-url'] !== undefined || values['secret-id'] !== undefined)) {
    throw new UsageError(`--sandbox and --${values['base-url'] !== undefined ? 'base-url' : 'secret-id'} exclude each other`);
  }
  const timeoutMs = wholeNumber(values['timeout-ms'], '--timeout-ms', DEFAULT_TIMEOUT_MS, 50, 120_000);
  const baseFlag = values['base-url'] !== undefined;
  const baseText = values['base-url'] ?? (env['EXCHANGE_BASE_URL'] || undefined);
  const echoFlag = values['ip-echo-url'] !== undefined;
  const ipFlag = values['expected-ip'] !== undefined;
  return {
    command: 'check',
    // The sandbox ignores the environment's base URL: --sandbox is an explicit request for it.
    baseUrl: sandbox !== undefined || baseText === undefined ? undefined : baseUrlOption(baseText, source('base-url', 'EXCHANGE_BASE_URL', baseFlag)),
    ipEchoUrl: echoUrlOption(values['ip-echo-url'] ?? (env['IP_ECHO_URL'] || DEFAULT_IP_ECHO_URL), source('ip-echo-url', 'IP_ECHO_URL', echoFlag)),
    expectedIps: splitIps(values['expected-ip'] ?? env['EXPECTED_EGRESS_IP'], source('expected-ip', 'EXPECTED_EGRESS_IP', ipFlag)),
    readOnly: values['read-only'] ?? false,
    timeoutMs,
    json: values.json ?? false,
    secretId: values['secret-id'] === undefined ? undefined : secretId(values['secret-id']),
    sandbox: sandbox as ScenarioName | undefined,
    // The sandbox is on loopback: a proxy from the environment is not for it (an explicit --proxy is).
    proxy: sandbox !== undefined && values.proxy === undefined ? null : proxyFrom(values.proxy, env),
    expectWithdraw: values['expect-withdraw'] ?? false,
    expectDerivatives: values['expect-derivatives'],
    expectMaster: values['expect-master'],
    withdrawProbe: !(values['no-withdraw-probe'] ?? false),
  };
}

function proxyUrl(text: string, origin: string, tokenFrom: string | null): string {
  const verdict = checkProxyUrl(text, { withToken: tokenFrom !== null });
  if (verdict.ok) return verdict.url;
  const messages: Record<typeof verdict.problem, string> = {
    'not-a-url': `${origin} is not a URL (expected http://host:port of an HTTP CONNECT proxy)`,
    scheme: `${origin} must be an http:// or https:// URL of an HTTP CONNECT proxy`,
    credentials: `${origin} must not carry credentials: put the token in KEY_MONITOR_PROXY_TOKEN (never on the command line)`,
    path: `${origin} must be http(s)://host:port only: a CONNECT proxy takes no path, query or fragment, and they would be ignored`,
    'token-in-clear': `${origin} is plain http:// to a host that is not loopback: the proxy token (${tokenFrom}) would cross the network in clear text; use https:// to the proxy`,
  };
  throw new UsageError(messages[verdict.problem]);
}

/**
 * Which forward proxy, if any: --proxy; else the bots' own names (USE_CRYPTO_PROXY=true with
 * CRYPTO_PROXY_URL, a forward proxy by assumption: README says what it must support); else the
 * usual HTTPS_PROXY / NO_PROXY. The token only ever comes from the environment.
 */
export function proxyFrom(flag: string | undefined, env: NodeJS.ProcessEnv): (ProxySettings & { from: string }) | null {
  const tokenFrom = env['KEY_MONITOR_PROXY_TOKEN'] ? 'KEY_MONITOR_PROXY_TOKEN' : env['CRYPTO_PROXY_TOKEN'] ? 'CRYPTO_PROXY_TOKEN' : null;
  const token = tokenFrom ? (env[tokenFrom] as string) : null;
  const noProxy = env['NO_PROXY'] || env['no_proxy'] || null;
  if (flag !== undefined) return { url: proxyUrl(flag, '--proxy', tokenFrom), token, noProxy, from: '--proxy' };
  const use = (env['USE_CRYPTO_PROXY'] ?? '').toLowerCase();
  if (use === 'true' || use === '1' || use === 'yes') {
    if (!env['CRYPTO_PROXY_URL']) throw new UsageError('USE_CRYPTO_PROXY is on but CRYPTO_PROXY_URL is not set');
    return { url: proxyUrl(env['CRYPTO_PROXY_URL'], 'CRYPTO_PROXY_URL', tokenFrom), token, noProxy, from: 'CRYPTO_PROXY_URL' };
  }
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
    if (env[name]) return { url: proxyUrl(env[name] as string, name, tokenFrom), token, noProxy, from: name };
  }
  return null;
}

/** Whether the raw argv asked for JSON, even if it does not parse (errors then come as JSON too). */
export const wantsJson = (argv: readonly string[]) => argv.includes('--json');

const FAMILIES = [
  { key: 'EXCHANGE_API_KEY', secret: 'EXCHANGE_API_SECRET' },
  { key: 'EXCHANGE_CUSTOM_API_KEY', secret: 'EXCHANGE_CUSTOM_API_SECRET' },
] as const;

export type EnvCredentials = { readonly kind: 'none' } | { readonly kind: 'pair'; readonly apiKey: string; readonly apiSecret: string; readonly from: string };

/**
 * Env credentials, with the names users' existing deployments already have. A key and a secret are
 * only ever taken as a pair from one family: a key from one and a secret from the other would be
 * checked as a key that exists nowhere, so that is refused with the names to fix.
 */
export function envCredentials(env: NodeJS.ProcessEnv): EnvCredentials {
  const set = (name: string) => (env[name] ?? '') !== '';
  const complete = FAMILIES.filter((f) => set(f.key) && set(f.secret));
  const partial = FAMILIES.filter((f) => set(f.key) !== set(f.secret));
  if (partial.length > 0) {
    const f = partial[0] as (typeof FAMILIES)[number];
    const has = set(f.key) ? f.key : f.secret;
    const lacks = set(f.key) ? f.secret : f.key;
    const other = FAMILIES.find((g) => g !== f && (set(g.key) || set(g.secret)));
    const mix = other ? ` (${set(other.key) ? other.key : other.secret} belongs to the other pair; key and secret are never mixed across pairs)` : '';
    throw new UsageError(`${has} is set but ${lacks} is not${mix}`);
  }
  if (
    complete.length === 2 &&
    (env['EXCHANGE_API_KEY'] !== env['EXCHANGE_CUSTOM_API_KEY'] || env['EXCHANGE_API_SECRET'] !== env['EXCHANGE_CUSTOM_API_SECRET'])
  ) {
    throw new UsageError('both EXCHANGE_API_KEY/SECRET and EXCHANGE_CUSTOM_API_KEY/SECRET are set, to different keys: unset one pair');
  }
  const f = complete[0];
  return f ? { kind: 'pair', apiKey: env[f.key] as string, apiSecret: env[f.secret] as string, from: `${f.key} and ${f.secret}` } : { kind: 'none' };
}

/** An acknowledgement's text as stored; longer than fits is refused, not cut, so nothing the operator wrote is lost unseen. */
function ackFlag(flag: string, value: string, max: number): string {
  const text = ackText(value, Number.MAX_SAFE_INTEGER);
  if (text.length > max) throw new UsageError(`${flag} is ${text.length} characters; at most ${max} fit in an alert`);
  return text;
}
