/** A demo account in the v1 private/user-balance shape: 18 balances, 17 with a market value. */
export const SANDBOX_PORTFOLIO = {
  data: [
    {
      total_available_balance: '18588.54',
      total_margin_balance: '18588.54',
      total_initial_margin: '0.00',
      total_maintenance_margin: '0.00',
      total_position_cost: '0.00',
      total_cash_balance: '18588.54',
      total_collateral_value: '16729.69',
      total_session_unrealized_pnl: '0.00',
      instrument_name: 'USD',
      total_session_realized_pnl: '0.00',
      is_liquidating: false,
      total_effective_leverage: '0',
      position_limit: '3000000.00',
      used_position_limit: '0.00',
      position_balances: [
        {
          instrument_name: 'USD',
          quantity: '1.00000000',
          market_value: '1520.40',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '1520.40',
          max_withdrawal_balance: '1.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'CRO',
          quantity: '24422.72427884',
          market_value: '4776.11',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '4776.11',
          max_withdrawal_balance: '24422.72427884',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'BTC',
          quantity: '0.04120000',
          market_value: '4013.72',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '4013.72',
          max_withdrawal_balance: '0.04120000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'ETH',
          quantity: '0.88000000',
          market_value: '3104.55',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '3104.55',
          max_withdrawal_balance: '0.88000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'SOL',
          quantity: '6.20000000',
          market_value: '1121.80',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '1121.80',
          max_withdrawal_balance: '6.20000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'USDT',
          quantity: '350.00000000',
          market_value: '349.96',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '349.96',
          max_withdrawal_balance: '350.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'USDC',
          quantity: '210.00000000',
          market_value: '210.00',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '210.00',
          max_withdrawal_balance: '210.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'XRP',
          quantity: '400.00000000',
          market_value: '972.00',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '972.00',
          max_withdrawal_balance: '400.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'ADA',
          quantity: '900.00000000',
          market_value: '612.00',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '612.00',
          max_withdrawal_balance: '900.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'DOGE',
          quantity: '1500.00000000',
          market_value: '540.00',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '540.00',
          max_withdrawal_balance: '1500.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'DOT',
          quantity: '30.00000000',
          market_value: '210.30',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '210.30',
          max_withdrawal_balance: '30.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'LINK',
          quantity: '12.00000000',
          market_value: '276.00',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '276.00',
          max_withdrawal_balance: '12.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'AVAX',
          quantity: '8.00000000',
          market_value: '288.80',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '288.80',
          max_withdrawal_balance: '8.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'ATOM',
          quantity: '20.00000000',
          market_value: '150.40',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '150.40',
          max_withdrawal_balance: '20.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'LTC',
          quantity: '2.00000000',
          market_value: '190.00',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '190.00',
          max_withdrawal_balance: '2.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'MATIC',
          quantity: '300.00000000',
          market_value: '135.00',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '135.00',
          max_withdrawal_balance: '300.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'NEAR',
          quantity: '25.00000000',
          market_value: '117.50',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '117.50',
          max_withdrawal_balance: '25.00000000',
          reserved_qty: '0.00000000',
        },
        {
          instrument_name: 'DUST',
          quantity: '0.00000001',
          market_value: '0',
          collateral_eligible: true,
          haircut: '0.1',
          collateral_amount: '0',
          max_withdrawal_balance: '0.00000001',
          reserved_qty: '0.00000000',
        },
      ],
    },
  ],
} as const;

/**
 * The same account with a bot's work open on it: a resting sell of BTC, a resting buy of ETH (their
 * funds reserved) and a short perpetual position holding margin.
 */
export const SANDBOX_EXPOSED_PORTFOLIO = {
  data: [
    {
      ...SANDBOX_PORTFOLIO.data[0],
      total_initial_margin: '1515.96',
      total_position_im: '1015.96',
      total_position_cost: '10159.57',
      total_session_unrealized_pnl: '-497.74',
      position_balances: SANDBOX_PORTFOLIO.data[0].position_balances.map((b) =>
        b.instrument_name === 'BTC' ? { ...b, reserved_qty: '0.04000000' } : b.instrument_name === 'USD' ? { ...b, reserved_qty: '1.00000000' } : b,
      ),
    },
  ],
};

/** private/get-open-orders for SANDBOX_EXPOSED_PORTFOLIO: the two orders its reserved funds are for. */
export const SANDBOX_OPEN_ORDERS = {
  data: [
    {
      order_id: '6530219599901478341',
      client_oid: 'bot-7f3a-sell-btc',
      status: 'ACTIVE',
      side: 'SELL',
      order_type: 'LIMIT',
      instrument_name: 'BTC_USD',
      quantity: '0.04',
      limit_price: '97000',
      order_value: '3880',
      cumulative_quantity: '0',
      create_time: 1764900000000,
      update_time: 1764900000000,
    },
    {
      order_id: '6530219599901478342',
      client_oid: 'bot-7f3a-buy-eth',
      status: 'ACTIVE',
      side: 'BUY',
      order_type: 'LIMIT',
      instrument_name: 'ETH_USD',
      quantity: '2',
      limit_price: '3100',
      order_value: '6200',
      cumulative_quantity: '0',
      create_time: 1764900060000,
      update_time: 1764900060000,
    },
  ],
};

/** private/get-positions for SANDBOX_EXPOSED_PORTFOLIO. */
export const SANDBOX_POSITIONS = {
  data: [
    {
      account_id: 'a7c1e6f0-0000-4000-8000-000000000001',
      instrument_name: 'BTCUSD-PERP',
      type: 'PERPETUAL_SWAP',
      quantity: '-0.1984',
      cost: '10159.57',
      open_position_pnl: '-497.74',
      open_pos_cost: '10159.57',
      session_pnl: '-12.30',
      update_timestamp_ms: 1764900120000,
    },
  ],
};

/** SANDBOX_PORTFOLIO with every quantity and every price scaled: money leaving, or a market moving. */
function scaledPortfolio(quantityFactor: number, priceFactor: number) {
  const [account] = SANDBOX_PORTFOLIO.data;
  return {
    data: [
      {
        ...account,
        position_balances: account.position_balances.map((b) => ({
          ...b,
          quantity: (Number(b.quantity) * quantityFactor).toFixed(8),
          market_value: (Number(b.market_value) * quantityFactor * priceFactor).toFixed(2),
          max_withdrawal_balance: (Number(b.max_withdrawal_balance) * quantityFactor).toFixed(8),
        })),
      },
    ],
  };
}

/** private/get-open-orders with the bot's two orders and one it did not place (no "bot-7f3a-" client_oid). */
export const SANDBOX_FOREIGN_ORDERS = {
  data: [
    ...SANDBOX_OPEN_ORDERS.data,
    {
      order_id: '6530219599901478399',
      client_oid: 'x-web-1764900300',
      status: 'ACTIVE',
      side: 'SELL',
      order_type: 'LIMIT',
      instrument_name: 'CRO_USD',
      quantity: '24000',
      limit_price: '0.05',
      order_value: '1200',
      cumulative_quantity: '0',
      create_time: 1764900300000,
      update_time: 1764900300000,
    },
  ],
};

/** SANDBOX_EXPOSED_PORTFOLIO with the CRO the foreign sell order reserves. */
const SANDBOX_FOREIGN_PORTFOLIO = {
  data: [
    {
      ...SANDBOX_EXPOSED_PORTFOLIO.data[0],
      position_balances: SANDBOX_EXPOSED_PORTFOLIO.data[0]!.position_balances.map((b) =>
        b.instrument_name === 'CRO' ? { ...b, reserved_qty: '24000.00000000' } : b,
      ),
    },
  ],
};

/** What private/user-balance answers for a behaviour (by name: the behaviour list lives with the server). */
export function balanceFor(behaviour: string) {
  if (behaviour === 'open-exposure') return SANDBOX_EXPOSED_PORTFOLIO;
  if (behaviour === 'foreign-orders') return SANDBOX_FOREIGN_PORTFOLIO;
  if (behaviour === 'funds-dropped') return scaledPortfolio(0.6, 1);
  if (behaviour === 'prices-halved') return scaledPortfolio(1, 0.5);
  return SANDBOX_PORTFOLIO;
}
