import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/contract/notification.js';
import {
  bodyExcerpt,
  InvalidNotification,
  MAX_MESSAGE_BYTES,
  parseQueueMessage,
  serializeNotification,
  validateNotification,
} from '../../src/monitor/queue-message.js';
import { HOSTILE_UNITS, OPENED, RESOLVED, TEST, hostile } from '../channels/support/notifications.js';
import { alarmEnvelope, alarmMessage, snsEnvelope } from './support/alarms.js';

const CONTEXT = { source: 'ekm-prod' };
const parse = (body: string) => parseQueueMessage(body, CONTEXT);

describe('parseQueueMessage', () => {
  it('a Notification our producers enqueue comes back as it went in', () => {
    for (const n of [OPENED, RESOLVED, TEST]) expect(parse(serializeNotification(n))).toEqual({ kind: 'notification', notification: n });
  });

  it('a CloudWatch alarm through SNS becomes a monitor-alarm; its OK the resolved one', () => {
    expect(parse(alarmEnvelope())).toMatchObject({
      kind: 'alarm',
      notification: { kind: 'monitor-alarm', id: 'alarm:ekm-prod-heartbeat#2026-01-02T10:02:00.000+0000', source: 'ekm-prod' },
    });
    expect(parse(alarmEnvelope({ NewStateValue: 'OK' }))).toMatchObject({ kind: 'alarm', notification: { kind: 'monitor-alarm-resolved' } });
  });

  it('an alarm with raw message delivery on (no envelope) is understood too', () => {
    expect(parse(JSON.stringify(alarmMessage()))).toMatchObject({ kind: 'alarm', notification: { kind: 'monitor-alarm' } });
  });

  it('ignores INSUFFICIENT_DATA and SNS subscription confirmations', () => {
    expect(parse(alarmEnvelope({ NewStateValue: 'INSUFFICIENT_DATA' }))).toMatchObject({ kind: 'ignored' });
    expect(parse(snsEnvelope('You have chosen to subscribe', { Type: 'SubscriptionConfirmation' }))).toMatchObject({ kind: 'ignored' });
  });

  it.each([
    ['empty body', ''],
    ['not JSON', 'hello'],
    ['JSON but not an object', '[1,2]'],
    ['null', 'null'],
    ['a string', '"notification"'],
    ['an SNS envelope whose Message is not JSON', snsEnvelope('ALARM: something happened')],
    ['an SNS envelope whose Message is JSON but no alarm', snsEnvelope('{"hello":"world"}')],
    ['an SNS envelope whose Message is not a string', JSON.stringify({ Type: 'Notification', TopicArn: 'arn:x', Message: { AlarmName: 'x' } })],
    ['an SNS envelope of an unknown type', snsEnvelope('{}', { Type: 'Surprise' })],
    ['an alarm with an unknown state', alarmEnvelope({ NewStateValue: 'PANIC' })],
    ['schemaVersion 2', JSON.stringify({ ...OPENED, schemaVersion: 2 })],
    ['schemaVersion as a string', JSON.stringify({ ...OPENED, schemaVersion: '1' })],
    ['no id', JSON.stringify({ ...OPENED, id: undefined })],
    ['an empty id', JSON.stringify({ ...OPENED, id: '  ' })],
    ['a numeric id', JSON.stringify({ ...OPENED, id: 7 })],
    ['an id with a newline', JSON.stringify({ ...OPENED, id: 'inc\n#1' })],
    ['an id too long for a key', JSON.stringify({ ...OPENED, id: '漢'.repeat(400) })],
    ['an unknown kind', JSON.stringify({ ...OPENED, kind: 'exploded' })],
    ['an unknown severity', JSON.stringify({ ...OPENED, severity: 'apocalyptic' })],
    ['a numeric subject', JSON.stringify({ ...OPENED, subject: 42 })],
    ['summary null', JSON.stringify({ ...OPENED, summary: null })],
    ['fix as a number', JSON.stringify({ ...OPENED, fix: 1 })],
    ['facts as an object', JSON.stringify({ ...OPENED, facts: { Key: 'trading' } })],
    ['a fact with a numeric value', JSON.stringify({ ...OPENED, facts: [{ label: 'Code', value: 40103 }] })],
    ['a link without url', JSON.stringify({ ...OPENED, links: [{ label: 'x' }] })],
    ['a key scope without key', JSON.stringify({ ...OPENED, scope: { type: 'key' } })],
    ['an unknown scope', JSON.stringify({ ...OPENED, scope: { type: 'galaxy' } })],
    ['no source', JSON.stringify({ ...OPENED, source: undefined })],
    ['a prototype-polluting document', '{"__proto__":{"schemaVersion":1},"constructor":{"prototype":{"x":1}}}'],
  ])('rejects %s as invalid, with a problem that does not quote the body', (_label, body) => {
    const out = parse(body);
    expect(out.kind).toBe('invalid');
    if (out.kind === 'invalid') {
      expect(out.problem.length).toBeLessThan(200);
      expect(out.problem).not.toContain('hello');
      expect(out.problem).not.toContain('ALARM: something');
    }
  });

  it('rejects a 1 MB body without parsing it', () => {
    const huge = JSON.stringify({ ...OPENED, summary: 'x'.repeat(1024 * 1024) });
    const started = performance.now();
    expect(parse(huge)).toEqual({ kind: 'invalid', problem: `body is larger than ${MAX_MESSAGE_BYTES} bytes` });
    expect(performance.now() - started).toBeLessThan(100);
    // Multi-byte characters count as bytes, not as characters.
    expect(parse(JSON.stringify({ ...OPENED, summary: '漢'.repeat(100_000) })).kind).toBe('invalid');
  });

  it('never throws, whatever the body', () => {
    const bodies = [
      '{',
      '{"Type":"Notification","TopicArn":"a","Message":"{\\"AlarmName\\":1,\\"NewStateValue\\":2}"}',
      '\uFEFF{}',
      '\u0000',
      '1e999',
      '{"facts":[null]}',
    ];
    for (const b of bodies) expect(() => parse(b)).not.toThrow();
    expect(parse('\uFEFF' + serializeNotification(OPENED)).kind).toBe('notification');
  });

  it('drops fields it does not know, so a newer producer cannot smuggle them to channels', () => {
    const out = parse(JSON.stringify({ ...OPENED, extra: 'x', facts: [{ label: 'a', value: 'b', html: '<b>' }] }));
    expect(out).toMatchObject({ kind: 'notification' });
    if (out.kind === 'notification') {
      expect(out.notification).not.toHaveProperty('extra');
      expect(out.notification.facts).toEqual([{ label: 'a', value: 'b' }]);
    }
  });
});

describe('serializeNotification', () => {
  it('is the notification JSON', () => {
    expect(JSON.parse(serializeNotification(OPENED))).toEqual(OPENED);
  });

  it('keeps every message under 256 KB, cutting texts then facts, and says what it left out', () => {
    for (const unit of Object.values(HOSTILE_UNITS)) {
      const body = serializeNotification(hostile(unit));
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES - 6 * 1024);
      const back = parse(body);
      expect(back.kind).toBe('notification');
      if (back.kind !== 'notification') continue;
      expect(back.notification.id).toBe(hostile(unit).id);
      expect(back.notification.facts.at(-1)?.value).toMatch(/^\(\d+ more facts not sent: too large for the queue\)$/);
    }
  });

  it('refuses, in the producer, a notification the notifier would drop', () => {
    expect(() => serializeNotification({ ...OPENED, id: '' })).toThrow(InvalidNotification);
    expect(() => serializeNotification({ ...OPENED, kind: 'nope' } as unknown as Notification)).toThrow(/kind/);
  });
});

describe('validateNotification', () => {
  it('accepts what the contract allows: fix null, monitor scope, empty facts and links', () => {
    expect(validateNotification(JSON.parse(JSON.stringify(TEST)))).toEqual(TEST);
  });
});

describe('bodyExcerpt', () => {
  it('at most 200 display-safe characters', () => {
    const e = bodyExcerpt(`\x1b[31m${'a'.repeat(5_000)}\n`);
    expect(e.length).toBeLessThanOrEqual(200);
    expect(e).not.toMatch(/[\x00-\x1f]/);
  });
});
