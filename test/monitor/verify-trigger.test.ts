import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/monitor/runtime-config.js';
import { EXCERPT_MAX, TriggerInputError, parseBotLogGroups, parseTrigger } from '../../src/monitor/verify-trigger.js';

const KEYS = ['bot-main', 'bot-hedge'];
const GROUPS = new Map([['/ecs/bot', 'bot-main']]);

/** As CloudWatch Logs delivers a subscription: gzip JSON, base64, under awslogs.data. */
function logsEvent(body: Record<string, unknown>): unknown {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(body))).toString('base64') } };
}

const dataMessage = (logGroup: string, logEvents: unknown[]) =>
  logsEvent({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup, logStream: 's', subscriptionFilters: ['f'], logEvents });

describe('parseTrigger', () => {
  it('takes the mapped key, the first event time and a short display-safe excerpt from a log subscription event', () => {
    const signature = 'a'.repeat(64);
    const long = `\u001b[31m{"code":40103,"message":"IP_ILLEGAL","sig":"${signature}"} ${'x'.repeat(400)}`;
    const t = parseTrigger(
      dataMessage('/ecs/bot', [
        { id: '1', timestamp: 1_765_000_000_000, message: long },
        { id: '2', timestamp: 1_765_000_001_000, message: 'later' },
      ]),
      GROUPS,
      KEYS,
    );
    expect(t).toMatchObject({ kind: 'log', key: 'bot-main', logGroup: '/ecs/bot', at: 1_765_000_000_000 });
    const excerpt = (t as { excerpt: string }).excerpt;
    expect(excerpt.length).toBeLessThanOrEqual(EXCERPT_MAX);
    expect(excerpt).toContain('40103');
    expect(excerpt).not.toContain(signature);
    expect(excerpt).not.toContain('\u001b');
  });

  it('ignores the control message CloudWatch Logs sends when a filter is created', () => {
    expect(parseTrigger(logsEvent({ messageType: 'CONTROL_MESSAGE', logGroup: '', logEvents: [] }), GROUPS, KEYS)).toEqual({ kind: 'control' });
  });

  it('names a log group that is not mapped to a key', () => {
    expect(() => parseTrigger(dataMessage('/ecs/other', [{ id: '1', timestamp: 1, message: '40101' }]), GROUPS, KEYS)).toThrow(
      expect.objectContaining({ name: 'TriggerInputError', problem: 'unmapped-log-group' }),
    );
  });

  it('names data that is not base64 gzip JSON', () => {
    expect(() => parseTrigger({ awslogs: { data: 'not gzip' } }, GROUPS, KEYS)).toThrow(TriggerInputError);
  });

  it('takes a nudge for a monitored key and names an unknown key or any other shape', () => {
    expect(parseTrigger({ key: 'bot-hedge', reason: 'order refused' }, GROUPS, KEYS)).toEqual({ kind: 'nudge', key: 'bot-hedge', reason: 'order refused' });
    expect(parseTrigger({ key: 'bot-hedge' }, GROUPS, KEYS)).toEqual({ kind: 'nudge', key: 'bot-hedge', reason: null });
    expect(() => parseTrigger({ key: 'nobody' }, GROUPS, KEYS)).toThrow(expect.objectContaining({ problem: 'unknown-key' }));
    for (const bad of [null, 'x', {}, { key: 'bot-main', extra: 1 }, { detail: {} }])
      expect(() => parseTrigger(bad, GROUPS, KEYS)).toThrow(expect.objectContaining({ problem: 'not-a-trigger' }));
  });
});

describe('parseBotLogGroups', () => {
  it('maps log groups to monitored keys and names a key that is not monitored', () => {
    expect(parseBotLogGroups('{"/ecs/bot":"bot-main"}', KEYS)).toEqual(new Map([['/ecs/bot', 'bot-main']]));
    expect(parseBotLogGroups(undefined, KEYS).size).toBe(0);
    expect(() => parseBotLogGroups('{"/ecs/bot":"ghost"}', KEYS)).toThrow(ConfigError);
    expect(() => parseBotLogGroups('[1]', KEYS)).toThrow(ConfigError);
    expect(() => parseBotLogGroups('{', KEYS)).toThrow(ConfigError);
  });
});

describe('a subscription event that inflates past any real one', () => {
  it('is unreadable log data, not a crash or an out-of-memory', () => {
    // Valid JSON when inflated: only the size bound tells it apart from a real event.
    const inflated = `{"messageType":"DATA_MESSAGE","logGroup":"/ecs/bot","logEvents":[{"timestamp":1,"message":"40101"}],"pad":"${'x'.repeat(16 * 1024 * 1024)}"}`;
    const bomb = gzipSync(inflated).toString('base64');
    expect(bomb.length).toBeLessThan(100_000);
    const err = (() => {
      try {
        parseTrigger({ awslogs: { data: bomb } }, new Map([['/ecs/bot', 'trading']]), ['trading']);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(TriggerInputError);
    expect((err as TriggerInputError).problem).toBe('unreadable-log-data');
  });
});
