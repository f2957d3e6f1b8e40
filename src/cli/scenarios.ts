import type { Behaviour, IpEchoMode } from '../sandbox/exchange.js';
import type { Diagnosis } from '../monitor/types.js';
import type { SecurityDiagnosis } from '../monitor/security-findings.js';

/** One sandbox demo per diagnosis: `key-monitor check --sandbox <name>` shows what it looks like. */
export interface Scenario {
  readonly behaviour: Behaviour;
  readonly expect: Diagnosis;
  readonly credentials?: 'none' | 'padded';
  readonly readOnly?: boolean;
  readonly expectedIp?: string;
  readonly timeoutMs?: number;
  /** Point the base URL at a path the sandbox does not serve (a mistyped base URL). */
  readonly wrongPath?: boolean;
  readonly expectMaster?: boolean;
  readonly expectDerivatives?: boolean;
  /** What the sandbox's IP echo answers instead of the egress IP. */
  readonly ipEcho?: IpEchoMode;
  /** The security watch's demo: what the previous check saw (the sandbox's full portfolio), the bot's client_oid prefix, and the finding it shows (null: none). */
  readonly security?: { readonly lastBalance?: 'healthy'; readonly botClientOidPrefix?: string; readonly finding: SecurityDiagnosis | null };
}

export const SCENARIOS = {
  healthy: { behaviour: 'healthy', expect: 'OK' },
  'credentials-missing': { behaviour: 'healthy', expect: 'CREDENTIALS_MISSING', credentials: 'none' },
  'credentials-malformed': { behaviour: 'healthy', expect: 'CREDENTIALS_MALFORMED', credentials: 'padded' },
  'auth-failed': { behaviour: 'bad-secret', expect: 'AUTH_FAILED' },
  'ip-not-whitelisted': { behaviour: 'ip-not-whitelisted', expect: 'IP_NOT_WHITELISTED' },
  'trade-permission-missing': { behaviour: 'read-only', expect: 'TRADE_PERMISSION_MISSING' },
  'trade-permission-unexpected': { behaviour: 'healthy', expect: 'TRADE_PERMISSION_UNEXPECTED', readOnly: true },
  'nonce-rejected': { behaviour: 'clock-skew', expect: 'NONCE_REJECTED' },
  'egress-ip-mismatch': { behaviour: 'healthy', expect: 'EGRESS_IP_MISMATCH', expectedIp: '198.51.100.23' },
  'rate-limited': { behaviour: 'rate-limited', expect: 'RATE_LIMITED' },
  'exchange-unavailable': { behaviour: 'unavailable', expect: 'EXCHANGE_UNAVAILABLE' },
  slow: { behaviour: 'slow', expect: 'EXCHANGE_UNAVAILABLE', timeoutMs: 400 },
  'unexpected-response': { behaviour: 'unexpected', expect: 'UNEXPECTED_RESPONSE' },
  'exchange-url-invalid': { behaviour: 'healthy', expect: 'EXCHANGE_URL_INVALID', wrongPath: true },
  'withdraw-enabled': { behaviour: 'withdraw-enabled', expect: 'WITHDRAW_PERMISSION_UNEXPECTED' },
  'withdraw-disabled': { behaviour: 'healthy', expect: 'OK' },
  'sub-account': { behaviour: 'sub-account', expect: 'SUB_ACCOUNT_KEY', expectMaster: true },
  'account-suspended': { behaviour: 'account-suspended', expect: 'ACCOUNT_SUSPENDED' },
  'not-tradable': { behaviour: 'not-tradable', expect: 'ACCOUNT_NOT_TRADABLE' },
  'api-disabled': { behaviour: 'api-disabled', expect: 'API_DISABLED' },
  'no-derivatives': { behaviour: 'no-derivatives', expect: 'DERIVATIVES_ACCESS_MISSING', expectDerivatives: true },
  // Answers that prove nothing: never a plain OK.
  'egress-not-verified': { behaviour: 'healthy', expect: 'EGRESS_NOT_VERIFIED', ipEcho: 'garbage' },
  'withdraw-not-determined': { behaviour: 'withdraw-probe-unavailable', expect: 'OK' },
  'accounts-unavailable': { behaviour: 'accounts-unavailable', expect: 'EXCHANGE_UNAVAILABLE', expectMaster: true },
  'account-flags-missing': { behaviour: 'accounts-without-flags', expect: 'UNEXPECTED_RESPONSE', expectDerivatives: true },
  // What is at risk: a healthy key whose account has open orders and a position; the check lists them.
  'open-orders': { behaviour: 'open-exposure', expect: 'OK' },
  // The security watch: the key is healthy; what happened on the account is a finding beside the verdict.
  'funds-dropped': { behaviour: 'funds-dropped', expect: 'OK', security: { lastBalance: 'healthy', finding: 'FUNDS_DROPPED' } },
  'prices-halved': { behaviour: 'prices-halved', expect: 'OK', security: { lastBalance: 'healthy', finding: null } },
  'foreign-orders': { behaviour: 'foreign-orders', expect: 'OK', security: { botClientOidPrefix: 'bot-7f3a-', finding: 'FOREIGN_ORDERS' } },
  'withdrawal-made': { behaviour: 'withdrawal-made', expect: 'OK', security: { finding: 'WITHDRAWAL_DETECTED' } },
  'withdrawal-history-refused': { behaviour: 'withdrawal-history-refused', expect: 'OK', security: { finding: 'WITHDRAWAL_WATCH_NOT_DETERMINED' } },
} as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];
export const isScenarioName = (s: string): s is ScenarioName => Object.hasOwn(SCENARIOS, s);
