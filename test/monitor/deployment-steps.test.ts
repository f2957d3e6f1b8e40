import { describe, expect, it } from 'vitest';
import { MONITOR_ALARM_NAMES } from '../../src/contract/alarms.js';
import {
  alarmsStep,
  channelsStep,
  checkStep,
  egressStep,
  probeAnswersStep,
  rotationStep,
  scheduleStep,
  verdictsOf,
} from '../../src/monitor/deployment-steps.js';
import type { KeyVerdict } from '../../src/contract/deployment-check.js';

const verdict = (over: Partial<KeyVerdict> = {}): KeyVerdict => ({
  key: 'trading',
  secretId: 'prod/cdc-trading',
  keyPrefix: 'Ab3x',
  diagnosis: 'OK',
  healthy: true,
  title: 'Key is healthy',
  advice: 'Nothing to do.',
  egressIp: '203.0.113.7',
  probes: [
    { probe: 'trade-permission', status: 'pass', httpStatus: 500, code: 316, detail: 'Trade enabled' },
    { probe: 'withdraw-permission', status: 'pass', httpStatus: 401, code: 40101, detail: 'cannot withdraw' },
  ],
  ...over,
});
const ALL = (extra: Partial<{ actionsEnabled: boolean; alarmActions: number }> = {}) =>
  MONITOR_ALARM_NAMES.map((n) => ({ name: `Stack-${n}`, actionsEnabled: true, alarmActions: 1, ...extra }));

describe('verify, step by step', () => {
  it('an answer that is not a deployment check is a failed step, never a pass, and the steps judged by it are not passed either', () => {
    expect(verdictsOf({ checked: 2, unhealthy: [] })).toBeNull();
    expect(checkStep(null)).toMatchObject({ status: 'fail', fix: 'redeploy: the function is older than this CLI' });
    expect(checkStep([])).toMatchObject({ status: 'fail' });
    expect(egressStep(null, ['203.0.113.7'], 'own-nat')).toMatchObject({ status: 'fail', lines: ['not judged: the check step has no answer to judge by'] });
    expect(rotationStep('arn:fn', '{"Statement":[]}', []).status).toBe('fail');
    expect(probeAnswersStep(null).status).toBe('fail');
  });

  it('names the egress fix for each egress mode', () => {
    const seen = [verdict({ egressIp: '198.51.100.23' })];
    expect(egressStep(seen, ['203.0.113.7'], 'existing-vpc').fix).toContain('privateSubnetIds');
    expect(egressStep(seen, ['203.0.113.7'], 'proxy').fix).toContain('the IP the proxy host leaves from');
    expect(egressStep(seen, ['203.0.113.7'], 'own-nat').fix).toContain('NAT holding the Elastic IP');
    expect(egressStep([verdict({ egressIp: null })], ['203.0.113.7'], 'own-nat').status).toBe('fail');
  });

  it('a channel that refuses, and no channel at all, each fail with what to do', () => {
    const refused = channelsStep(
      [
        { channel: 'email', result: 'delivered', detail: 'delivered' },
        { channel: 'slack', result: 'failed', detail: 'Slack answered 404 no_service: the webhook was removed. Fix: create a new incoming webhook' },
      ],
      [],
    );
    expect(refused).toMatchObject({ status: 'fail', fix: 'slack: fix what the line says, then run key-monitor test-alert' });
    expect(refused.lines[1]).toContain('❌ slack: Slack answered 404');
    expect(channelsStep([], []).fix).toContain('-c alertEmail=');
  });

  it('alarms: actions switched off name the one command; a missing one or one with no action says redeploy', () => {
    const off = ALL().map((a) => (a.name === 'Stack-HEARTBEAT' ? { ...a, actionsEnabled: false } : a));
    expect(alarmsStep('Stack', off)).toMatchObject({ status: 'fail', fix: 'aws cloudwatch enable-alarm-actions --alarm-names Stack-HEARTBEAT' });
    const silent = ALL().map((a) => (a.name === 'Stack-NOTIFIER_ERRORS' ? { ...a, alarmActions: 0 } : a));
    expect(alarmsStep('Stack', silent).lines).toEqual(['❌ Stack-NOTIFIER_ERRORS notifies no one (no alarm action)']);
    expect(alarmsStep('Stack', ALL()).status).toBe('pass');
    expect(alarmsStep('Stack', ALL().slice(1)).fix).toContain('redeploy');
  });

  it('rotation: a prefix pattern covers the secrets under it; another account’s principal or a Deny covers nothing', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:exchange-key-monitor/bot-7-AbCdEf';
    const policy = (statement: object) => JSON.stringify({ Statement: [statement] });
    const allow = { Effect: 'Allow', Principal: { Service: 'secretsmanager.amazonaws.com' } };
    const prefix = { ...allow, Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:exchange-key-monitor/*' } } };
    expect(rotationStep('arn:fn', policy(prefix), [{ key: 'bot-7', arn }]).status).toBe('pass');
    expect(rotationStep('arn:fn', policy({ ...prefix, Effect: 'Deny' }), [{ key: 'bot-7', arn }]).status).toBe('fail');
    expect(rotationStep('arn:fn', policy({ ...prefix, Principal: { Service: 'lambda.amazonaws.com' } }), [{ key: 'bot-7', arn }]).status).toBe('fail');
    expect(rotationStep('arn:fn', null, [{ key: 'bot-7', arn }]).status).toBe('fail');
    expect(rotationStep('arn:fn', policy(prefix), [{ key: 'bot-7', arn: null }])).toMatchObject({
      status: 'fail',
      lines: ['❌ bot-7: its secret does not exist'],
    });
  });

  it('records each key’s probe answers, and warns when one proved nothing', () => {
    expect(probeAnswersStep([verdict()]).lines).toEqual([
      'trading trade-permission: HTTP 500, code 316 — Trade enabled',
      'trading withdraw-permission: HTTP 401, code 40101 — cannot withdraw',
    ]);
    const unsure = verdict({ probes: [{ probe: 'withdraw-permission', status: 'warn', httpStatus: 503, code: null, detail: 'not conclusive: HTTP 503' }] });
    expect(probeAnswersStep([unsure]).status).toBe('warn');
  });

  it('the schedule passes only when its rule is enabled and targets the check function itself', () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:Stack-Check';
    expect(scheduleStep('ENABLED', 'Stack-Schedule', [fn], 'Stack-Check').status).toBe('pass');
    expect(scheduleStep('ENABLED', 'Stack-Schedule', [`${fn}:live`], 'Stack-Check').status).toBe('pass');
    // A name that merely contains the function's name, or another service's ARN, is not the function.
    for (const targets of [[], [`${fn}-Old`], ['arn:aws:sqs:us-east-1:123456789012:Stack-Check'], ['Stack-Check']])
      expect(scheduleStep('ENABLED', 'Stack-Schedule', targets, 'Stack-Check'), JSON.stringify(targets)).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('redeploy'),
      });
    expect(scheduleStep('DISABLED', 'Stack-Schedule', [fn], 'Stack-Check')).toMatchObject({
      status: 'fail',
      fix: 'aws events enable-rule --name Stack-Schedule',
    });
    expect(scheduleStep('DISABLED', 'Stack-Schedule', [], 'Stack-Check').fix).toContain('redeploy');
    expect(scheduleStep('MISSING', 'Stack-Schedule', [], 'Stack-Check').lines).toEqual(['Stack-Schedule does not exist']);
    expect(scheduleStep('ENABLED', null, [fn], 'Stack-Check').status).toBe('fail');
  });
});
