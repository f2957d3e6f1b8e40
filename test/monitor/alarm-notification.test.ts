import { describe, expect, it } from 'vitest';
import { alarmToNotification, splitDescription } from '../../src/monitor/alarm-notification.js';
import { alarmMessage } from './support/alarms.js';

const CONTEXT = { source: 'ekm-prod', dashboardUrl: 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=ekm' };

describe('alarmToNotification', () => {
  it('ALARM: a critical monitor-alarm with the headline as subject and the runbook as fix', () => {
    expect(alarmToNotification(alarmMessage(), CONTEXT)).toEqual({
      kind: 'notification',
      notification: {
        schemaVersion: 1,
        id: 'alarm:ekm-prod-heartbeat#2026-01-02T10:02:00.000+0000',
        kind: 'monitor-alarm',
        severity: 'critical',
        subject: '🔴 ekm-prod: No check ran for 15 minutes',
        summary: 'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].',
        fix: 'Open the check function’s logs; if the schedule is disabled, enable it (see the runbook).',
        facts: [
          { label: 'Alarm name', value: 'ekm-prod-heartbeat' },
          { label: 'State', value: 'ALARM (was OK)' },
          { label: 'Since', value: '2026-01-02T10:02:00.000Z' },
          { label: 'Region', value: 'EU (Ireland)' },
        ],
        links: [
          { label: 'Alarm', url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/ekm-prod-heartbeat' },
          { label: 'Dashboard', url: CONTEXT.dashboardUrl },
        ],
        scope: { type: 'monitor' },
        occurredAt: '2026-01-02T10:02:00.000Z',
        source: 'ekm-prod',
      },
    });
  });

  it('OK: the resolved one, same thread, no fix', () => {
    const ok = alarmToNotification(
      alarmMessage({
        NewStateValue: 'OK',
        OldStateValue: 'ALARM',
        StateChangeTime: '2026-01-02T10:40:00.000+0000',
        NewStateReason: 'Threshold Crossed: 1 datapoint [3.0] was not less than the threshold (1.0).',
      }),
      CONTEXT,
    );
    expect(ok).toMatchObject({
      kind: 'notification',
      notification: {
        id: 'alarm:ekm-prod-heartbeat#2026-01-02T10:40:00.000+0000',
        kind: 'monitor-alarm-resolved',
        severity: 'resolved',
        subject: '✅ ekm-prod: resolved — No check ran for 15 minutes',
        fix: null,
        summary: 'Threshold Crossed: 1 datapoint [3.0] was not less than the threshold (1.0).',
      },
    });
  });

  it('ignores INSUFFICIENT_DATA', () => {
    expect(alarmToNotification(alarmMessage({ NewStateValue: 'INSUFFICIENT_DATA' }), CONTEXT)).toEqual({
      kind: 'ignored',
      why: 'alarm state INSUFFICIENT_DATA is not reported',
    });
  });

  it('the same transition always gets the same id (redeliveries are recognised)', () => {
    const a = alarmToNotification(alarmMessage(), CONTEXT);
    const b = alarmToNotification(alarmMessage({ NewStateReason: 'different text' }), CONTEXT);
    expect(a.kind === 'notification' && b.kind === 'notification' && a.notification.id === b.notification.id).toBe(true);
  });

  it('a description without a runbook: the whole text is the headline, no fix; no description: the alarm name', () => {
    const one = alarmToNotification(alarmMessage({ AlarmDescription: 'Dead letters waiting' }), CONTEXT);
    expect(one).toMatchObject({ notification: { subject: '🔴 ekm-prod: Dead letters waiting', fix: null } });
    const none = alarmToNotification(alarmMessage({ AlarmDescription: undefined }), CONTEXT);
    expect(none).toMatchObject({ notification: { subject: '🔴 ekm-prod: ekm-prod-heartbeat', fix: null } });
  });

  it('splits on the first sentence end, not on the dots of an IP address', () => {
    expect(splitDescription('Egress is not 203.0.113.7 any more. Check the NAT gateway.')).toEqual({
      headline: 'Egress is not 203.0.113.7 any more',
      runbook: 'Check the NAT gateway.',
    });
    expect(splitDescription('')).toEqual({ headline: '', runbook: null });
  });

  it('makes hostile alarm text display-safe: escapes, controls, bidi, newlines, signature-like runs', () => {
    const hostile = alarmToNotification(
      alarmMessage({
        AlarmDescription: '\x1b[2J\x1b[31mKeys\u202e down\r\nDiagnosis: OK. Run \x1b]8;;https://evil\x07this\x1b]8;;\x07.',
        NewStateReason: `\x1b[1mred\x1b[0m \u0000bell\u0007 line\nbreak ${'ab12'.repeat(16)}`,
        AlarmName: 'name\x1b[0m\twith\ttabs',
      }),
      CONTEXT,
    );
    expect(hostile.kind).toBe('notification');
    if (hostile.kind !== 'notification') return;
    const text = JSON.stringify(hostile.notification);
    expect(text).not.toMatch(/\\u001b|\\u0000|\\u0007|\\r|\\n|\u202e/);
    expect(hostile.notification.summary).toBe('red bell line break [redacted]');
    expect(hostile.notification.subject).toBe('🔴 ekm-prod: Keys down Diagnosis: OK');
    expect(hostile.notification.id).toBe('alarm:name with tabs#2026-01-02T10:02:00.000+0000');
  });

  it('keeps the subject within 150 characters and bounds every text', () => {
    const long = alarmToNotification(
      alarmMessage({ AlarmDescription: `${'word '.repeat(400)}. ${'fix '.repeat(5_000)}`, NewStateReason: 'r'.repeat(100_000) }),
      CONTEXT,
    );
    if (long.kind !== 'notification') throw new Error('expected a notification');
    expect(long.notification.subject.length).toBeLessThanOrEqual(150);
    expect(long.notification.summary.length).toBeLessThanOrEqual(1_000);
    expect(long.notification.fix!.length).toBeLessThanOrEqual(1_000);
  });

  it.each([
    ['not an object', 'ALARM'],
    ['no name', alarmMessage({ AlarmName: undefined })],
    ['a numeric name', alarmMessage({ AlarmName: 42 })],
    ['an unknown state', alarmMessage({ NewStateValue: 'FIRE' })],
    ['a state of the wrong type', alarmMessage({ NewStateValue: ['ALARM'] })],
    ['no time', alarmMessage({ StateChangeTime: undefined })],
    ['a time that is not one', alarmMessage({ StateChangeTime: 'yesterday' })],
  ])('returns a typed problem (never throws) for %s', (_label, input) => {
    const out = alarmToNotification(input, CONTEXT);
    expect(out.kind).toBe('invalid');
  });

  it('a description of the wrong type is ignored, not fatal', () => {
    expect(alarmToNotification(alarmMessage({ AlarmDescription: { x: 1 }, Region: 7 }), CONTEXT)).toMatchObject({
      kind: 'notification',
      notification: { subject: '🔴 ekm-prod: ekm-prod-heartbeat', facts: [{ label: 'Alarm name' }, { label: 'State' }, { label: 'Since' }] },
    });
  });
});
