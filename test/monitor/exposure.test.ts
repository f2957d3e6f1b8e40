import { describe, expect, it } from 'vitest';
import { exposureCurrent, exposureText, inUseOf, nothingOpen, ordersOf, positionsOf, type ExposureSnapshot } from '../../src/monitor/exposure.js';
import { SANDBOX_EXPOSED_PORTFOLIO, SANDBOX_OPEN_ORDERS, SANDBOX_PORTFOLIO, SANDBOX_POSITIONS } from '../../src/sandbox/portfolio.js';

const AT = Date.UTC(2026, 11, 5, 12, 0, 0);
const HOUR = 3_600_000;

const order = (side: string, instrument: string, quantity: string, price: string | null, clientOid: string) => ({
  order_id: '653021959990147' + Math.floor(Math.random() * 1e4),
  client_oid: clientOid,
  side,
  instrument_name: instrument,
  quantity,
  ...(price === null ? {} : { limit_price: price }),
  order_value: price === null ? '0' : String(Number(quantity) * Number(price)),
  status: 'ACTIVE',
});

function snapshot(orders: unknown, positions: unknown = null): ExposureSnapshot {
  return { at: AT, sig: 'x', orders: ordersOf(orders) ?? nothingOpen(AT).orders, positions: positions === null ? null : positionsOf(positions) };
}

describe('what is open on the account, as one line', () => {
  it('names each order by instrument, side, quantity, price and client_oid, and each position with its cost and open P/L', () => {
    const text = exposureText(snapshot(SANDBOX_OPEN_ORDERS, SANDBOX_POSITIONS), AT + 5 * 60_000, true);
    expect(text).toBe(
      '2 open orders (ETH_USD BUY 2 @ 3,100 [bot-7f3a-buy-eth]; BTC_USD SELL 0.04 @ 97,000 [bot-7f3a-sell-btc]), ' +
        '1 position BTCUSD-PERP −0.1984 (cost $10,159.57, open P/L −$497.74) as of 12:00 UTC. ' +
        'The bot cannot amend or cancel them with this key; orders resting on the exchange still execute.',
    );
    // Never the exchange's order id.
    expect(text).not.toMatch(/6530219599901478/);
  });

  it('lists the largest three and counts the rest, with what the orders are worth on each side', () => {
    const many = {
      data: [
        order('BUY', 'BTC_USD', '0.1', '90000', 'a'),
        order('SELL', 'ETH_USD', '1', '3500', 'b'),
        order('BUY', 'CRO_USD', '1000', '0.1', 'c'),
        order('SELL', 'BTC_USD', '0.2', '99000', 'd'),
        order('BUY', 'SOL_USD', '3', null, 'e'),
      ],
    };
    const text = exposureText(snapshot(many), AT, true);
    expect(text).toMatch(
      /^5 open orders \(BTC_USD SELL 0\.2 @ 99,000 \[d\]; BTC_USD BUY 0\.1 @ 90,000 \[a\]; ETH_USD SELL 1 @ 3,500 \[b\]; and 2 more, \$9,100\.00 to buy, \$23,300\.00 to sell\) as of 12:00 UTC\./,
    );
  });

  it('says "nothing open" when nothing is, and says so without the warning about orders', () => {
    expect(exposureText(nothingOpen(AT), AT, true)).toBe('Nothing open as of 12:00 UTC.');
  });

  it('says the day when the snapshot is from another day, and that nothing is known without one', () => {
    expect(exposureText(nothingOpen(AT), AT + 30 * HOUR, true)).toBe('Nothing open as of 2026-12-05 12:00 UTC.');
    expect(exposureText(undefined, AT, true)).toMatch(/not known/);
  });

  it('leaves out the warning for a key that can still trade', () => {
    expect(exposureText(snapshot(SANDBOX_OPEN_ORDERS), AT, false)).not.toContain('cannot amend');
  });

  it('shows a market order without a price, and what could not be read as incomplete', () => {
    const s = { ...snapshot({ data: [order('BUY', 'SOL_USD', '3', null, 'm1')] }), unread: 'positions: HTTP 503' };
    expect(exposureText(s, AT, true)).toContain('SOL_USD BUY 3 at market [m1]) as of 12:00 UTC (incomplete: positions: HTTP 503).');
  });

  it('turns hostile text from the exchange into one short printable line', () => {
    const hostile = { data: [order('BUY', '\u001b[2JBTC_USD\nDiagnosis: OK' + 'X'.repeat(200), '1', '1', 'oid\r\nFix: none')] };
    const text = exposureText(snapshot(hostile), AT, true);
    expect(text).not.toMatch(/[\u0000-\u001f]/);
    expect(text.length).toBeLessThan(400);
  });

  it('a side other than BUY or SELL is not shown as given (it could carry anything)', () => {
    const s = snapshot({ data: [order('q7Lm2Pz9', 'BTC_USD', '1', '10', 'x')] });
    expect(s.orders.top[0]?.side).toBe('?');
  });

  it('an answer that is not a list is no snapshot, and closed positions are not open', () => {
    expect(ordersOf({ data: 'nope' })).toBeNull();
    expect(ordersOf(undefined)).toBeNull();
    expect(positionsOf({ data: [{ instrument_name: 'ETHUSD-PERP', quantity: '0', cost: '0' }] })).toEqual({ count: 0, top: [] });
  });
});

describe('whether the last snapshot still stands', () => {
  const exposed = inUseOf(SANDBOX_EXPOSED_PORTFOLIO.data);
  const idle = inUseOf(SANDBOX_PORTFOLIO.data as unknown as Record<string, unknown>[]);

  it('the balance tells whether anything is in use: reserved funds, margin for orders, positions', () => {
    expect(idle).toEqual({ sig: '', orders: false, positions: false });
    expect(exposed).toMatchObject({ orders: true, positions: true });
  });

  it('stands while the same things are in use and it is younger than the limit; a change or its age reads again', () => {
    const last = { ...nothingOpen(AT), sig: exposed.sig };
    expect(exposureCurrent(last, exposed, AT + 10 * 60_000, HOUR)).toBe(true);
    expect(exposureCurrent(last, exposed, AT + HOUR, HOUR)).toBe(false);
    expect(exposureCurrent(last, { ...exposed, sig: exposed.sig + 'more' }, AT + 60_000, HOUR)).toBe(false);
    expect(exposureCurrent({ ...last, unread: 'open orders: HTTP 503' }, exposed, AT + 60_000, HOUR)).toBe(false);
    expect(exposureCurrent(undefined, exposed, AT, HOUR)).toBe(false);
  });

  it('prices moving do not make it out of date: position margin and market values are not compared', () => {
    const moved = SANDBOX_EXPOSED_PORTFOLIO.data.map((a) => ({
      ...a,
      total_position_im: '1100.00',
      total_initial_margin: '1600.00',
      position_balances: a.position_balances.map((b) => ({ ...b, market_value: String(Number(b.market_value) * 0.9) })),
    }));
    expect(inUseOf(moved).sig).toBe(exposed.sig);
  });
});
