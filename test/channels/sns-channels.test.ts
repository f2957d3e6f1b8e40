/** Email and Amazon Q (Chatbot) render pure SNS messages: exact subjects and messages. */
import { describe, expect, it } from 'vitest';
import { chatbotChannel, chatbotMessage } from '../../src/channels/chatbot.js';
import { emailChannel, toAscii } from '../../src/channels/email.js';
import { HOSTILE_UNITS, INJECTED, OPENED, RESOLVED, TEST, hostile } from './support/notifications.js';

const EMAIL_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ekm-alerts';
const CHATBOT_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ekm-chatbot';
const email = emailChannel({ topicArn: EMAIL_TOPIC });
const chatbot = chatbotChannel({ topicArn: CHATBOT_TOPIC });

describe('email', () => {
  it('opened: tagged ASCII subject, then summary, fix, aligned facts, links and the source', () => {
    expect(email.build(OPENED)).toEqual({
      topicArn: EMAIL_TOPIC,
      subject: '[ALERT] trading: IP not whitelisted (40103) - add 203.0.113.7 to the key',
      message: [
        '🔴 trading: IP not whitelisted (40103) — add 203.0.113.7 to the key',
        '',
        'Signed calls fail with 40103 since 10:02 UTC (3 runs).',
        '',
        'Fix: Add 203.0.113.7 to the key’s IP whitelist.',
        '',
        'Key:  trading',
        'Code: 40103',
        '',
        'Links:',
        '  Dashboard: https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=ekm',
        '',
        '-- ',
        'Sent by exchange-key-monitor deployment "ekm-prod" about an event at 2026-01-02T10:02:00.000Z.',
        'Notification id: inc-7f3a#1',
        '',
      ].join('\n'),
    });
  });

  it('resolved and test', () => {
    expect(email.build(RESOLVED)).toEqual({
      topicArn: EMAIL_TOPIC,
      subject: '[RESOLVED] trading: resolved after 42 min',
      message:
        '✅ trading: resolved after 42 min\n\nSigned calls succeed again; 14 runs failed.\n\nDuration: 42 min\n\n-- \n' +
        'Sent by exchange-key-monitor deployment "ekm-prod" about an event at 2026-01-02T10:44:00.000Z.\nNotification id: inc-7f3a#3\n',
    });
    expect(email.build(TEST).subject).toBe('[TEST] Test alert from ekm-prod');
    expect(email.build({ ...OPENED, severity: 'warning', subject: '🟠 trading: clock skew 900 ms' }).subject).toBe('[WARNING] trading: clock skew 900 ms');
    expect(email.build({ ...TEST, kind: 'maintenance' }).subject).toBe('[INFO] Test alert from ekm-prod');
  });

  it('a resolved kind is [RESOLVED] whatever severity and emoji it carries', () => {
    expect(email.build({ ...RESOLVED, severity: 'critical', subject: '🔴 trading: resolved' }).subject).toBe('[RESOLVED] trading: resolved');
  });

  it('subjects are single-line ASCII under 100 characters, whatever comes in', () => {
    const subjects = [
      ...Object.values(HOSTILE_UNITS).map((u) => hostile(u)),
      INJECTED,
      { ...OPENED, subject: '🔴 Café “naïve” — résumé… → ok\nsecond line\ttab' },
      { ...OPENED, subject: '🔴🔥🔥🔥' },
    ].map((n) => email.build(n).subject!);
    for (const s of subjects) {
      expect(s).toMatch(/^[\x20-\x7e]+$/);
      expect(s.length).toBeLessThan(100);
      expect(s).toMatch(/^\[ALERT\]/);
    }
    expect(subjects.at(-2)).toBe('[ALERT] Cafe "naive" - resume... -> ok second line tab');
    expect(subjects.at(-1)).toBe('[ALERT]');
    expect(subjects[0]).toMatch(/\.\.\.$/);
    expect(toAscii('Ünïcödé ✓ 日本')).toBe('Unicode');
  });

  it('bounds a hostile body well under the SNS 256 KiB limit and says what it left out', () => {
    for (const unit of Object.values(HOSTILE_UNITS)) {
      const { message } = email.build(hostile(unit));
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(200_000);
      expect(message).toMatch(/\(\d+ more facts and \d+ links not shown\)/);
      expect(message).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    }
  });

  it('strips terminal escapes and control characters from the body', () => {
    const { message } = email.build(INJECTED);
    expect(message).not.toMatch(/[\x1b\u202e]/);
    expect(message).toContain('line 2 redevil');
  });
});

describe('Amazon Q custom notification', () => {
  it('opened: the documented schema, threaded by the incident', () => {
    const message = chatbot.build(OPENED);
    expect(message.topicArn).toBe(CHATBOT_TOPIC);
    expect(message.subject).toBeUndefined();
    expect(JSON.parse(message.message)).toEqual({
      version: '1.0',
      source: 'custom',
      id: 'inc-7f3a#1',
      content: {
        textType: 'client-markdown',
        title: '🔴 trading: IP not whitelisted (40103) — add 203.0.113.7 to the key',
        description: 'Signed calls fail with 40103 since 10:02 UTC (3 runs).\n\nKey: trading\nCode: 40103\n\nekm-prod · 2026-01-02T10:02:00.000Z',
        nextSteps: [
          'Fix: Add 203.0.113.7 to the key’s IP whitelist.',
          'Dashboard: https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=ekm',
        ],
        keywords: ['critical', 'opened', 'ekm-prod', 'trading'],
      },
      metadata: { threadId: 'inc-7f3a', summary: '🔴 trading: IP not whitelisted (40103) — add 203.0.113.7 to the key' },
    });
  });

  it('resolved lands in the same thread as its opening; a test is its own thread', () => {
    expect(chatbotMessage(RESOLVED)).toEqual({
      version: '1.0',
      source: 'custom',
      id: 'inc-7f3a#3',
      content: {
        textType: 'client-markdown',
        title: '✅ trading: resolved after 42 min',
        description: 'Signed calls succeed again; 14 runs failed.\n\nDuration: 42 min\n\nekm-prod · 2026-01-02T10:44:00.000Z',
        nextSteps: [],
        keywords: ['resolved', 'ekm-prod', 'trading'],
      },
      metadata: { threadId: 'inc-7f3a', summary: '✅ trading: resolved after 42 min' },
    });
    expect(chatbotMessage(TEST).metadata.threadId).toBe('test-20260102T1100Z');
    expect(chatbotMessage(TEST).content.keywords).toEqual(['info', 'test', 'ekm-prod']);
  });

  it('renders injected markup and pings inert, and leaves URLs intact', () => {
    const m = chatbotMessage(INJECTED);
    const text = [m.content.title, m.content.description, ...m.content.nextSteps, m.metadata.summary].join('\n');
    expect(text).not.toMatch(/[\x1b\u202e]|@(everyone|here)|\]\(/);
    // Outside URLs (which keep their own characters), no markup character survives.
    expect(text.replace(/https?:\/\/\S+/g, '')).not.toMatch(/[<>*`~]/);
    expect(m.content.description).toContain('Hi ‹b›bold‹/b› ∗bold∗');
    expect(m.content.nextSteps.at(-1)).toMatch(/: https:\/\/example\.com\/a%22b'c%3Cd%3E\|e\(f\)\*g_h$/);
  });

  it('keeps every field short whatever comes in', () => {
    for (const unit of Object.values(HOSTILE_UNITS)) {
      const m = chatbotMessage(hostile(unit));
      expect(m.content.title.length).toBeLessThanOrEqual(250);
      expect(m.content.description.length).toBeLessThanOrEqual(3000);
      expect(m.content.nextSteps.length).toBeLessThanOrEqual(6);
      expect(m.content.keywords.length).toBeLessThanOrEqual(5);
      expect(m.metadata.summary.length).toBeLessThanOrEqual(150);
      expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThan(256 * 1024);
    }
  });
});
