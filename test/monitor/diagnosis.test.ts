import { describe, expect, it } from 'vitest';
import { classifyReply, diagnose, DIAGNOSIS_TABLE } from '../../lambdas/monitor/diagnosis.js';
import type { ExchangeReply } from '../../lambdas/exchange/reply.js';
import { DIAGNOSES, type CheckResult } from '../../lambdas/monitor/types.js';

const answer = (httpStatus: number, code: number | null, message: string | null = null): ExchangeReply => ({
  kind: 'answer',
  httpStatus,
  code,
  message,
  result: undefined,
  dateHeader: null,
});

describe('classifyReply', () => {
  it.each([
    [answer(200, 0), 'OK'],
    [answer(401, 40101), 'AUTH_FAILED'],
    [answer(401, 10002), 'AUTH_FAILED'],
    [answer(401, 40104), 'AUTH_FAILED'],
    [answer(401, 40103), 'IP_NOT_WHITELISTED'],
    [answer(400, 10003), 'IP_NOT_WHITELISTED'],
    [answer(400, 40102), 'NONCE_REJECTED'],
    [answer(400, 10007), 'NONCE_REJECTED'],
    [answer(429, 42901), 'RATE_LIMITED'],
    [answer(200, 10006), 'RATE_LIMITED'],
    [answer(500, 50001), 'EXCHANGE_UNAVAILABLE'],
    [answer(200, 9010001), 'EXCHANGE_UNAVAILABLE'],
    [answer(400, 202), 'UNEXPECTED_RESPONSE'],
  ] as const)('%o → %s', (reply, expected) => {
    expect(classifyReply(reply)).toBe(expected);
  });

  it('lets the reason code decide whatever the HTTP status says', () => {
    expect(classifyReply(answer(200, 40101))).toBe('AUTH_FAILED');
    expect(classifyReply(answer(500, 316))).toBe('UNEXPECTED_RESPONSE');
    expect(classifyReply(answer(401, 0))).toBe('OK');
  });

  it('falls back to the HTTP status when the body has no code', () => {
    expect(classifyReply(answer(401, null))).toBe('AUTH_FAILED');
    expect(classifyReply(answer(429, null))).toBe('RATE_LIMITED');
    expect(classifyReply(answer(503, null))).toBe('EXCHANGE_UNAVAILABLE');
    expect(classifyReply(answer(418, null))).toBe('UNEXPECTED_RESPONSE');
  });

  it('treats HTML pages and dead connections as the exchange being unavailable', () => {
    expect(classifyReply({ kind: 'not-json', httpStatus: 502, snippet: 'Bad gateway' })).toBe('EXCHANGE_UNAVAILABLE');
    expect(classifyReply({ kind: 'not-json', httpStatus: 403, snippet: 'Attention Required' })).toBe('EXCHANGE_UNAVAILABLE');
    expect(classifyReply({ kind: 'not-json', httpStatus: 429, snippet: 'Too many' })).toBe('RATE_LIMITED');
    expect(classifyReply({ kind: 'not-json', httpStatus: 401, snippet: 'Unauthorized' })).toBe('AUTH_FAILED');
    expect(classifyReply({ kind: 'network', error: 'timeout', detail: '5000 ms' })).toBe('EXCHANGE_UNAVAILABLE');
  });

  it('maps no reason code to two classes', () => {
    const seen = new Map<number, string>();
    for (const [d, spec] of Object.entries(DIAGNOSIS_TABLE)) {
      for (const code of spec.codes) {
        expect(seen.get(code), `code ${code}`).toBeUndefined();
        seen.set(code, d);
      }
    }
  });
});

const check = (over: Partial<CheckResult> & Pick<CheckResult, 'name' | 'status'>): CheckResult => ({
  ok: over.status !== 'fail',
  code: null,
  httpStatus: null,
  latencyMs: 1,
  detail: 'detail',
  ...over,
});

describe('diagnose', () => {
  it('is OK when nothing fails, even with warnings', () => {
    const report = diagnose([check({ name: 'public-api', status: 'warn' }), check({ name: 'signed-read', status: 'pass' })], { expectedIps: [], keyPrefix: 'abcd' });
    expect(report).toMatchObject({ healthy: true, diagnosis: 'OK' });
  });

  it('picks the most fundamental failure by precedence', () => {
    const report = diagnose(
      [
        check({ name: 'public-api', status: 'fail', failure: 'EXCHANGE_UNAVAILABLE' }),
        check({ name: 'signed-read', status: 'fail', failure: 'IP_NOT_WHITELISTED' }),
        check({ name: 'egress-ip', status: 'pass', egressIp: '203.0.113.7' }),
      ],
      { expectedIps: [], keyPrefix: 'abcd' },
    );
    expect(report.diagnosis).toBe('IP_NOT_WHITELISTED');
    expect(report.advice).toContain('Add 203.0.113.7 to the key’s IP whitelist');
    expect(report.advice).toContain('abcd…');
  });

  it('ranks an egress mismatch above the 40103 it causes (whitelisting the wrong IP fixes nothing)', () => {
    const report = diagnose(
      [
        check({ name: 'egress-ip', status: 'fail', failure: 'EGRESS_IP_MISMATCH', egressIp: '198.51.100.9' }),
        check({ name: 'signed-read', status: 'fail', failure: 'IP_NOT_WHITELISTED' }),
      ],
      { expectedIps: ['203.0.113.7'], keyPrefix: null },
    );
    expect(report.diagnosis).toBe('EGRESS_IP_MISMATCH');
    expect(report.advice).toContain('198.51.100.9');
    expect(report.advice).toContain('203.0.113.7');
  });

  it('has a title and advice for every diagnosis', () => {
    for (const d of DIAGNOSES) {
      expect(DIAGNOSIS_TABLE[d].title.length).toBeGreaterThan(5);
      expect(DIAGNOSIS_TABLE[d].advice({ egressIp: '203.0.113.7', expectedIps: [], keyPrefix: 'abcd', detail: 'x' }).length).toBeGreaterThan(10);
    }
  });
});
