import { describe, expect, it } from 'vitest';
import { chatbotChannel } from '../../src/channels/chatbot.js';
import { emailChannel } from '../../src/channels/email.js';
import { notificationFor } from '../../src/monitor/incident-messages.js';
import { nothingOpen, ordersOf, positionsOf, type ExposureSnapshot } from '../../src/monitor/exposure.js';
import type { IncidentEvent } from '../../src/monitor/incident-rules.js';
import { SANDBOX_POSITIONS } from '../../src/sandbox/portfolio.js';
import { CASES } from './support/cases.js';
import { limitProblems, telegramHtmlProblems, visibleStrings } from './support/inspect.js';
import { NOW_MS } from './support/notifications.js';

/**
 * The exposure line as every channel shows it: built by the real message pipeline from a snapshot
 * whose exchange-given text carries markup, rendered by each of the six channels.
 */
const AT = NOW_MS - 20 * 60_000;
const hostileOrders = {
  data: [
    {
      client_oid: '<b>bot</b>*1*_x_`y`@everyone',
      side: 'SELL',
      instrument_name: 'BTC_USD<script>',
      quantity: '0.5',
      limit_price: '97000',
      order_value: '48500',
    },
    { client_oid: 'bot-2', side: 'BUY', instrument_name: 'ETH_USD', quantity: '2', limit_price: '3100', order_value: '6200' },
    ...Array.from({ length: 40 }, (_, i) => ({ client_oid: `bot-${i + 3}`, side: 'BUY', instrument_name: 'CRO_USD', quantity: '10', limit_price: '0.1' })),
  ],
};
const snapshot: ExposureSnapshot = { at: AT, sig: 'x', orders: ordersOf(hostileOrders)!, positions: positionsOf(SANDBOX_POSITIONS) };

function alert(kind: 'opened' | 'reminder', exposure: ExposureSnapshot | undefined) {
  const incident = {
    id: 'key:trading:1',
    openedAt: AT,
    since: AT,
    diagnosis: 'AUTH_FAILED' as const,
    transitions: 1,
    lastNotifiedAt: AT,
    failedRuns: 2,
    duringMaintenance: false,
  };
  const run = {
    key: 'trading',
    keyPrefix: 'sbxA',
    diagnosis: 'AUTH_FAILED' as const,
    code: 40101,
    httpStatus: 401,
    egressIp: '203.0.113.7',
    advice: 'Create a new key.',
    facts: [],
    keyAgeDays: null,
    verified: [],
  };
  const event = { kind, scope: { type: 'key', key: 'trading' }, incident, run } as unknown as IncidentEvent;
  return notificationFor(event, NOW_MS, { source: 'ekm-prod', expectedIps: ['203.0.113.7'], links: () => [], exposure: () => exposure });
}

describe('the exposure line on every channel', () => {
  const opened = alert('opened', snapshot);

  it('is a fact of the alert, listing the largest orders, counting the rest, and saying what it means', () => {
    const value = opened.summary.split('\n\nOpen on the account: ')[1] ?? '';
    expect(value).toMatch(/^42 open orders \(BTC_USD<script> SELL 0\.5 @ 97,000 \[<b>bot<\/b>\*1\*_x_`y`@everyone\]; ETH_USD BUY 2 @ 3,100 \[bot-2\]; /);
    expect(value).toContain('and 39 more, $6,240.00 to buy, $48,500.00 to sell), 1 position BTCUSD-PERP −0.1984');
    expect(value).toContain('The bot cannot amend or cancel them with this key');
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s: shown escaped, within the service’s limits', (name, c) => {
    const body = c.make('https://hooks.example.invalid').build(opened, NOW_MS).body;
    expect(limitProblems(name, body)).toEqual([]);
    const shown = visibleStrings(JSON.parse(body)).join('\n');
    expect(shown).toContain('42 open orders');
    expect(shown).toContain('cannot amend or cancel');
    if (name === 'telegram') expect(telegramHtmlProblems(JSON.parse(body).text)).toEqual([]);
    // Teams renders no HTML (a Markdown subset only), and the webhook's data is data.
    if (name !== 'webhook' && name !== 'teams') expect(shown).not.toContain('<script>');
    if (name !== 'webhook') {
      expect(shown).not.toMatch(/(^|[^\u200b])@everyone/);
    }
  });

  it('email and Amazon Q carry it too', () => {
    const mail = emailChannel({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:ekm-alerts' }).build(opened);
    expect(JSON.stringify(mail)).toContain('42 open orders');
    const q = chatbotChannel({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:ekm-chatbot' }).build(opened);
    expect(JSON.stringify(q)).toContain('42 open orders');
  });

  it('says "nothing open" and "not known" too, and only for a verdict that stops trading', () => {
    expect(alert('reminder', nothingOpen(AT)).summary).toMatch(/\n\nOpen on the account: Nothing open as of 10:40 UTC\.$/);
    expect(alert('opened', undefined).summary).toMatch(/\n\nOpen on the account: What is open on the account is not known/);
  });
});
