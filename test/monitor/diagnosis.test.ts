import { describe, expect, it } from 'vitest';
import { classifyReply, diagnose, isRetryableReply } from '../../src/monitor/diagnosis.js';
import { DIAGNOSIS_TABLE } from '../../src/monitor/diagnosis-table.js';
import { parseReply, type ExchangeReply } from '../../src/exchange/reply.js';
import { DIAGNOSES, type CheckResult } from '../../src/monitor/types.js';

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
    [answer(400, 202), 'ACCOUNT_SUSPENDED'],
    [answer(400, 140001), 'API_DISABLED'],
    [answer(500, 410), 'ACCOUNT_DISABLED'],
    [answer(500, 412), 'DERIVATIVES_ACCESS_MISSING'],
    [answer(200, 9010001), 'EXCHANGE_MAINTENANCE'],
    [answer(400, 10001), 'UNEXPECTED_RESPONSE'],
  ] as const)('%o → %s', (reply, expected) => {
    expect(classifyReply(reply)).toBe(expected);
  });

  it('lets the reason code decide whatever the HTTP status says', () => {
    expect(classifyReply(answer(200, 40101))).toBe('AUTH_FAILED');
    expect(classifyReply(answer(500, 316))).toBe('UNEXPECTED_RESPONSE');
  });

  it('takes code 0 as success only with HTTP 200: a redirect or error page saying "code 0" is not an answer', () => {
    for (const status of [201, 204, 301, 302, 307, 400, 401, 403, 404, 500])
      expect(classifyReply(answer(status, 0)), String(status)).toBe('UNEXPECTED_RESPONSE');
  });

  it('falls back to the HTTP status when the body has no code', () => {
    expect(classifyReply(answer(401, null))).toBe('AUTH_FAILED');
    expect(classifyReply(answer(429, null))).toBe('RATE_LIMITED');
    expect(classifyReply(answer(503, null))).toBe('EXCHANGE_UNAVAILABLE');
    expect(classifyReply(answer(418, null))).toBe('UNEXPECTED_RESPONSE');
    expect(classifyReply(answer(404, null))).toBe('EXCHANGE_URL_INVALID');
    expect(classifyReply(answer(302, null))).toBe('EXCHANGE_URL_INVALID');
  });

  it('treats error pages and dead connections as the exchange being unavailable', () => {
    expect(classifyReply({ kind: 'not-json', httpStatus: 502, snippet: 'Bad gateway' })).toBe('EXCHANGE_UNAVAILABLE');
    expect(classifyReply({ kind: 'not-json', httpStatus: 403, snippet: 'Attention Required' })).toBe('EXCHANGE_UNAVAILABLE');
    expect(classifyReply({ kind: 'not-json', httpStatus: 429, snippet: 'Too many' })).toBe('RATE_LIMITED');
    expect(classifyReply({ kind: 'not-json', httpStatus: 401, snippet: 'Unauthorized' })).toBe('AUTH_FAILED');
    expect(classifyReply({ kind: 'network', error: 'timeout', detail: '5000 ms' })).toBe('EXCHANGE_UNAVAILABLE');
  });

  it.each([
    // [HTTP status, body, more than the cap was sent, diagnosis]: what a reply was decides, not only that it was not JSON.
    [200, '', false, 'EXCHANGE_UNAVAILABLE'],
    [200, '   \n', false, 'EXCHANGE_UNAVAILABLE'],
    [204, '', false, 'EXCHANGE_UNAVAILABLE'],
    [200, '{', false, 'EXCHANGE_UNAVAILABLE'],
    [200, '{"id":1,"method":"private/user-balance","code":0,"result":{"data":[{"position_bal', false, 'EXCHANGE_UNAVAILABLE'],
    [200, '  [1,2', false, 'EXCHANGE_UNAVAILABLE'],
    [200, '{"code":0', false, 'EXCHANGE_UNAVAILABLE'],
    [200, '{"code":0,"result":{}}'.padEnd(1_000_000, ' '), true, 'UNEXPECTED_RESPONSE'],
    [200, `{"pad":"${'x'.repeat(999_990)}`, true, 'UNEXPECTED_RESPONSE'],
    // A page is still a page: large, empty or cut off, a web page or a "not found" says "not the API".
    [200, `<html><title>Welcome</title>${'x'.repeat(999_000)}`, true, 'EXCHANGE_URL_INVALID'],
    [200, '<html><title>Welcome</title></html>', false, 'EXCHANGE_URL_INVALID'],
    [404, '', false, 'EXCHANGE_URL_INVALID'],
    [404, '{"code":', false, 'EXCHANGE_URL_INVALID'],
    [302, '', false, 'EXCHANGE_URL_INVALID'],
    [502, '', false, 'EXCHANGE_UNAVAILABLE'],
    [503, '{"code":', false, 'EXCHANGE_UNAVAILABLE'],
    [401, '', false, 'AUTH_FAILED'],
  ] as const)('HTTP %i, body %j…, over the cap %s → %s', (status, body, overCap, expected) => {
    expect(classifyReply(parseReply(status, body, null, overCap))).toBe(expected);
  });

  it('an unknown host is a setting to fix (not retried); a resolver that did not answer is transient', () => {
    expect(classifyReply({ kind: 'network', error: 'host-unknown', detail: 'ENOTFOUND x.test' })).toBe('EXCHANGE_HOST_UNKNOWN');
    expect(isRetryableReply({ kind: 'network', error: 'host-unknown', detail: 'ENOTFOUND x.test' })).toBe(false);
    expect(classifyReply({ kind: 'network', error: 'connection', detail: 'EAI_AGAIN' })).toBe('EXCHANGE_UNAVAILABLE');
    expect(DIAGNOSIS_TABLE.EXCHANGE_HOST_UNKNOWN.transient).toBe(false);
  });

  it('treats a page that is not the API (404, a redirect, a web page) as a setup fault, not an outage', () => {
    for (const status of [200, 301, 302, 404, 405, 410]) {
      expect(classifyReply({ kind: 'not-json', httpStatus: status, snippet: 'Not Found' }), String(status)).toBe('EXCHANGE_URL_INVALID');
    }
    const advice = DIAGNOSIS_TABLE.EXCHANGE_URL_INVALID.advice({
      egressIp: null,
      expectedIps: [],
      keyPrefix: null,
      detail: 'public-api: HTTP 404',
      site: 'local',
    });
    expect(advice).toContain('https://api.crypto.com/exchange/v1');
    expect(advice).not.toContain('status.crypto.com');
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

describe('retry predicate given to the transport', () => {
  it('retries transient faults only, never an authentication verdict or an answer', () => {
    expect(isRetryableReply({ kind: 'network', error: 'connection', detail: 'ECONNRESET' })).toBe(true);
    expect(isRetryableReply(parseReply(502, '<html>', null))).toBe(true);
    expect(isRetryableReply(parseReply(429, '{"code":42901}', null))).toBe(true);
    expect(isRetryableReply(parseReply(401, '{"code":40101}', null))).toBe(false);
    expect(isRetryableReply(parseReply(401, '{"code":40103}', null))).toBe(false);
    expect(isRetryableReply(parseReply(500, '{"code":316}', null))).toBe(false);
    expect(isRetryableReply(parseReply(200, '{"code":0}', null))).toBe(false);
    expect(isRetryableReply(parseReply(404, '<html>Not Found</html>', null))).toBe(false);
  });
});

const check = (over: Partial<CheckResult> & Pick<CheckResult, 'name' | 'status'>): CheckResult => ({
  ok: over.status === 'skip' ? null : over.status !== 'fail',
  code: null,
  httpStatus: null,
  latencyMs: 1,
  elapsedMs: 1,
  attempts: 1,
  detail: 'detail',
  ...over,
});

const proof = [check({ name: 'signed-read', status: 'pass' }), check({ name: 'trade-permission', status: 'pass' })];

describe('diagnose', () => {
  it('is OK when nothing fails and the read and probe passed, even with warnings', () => {
    const report = diagnose([check({ name: 'public-api', status: 'warn' }), ...proof], { expectedIps: [], keyPrefix: 'abcd', site: 'aws' });
    expect(report).toMatchObject({ healthy: true, diagnosis: 'OK' });
  });

  it('never says OK without evidence: nothing failed but nothing proved the key either', () => {
    const report = diagnose([check({ name: 'public-api', status: 'pass' }), check({ name: 'signed-read', status: 'skip' })], {
      expectedIps: [],
      keyPrefix: null,
      site: 'aws',
    });
    expect(report.healthy).toBe(false);
    expect(report.diagnosis).toBe('MONITOR_ERROR');
  });

  it('picks the most fundamental failure by precedence', () => {
    const report = diagnose(
      [
        check({ name: 'public-api', status: 'fail', failure: 'EXCHANGE_UNAVAILABLE' }),
        check({ name: 'signed-read', status: 'fail', failure: 'IP_NOT_WHITELISTED' }),
        check({ name: 'egress-ip', status: 'pass', egressIp: '203.0.113.7' }),
      ],
      { expectedIps: [], keyPrefix: 'abcd', site: 'aws' },
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
      { expectedIps: ['203.0.113.7'], keyPrefix: null, site: 'aws' },
    );
    expect(report.diagnosis).toBe('EGRESS_IP_MISMATCH');
    expect(report.advice).toContain('198.51.100.9');
    expect(report.advice).toContain('203.0.113.7');
  });

  it('fits its advice to where the check ran: no NAT gateway or next scheduled run on a laptop', () => {
    for (const d of ['EGRESS_IP_MISMATCH', 'EXCHANGE_UNAVAILABLE', 'NONCE_REJECTED', 'CREDENTIALS_MISSING', 'MONITOR_ERROR'] as const) {
      const ctx = { egressIp: '198.51.100.9', expectedIps: ['203.0.113.7'], keyPrefix: 'abcd', detail: 'x' };
      const local = DIAGNOSIS_TABLE[d].advice({ ...ctx, site: 'local' });
      const aws = DIAGNOSIS_TABLE[d].advice({ ...ctx, site: 'aws' });
      expect(local, d).not.toMatch(/NAT|next scheduled|next run|private subnets/i);
      expect(local, d).not.toBe(aws);
    }
    expect(DIAGNOSIS_TABLE.CREDENTIALS_MISSING.advice({ egressIp: null, expectedIps: [], keyPrefix: null, detail: 'x', site: 'local' })).toContain('--sandbox');
  });

  it('names the right fix for each way a secret cannot be read, never "re-enter the secret"', () => {
    const faults = [
      'not-found',
      'access-denied',
      'kms-denied',
      'no-region',
      'no-aws-credentials',
      'throttled',
      'unreachable',
      'timeout',
      'service-error',
    ] as const;
    const texts = faults.map((f) =>
      DIAGNOSIS_TABLE[
        f === 'throttled' || f === 'unreachable' || f === 'timeout' || f === 'service-error' ? 'SECRET_STORE_UNAVAILABLE' : 'SECRET_NOT_READABLE'
      ].advice({
        egressIp: null,
        expectedIps: [],
        keyPrefix: null,
        detail: 'credentials: x',
        site: 'local',
        secretFault: f,
      }),
    );
    expect(new Set(texts).size).toBe(faults.length);
    for (const t of texts) expect(t).not.toMatch(/re-?enter|store it again|copy the key and secret again/i);
    expect(texts[faults.indexOf('no-region')]).toContain('AWS_REGION');
    expect(texts[faults.indexOf('kms-denied')]).toContain('kms:Decrypt');
  });

  it('has a title and advice for every diagnosis, on AWS and locally', () => {
    for (const d of DIAGNOSES) {
      expect(DIAGNOSIS_TABLE[d].title.length).toBeGreaterThan(5);
      for (const site of ['aws', 'local'] as const) {
        expect(DIAGNOSIS_TABLE[d].advice({ egressIp: '203.0.113.7', expectedIps: [], keyPrefix: 'abcd', detail: 'x', site }).length).toBeGreaterThan(10);
      }
    }
  });
});
