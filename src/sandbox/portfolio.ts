/** A demo account in the v1 private/user-balance shape: 18 balances, 17 with a market value. */
export const SANDBOX_PORTFOLIO = {
  "data": [
    {
      "total_available_balance": "18588.54",
      "total_margin_balance": "18588.54",
      "total_initial_margin": "0.00",
      "total_maintenance_margin": "0.00",
      "total_position_cost": "0.00",
      "total_cash_balance": "18588.54",
      "total_collateral_value": "16729.69",
      "total_session_unrealized_pnl": "0.00",
      "instrument_name": "USD",
      "total_session_realized_pnl": "0.00",
      "is_liquidating": false,
      "total_effective_leverage": "0",
      "position_limit": "3000000.00",
      "used_position_limit": "0.00",
      "position_balances": [
        {
          "instrument_name": "USD",
          "quantity": "1.00000000",
          "market_value": "1520.40",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "1520.40",
          "max_withdrawal_balance": "1.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "CRO",
          "quantity": "24422.72427884",
          "market_value": "4776.11",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "4776.11",
          "max_withdrawal_balance": "24422.72427884",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "BTC",
          "quantity": "0.04120000",
          "market_value": "4013.72",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "4013.72",
          "max_withdrawal_balance": "0.04120000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "ETH",
          "quantity": "0.88000000",
          "market_value": "3104.55",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "3104.55",
          "max_withdrawal_balance": "0.88000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "SOL",
          "quantity": "6.20000000",
          "market_value": "1121.80",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "1121.80",
          "max_withdrawal_balance": "6.20000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "USDT",
          "quantity": "350.00000000",
          "market_value": "349.96",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "349.96",
          "max_withdrawal_balance": "350.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "USDC",
          "quantity": "210.00000000",
          "market_value": "210.00",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "210.00",
          "max_withdrawal_balance": "210.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "XRP",
          "quantity": "400.00000000",
          "market_value": "972.00",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "972.00",
          "max_withdrawal_balance": "400.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "ADA",
          "quantity": "900.00000000",
          "market_value": "612.00",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "612.00",
          "max_withdrawal_balance": "900.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "DOGE",
          "quantity": "1500.00000000",
          "market_value": "540.00",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "540.00",
          "max_withdrawal_balance": "1500.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "DOT",
          "quantity": "30.00000000",
          "market_value": "210.30",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "210.30",
          "max_withdrawal_balance": "30.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "LINK",
          "quantity": "12.00000000",
          "market_value": "276.00",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "276.00",
          "max_withdrawal_balance": "12.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "AVAX",
          "quantity": "8.00000000",
          "market_value": "288.80",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "288.80",
          "max_withdrawal_balance": "8.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "ATOM",
          "quantity": "20.00000000",
          "market_value": "150.40",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "150.40",
          "max_withdrawal_balance": "20.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "LTC",
          "quantity": "2.00000000",
          "market_value": "190.00",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "190.00",
          "max_withdrawal_balance": "2.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "MATIC",
          "quantity": "300.00000000",
          "market_value": "135.00",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "135.00",
          "max_withdrawal_balance": "300.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "NEAR",
          "quantity": "25.00000000",
          "market_value": "117.50",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "117.50",
          "max_withdrawal_balance": "25.00000000",
          "reserved_qty": "0.00000000"
        },
        {
          "instrument_name": "DUST",
          "quantity": "0.00000001",
          "market_value": "0",
          "collateral_eligible": true,
          "haircut": "0.1",
          "collateral_amount": "0",
          "max_withdrawal_balance": "0.00000001",
          "reserved_qty": "0.00000000"
        }
      ]
    }
  ]
} as const;
