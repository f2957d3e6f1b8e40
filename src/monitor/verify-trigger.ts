/**
 * What asks the verify function for a check: a CloudWatch Logs subscription event from a bot's log
 * group, or a nudge naming the key. Pure: decoding, validation and the display-safe excerpt; the
 * log line is a trigger, never evidence, so only its time and a short redacted excerpt travel on.
 */
import { gunzipSync } from 'node:zlib';
import { BOT_LOG_GROUPS_ENV } from '../contract/trigger.js';
import { displaySafe } from '../exchange/text-safety.js';
import { ConfigError, KEY_NAME_PATTERN } from './runtime-config.js';

/** Long enough to show the code and its message, short enough to carry no payload a bot logged with it. */
export const EXCERPT_MAX = 120;

const MAX_LOG_DATA_BYTES = 4 * 1024 * 1024;

export type VerifyTrigger =
  | { readonly kind: 'log'; readonly key: string; readonly logGroup: string; readonly at: number; readonly excerpt: string }
  | { readonly kind: 'nudge'; readonly key: string; readonly reason: string | null }
  | { readonly kind: 'control' };

export class TriggerInputError extends Error {
  override readonly name = 'TriggerInputError';
  constructor(readonly problem: 'not-a-trigger' | 'unreadable-log-data' | 'unmapped-log-group' | 'unknown-key' | 'no-log-events') {
    super(
      {
        'not-a-trigger': 'expected a CloudWatch Logs subscription event or {"key":"name","reason":"…"}',
        'unreadable-log-data': 'awslogs.data is not base64 gzip JSON',
        'unmapped-log-group': 'the log group is not mapped to a monitored key',
        'unknown-key': 'the key is not a monitored key',
        'no-log-events': 'the subscription event has no log events',
      }[problem],
    );
  }
}

/** The verify function's log-group map, validated against the monitored key names. */
export function parseBotLogGroups(raw: string | undefined, keyNames: readonly string[]): ReadonlyMap<string, string> {
  if (raw === undefined || raw === '') return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(BOT_LOG_GROUPS_ENV, 'not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(BOT_LOG_GROUPS_ENV, 'expected a JSON object {"log group": "key"}');
  const map = new Map<string, string>();
  for (const [group, key] of Object.entries(parsed)) {
    if (typeof key !== 'string' || !keyNames.includes(key)) throw new ConfigError(`${BOT_LOG_GROUPS_ENV}["${group}"]`, 'must name a monitored key');
    map.set(group, key);
  }
  return map;
}

interface LogsData {
  readonly messageType?: unknown;
  readonly logGroup?: unknown;
  readonly logEvents?: unknown;
}

function decodeLogs(data: string): LogsData {
  try {
    // A subscription delivers at most about 1 MB of log events; anything that inflates past a few is not one.
    const json: unknown = JSON.parse(gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_LOG_DATA_BYTES }).toString('utf8'));
    if (typeof json !== 'object' || json === null) throw new Error();
    return json as LogsData;
  } catch {
    throw new TriggerInputError('unreadable-log-data');
  }
}

/** The trigger an invocation carries, or a named error; never a check on a key nobody configured. */
export function parseTrigger(event: unknown, logGroups: ReadonlyMap<string, string>, keyNames: readonly string[]): VerifyTrigger {
  if (typeof event !== 'object' || event === null) throw new TriggerInputError('not-a-trigger');
  const e = event as { awslogs?: { data?: unknown }; key?: unknown; reason?: unknown };
  if (typeof e.awslogs === 'object' && e.awslogs !== null) {
    if (typeof e.awslogs.data !== 'string') throw new TriggerInputError('unreadable-log-data');
    const logs = decodeLogs(e.awslogs.data);
    if (logs.messageType === 'CONTROL_MESSAGE') return { kind: 'control' };
    if (typeof logs.logGroup !== 'string') throw new TriggerInputError('unreadable-log-data');
    const key = logGroups.get(logs.logGroup);
    if (key === undefined) throw new TriggerInputError('unmapped-log-group');
    const first = Array.isArray(logs.logEvents)
      ? (logs.logEvents as unknown[]).find(
          (x): x is { timestamp: number; message: string } =>
            typeof x === 'object' &&
            x !== null &&
            typeof (x as { timestamp?: unknown }).timestamp === 'number' &&
            typeof (x as { message?: unknown }).message === 'string',
        )
      : undefined;
    if (!first) throw new TriggerInputError('no-log-events');
    return { kind: 'log', key, logGroup: logs.logGroup, at: first.timestamp, excerpt: displaySafe(first.message, EXCERPT_MAX) };
  }
  if (typeof e.key === 'string' && Object.keys(e).every((k) => k === 'key' || k === 'reason')) {
    if (!KEY_NAME_PATTERN.test(e.key) || !keyNames.includes(e.key)) throw new TriggerInputError('unknown-key');
    if (e.reason !== undefined && typeof e.reason !== 'string') throw new TriggerInputError('not-a-trigger');
    return { kind: 'nudge', key: e.key, reason: typeof e.reason === 'string' ? displaySafe(e.reason, EXCERPT_MAX) : null };
  }
  throw new TriggerInputError('not-a-trigger');
}
