/**
 * The diagnosis table: every fault the monitor can name, with what decides it (codes, statuses,
 * precedence), how incidents treat it, and the runbook text its alerts carry. The logic that reads
 * it is diagnosis.ts.
 */
import type { CheckName, CheckSite, Diagnosis, SecretFault } from './types.js';

/** What the advice text may mention. Everything here is safe to show. */
export interface AdviceContext {
  /** The observed egress IP (or, in CloudFormation, a token that resolves to it). */
  readonly egressIp: string | null;
  readonly expectedIps: readonly string[];
  readonly keyPrefix: string | null;
  /** The first failing check's name and detail. */
  readonly detail: string;
  readonly site: CheckSite;
  readonly secretFault?: SecretFault | undefined;
}

export interface DiagnosisSpec {
  /** Lower wins when several checks fail: the most fundamental fault is the one to fix first. */
  readonly precedence: number;
  /**
   * The check whose conclusive pass proves this fault gone. An incident about it resolves only on a
   * run where that check passed: an OK run whose proving check proved nothing (a 503, a timeout, an
   * answer without the flags) is "could not re-check", not "resolved".
   */
  readonly provenBy: CheckName | null;
  /** Exchange reason codes (v1 and legacy v2) that mean this class, whatever the HTTP status. */
  readonly codes: readonly number[];
  /** HTTP statuses that mean this class when the body carries no reason code. */
  readonly httpStatuses: readonly number[];
  /**
   * Clears on its own (throttling, outages): worth a retry inside a run, and an incident only when
   * it persists. The others are verdicts about the key or the setup: alert at once, never retry.
   */
  readonly transient: boolean;
  /**
   * Not about one key: when every key fails for it, that is one root cause (one monitor-level
   * incident), not one incident per key.
   */
  readonly sharedCause: boolean;
  /**
   * Could announced exchange maintenance explain it? Such incidents are held during an announced
   * window (a credential or a routing fault cannot be caused by the exchange's maintenance).
   */
  readonly maintenanceMayCause: boolean;
  /** critical: a verdict someone must act on; warning: degraded, likely to clear. */
  /**
   * The bot cannot place, amend or cancel orders with the key while this holds: alerts about it say
   * what was open on the account as of the last good check (exposure.ts).
   */
  readonly stopsTrading: boolean;
  readonly severity: 'critical' | 'warning';
  readonly title: string;
  /** The fix in a few words, for the lock-screen subject line after the title. */
  readonly headline: (ctx: HeadlineContext) => string;
  readonly advice: (ctx: AdviceContext) => string;
}

/** What a subject line may say about a run: all safe to show. */
export interface HeadlineContext {
  readonly egressIp: string | null;
  readonly expectedIps: readonly string[];
  readonly code: number | null;
}

const key = (ctx: AdviceContext) => (ctx.keyPrefix ? `key ${ctx.keyPrefix}…` : 'the key');
const ip = (ctx: AdviceContext) =>
  ctx.egressIp ?? (ctx.expectedIps.length > 0 ? ctx.expectedIps.join(' and ') : 'this machine’s outbound IP (it could not be determined)');
const onAws = (ctx: AdviceContext, aws: string, local: string) => (ctx.site === 'aws' ? aws : local);

const SECRET_FIX: Readonly<Record<SecretFault, (ctx: AdviceContext) => string>> = {
  'not-found': (ctx) =>
    onAws(
      ctx,
      'Create the secret, or fix the key’s secretName/secretArn in the stack configuration and redeploy.',
      'Check the secret id and the region (AWS_REGION); `aws secretsmanager describe-secret --secret-id <id>` tells whether it exists.',
    ),
  'access-denied': (ctx) =>
    onAws(
      ctx,
      'The check function may not read this secret: it must be one of the configured keys (its IAM policy lists them), ' +
        'or, with more than 50 keys, carry the tag exchange-key-monitor=<stack name>. Redeploy after changing the key list.',
      'Your AWS identity may not read this secret: grant secretsmanager:GetSecretValue on it, or use a profile that has it (AWS_PROFILE).',
    ),
  'kms-denied': () => 'The secret is encrypted with a customer-managed KMS key: grant kms:Decrypt on that key to the reader (README → Configure).',
  'no-region': () => 'Set AWS_REGION (or a default region in your AWS profile) to the region that holds the secret.',
  'no-aws-credentials': () => 'No AWS credentials were found: run `aws configure` or `aws sso login`, or set AWS_PROFILE.',
  throttled: (ctx) =>
    onAws(
      ctx,
      'Secrets Manager throttled the read; it usually clears by the next run. Nothing to fix on the key.',
      'Secrets Manager throttled the read; try again in a minute.',
    ),
  unreachable: (ctx) =>
    onAws(
      ctx,
      'Secrets Manager could not be reached from the function’s subnets: check the route to the NAT (or a Secrets Manager VPC endpoint).',
      'Secrets Manager could not be reached: check your network or proxy settings.',
    ),
  timeout: (ctx) =>
    onAws(
      ctx,
      'Secrets Manager did not answer in time; the other keys were checked. It usually clears by the next run.',
      'Secrets Manager did not answer in time: check your network and try again.',
    ),
  'service-error': () => 'Secrets Manager returned an error; it usually clears on its own. Nothing to fix on the key.',
};

/** The fields most entries share: a verdict about one key, from no code or status of its own, that calls for action. */
const DEFAULTS = {
  codes: [],
  httpStatuses: [],
  transient: false,
  sharedCause: false,
  maintenanceMayCause: false,
  stopsTrading: false,
  severity: 'critical',
} as const satisfies Partial<DiagnosisSpec>;

type DiagnosisEntry = Omit<DiagnosisSpec, keyof typeof DEFAULTS> & Partial<Pick<DiagnosisSpec, keyof typeof DEFAULTS>>;

/** One table entry: what it states, over the defaults. */
const entry = (spec: DiagnosisEntry): DiagnosisSpec => ({ ...DEFAULTS, ...spec });

/**
 * The one table that drives classification, precedence, incident policy and the runbook text.
 * Codes are the Exchange API's v1 response codes; legacy v2 codes still appear on some accounts.
 */
export const DIAGNOSIS_TABLE: Readonly<Record<Diagnosis, DiagnosisSpec>> = {
  OK: entry({
    precedence: 1000,
    provenBy: null,
    codes: [0],
    severity: 'warning',
    headline: () => 'healthy',
    title: 'Key is healthy',
    advice: () => 'Nothing to do.',
  }),
  CREDENTIALS_MISSING: entry({
    precedence: 10,
    provenBy: 'credentials',
    headline: () => 'put the key into its secret',
    title: 'No API key or secret',
    advice: (ctx) =>
      `${ctx.detail}. ` +
      onAws(
        ctx,
        'Write {"apiKey":"…","apiSecret":"…"} into the key’s secret with ' +
          '`aws secretsmanager put-secret-value --secret-id <secret> --secret-string file://key.json`.',
        'Set EXCHANGE_API_KEY and EXCHANGE_API_SECRET, or pass --secret-id; to see the monitor work without a key, run `key-monitor check --sandbox`.',
      ),
  }),
  SECRET_NOT_READABLE: entry({
    precedence: 20,
    provenBy: 'credentials',
    headline: () => 'the monitor cannot read the key’s secret',
    title: 'The key’s secret cannot be read',
    advice: (ctx) => `${ctx.detail}. ${SECRET_FIX[ctx.secretFault ?? 'access-denied'](ctx)} The exchange key itself was not checked.`,
  }),
  SECRET_STORE_UNAVAILABLE: entry({
    precedence: 30,
    provenBy: 'credentials',
    transient: true,
    sharedCause: true,
    severity: 'warning',
    headline: () => 'Secrets Manager did not answer; the key was not checked',
    title: 'Secrets Manager unavailable',
    advice: (ctx) => `${ctx.detail}. ${SECRET_FIX[ctx.secretFault ?? 'service-error'](ctx)} The exchange key itself was not checked.`,
  }),
  CREDENTIALS_MALFORMED: entry({
    precedence: 40,
    provenBy: 'credentials',
    headline: () => 'copy the key and secret again',
    title: 'API key or secret is malformed',
    advice: (ctx) =>
      `${ctx.detail}. Copy the key and secret again from Crypto.com Exchange → Settings → API Keys, ` +
      'without surrounding spaces, newlines, quotes or invisible characters, and store them again as {"apiKey":"…","apiSecret":"…"}.',
  }),
  EXCHANGE_URL_INVALID: entry({
    precedence: 50,
    provenBy: 'signed-read',
    sharedCause: true,
    headline: () => 'fix the exchange base URL',
    title: 'The base URL does not answer like the exchange API',
    advice: (ctx) =>
      `${ctx.detail}. The configured exchange base URL answered with something other than the Crypto.com Exchange API ` +
      '(a web page, a redirect or "not found"). Use https://api.crypto.com/exchange/v1 (production) or ' +
      `https://uat-api.3ona.co/exchange/v1 (UAT)${onAws(ctx, ' in the stack’s exchangeBaseUrl and redeploy', ' with --base-url')}. The key was not judged.`,
  }),
  EXCHANGE_HOST_UNKNOWN: entry({
    precedence: 51,
    provenBy: 'signed-read',
    sharedCause: true,
    headline: () => 'the exchange host name does not resolve',
    title: 'The exchange host name does not resolve',
    advice: (ctx) =>
      `${ctx.detail}. Check the host name in ${onAws(ctx, 'the stack’s exchangeBaseUrl', '--base-url (or EXCHANGE_BASE_URL)')} ` +
      `for a typo, and DNS${onAws(ctx, ' (a private hosted zone or resolver rule in the VPC that shadows the name)', ' (a VPN, hosts file or resolver that shadows the name)')}. ` +
      'The key was not judged.',
  }),
  PROXY_UNREACHABLE: entry({
    precedence: 52,
    provenBy: 'signed-read',
    transient: true,
    sharedCause: true,
    title: 'The forward proxy cannot be reached',
    headline: () => 'the proxy on the whitelisted host is down or unreachable',
    advice: (ctx) =>
      `${ctx.detail}. Checks (and, if your bot uses the same proxy, its orders) leave through the forward proxy on the whitelisted host, ` +
      'and it did not accept a connection: check that it runs and listens on the configured host and port' +
      onAws(ctx, ', and that the monitor can reach it.', ' (--proxy, HTTPS_PROXY or CRYPTO_PROXY_URL).') +
      ' The exchange key itself was not checked.',
  }),
  PROXY_AUTH_FAILED: entry({
    precedence: 53,
    provenBy: 'signed-read',
    sharedCause: true,
    title: 'The forward proxy refused authentication (407)',
    headline: () => 'fix the proxy token',
    advice: (ctx) =>
      'The forward proxy answered 407 Proxy Authentication Required: the token it expects was missing or wrong. ' +
      onAws(
        ctx,
        'Put the right token in the proxy token secret (proxyTokenSecretName); it is sent as Proxy-Authorization, and read again on the next run.',
        'Set KEY_MONITOR_PROXY_TOKEN (or CRYPTO_PROXY_TOKEN) to the token; it is sent as Proxy-Authorization, never on the command line.',
      ) +
      ' The exchange key itself was not checked.',
  }),
  PROXY_TOKEN_UNREADABLE: entry({
    precedence: 55,
    provenBy: 'signed-read',
    // The token is read again on the next run: a throttled or timed-out read clears by itself.
    transient: true,
    sharedCause: true,
    title: 'The forward proxy’s token cannot be read',
    headline: () => 'the monitor cannot read the proxy token secret',
    advice: (ctx) =>
      `${ctx.detail}. The proxy wants a token, and the monitor could not read it from its secret (proxyTokenSecretName), so it connected without one. ` +
      'Check that the secret exists in the monitor’s region, that the check function may read it (secretsmanager:GetSecretValue, and kms:Decrypt ' +
      'if a customer-managed KMS key encrypts it), and that it holds the token as a string: the token itself, or {"token":"…"}. ' +
      'The monitor reads it again on the next run. The exchange key itself was not checked.',
  }),
  PROXY_CONNECT_FAILED: entry({
    precedence: 54,
    provenBy: 'signed-read',
    transient: true,
    sharedCause: true,
    title: 'The forward proxy could not open a tunnel to the exchange',
    headline: () => 'the proxy does not reach the exchange',
    advice: (ctx) =>
      `${ctx.detail}. The proxy took the connection but refused or failed the HTTP CONNECT to the exchange. ` +
      'It must be a forward proxy that supports CONNECT to api.crypto.com:443 (squid, tinyproxy, an AWS-hosted forward proxy); ' +
      'an API relay that only forwards requests it rewrites will not do. If it does support CONNECT: allow the exchange host in its ACL, ' +
      'and check that the proxy host itself can reach the exchange. The exchange key itself was not checked.',
  }),
  EGRESS_IP_MISMATCH: entry({
    precedence: 60,
    provenBy: 'egress-ip',
    sharedCause: true,
    headline: (h) => `traffic leaves from ${h.egressIp ?? 'an unknown IP'}, not ${h.expectedIps.join(' or ') || 'the whitelisted IP'}`,
    title: 'Requests do not leave through the whitelisted IP',
    advice: (ctx) =>
      `Requests leave from ${ip(ctx)}, not from ${ctx.expectedIps.join(' or ') || 'the expected IP'}. ` +
      onAws(
        ctx,
        'Traffic is not going out through the NAT whose Elastic IP is whitelisted: check that the function runs in the ' +
          'private subnets and their route table sends 0.0.0.0/0 to that NAT, or whitelist the new address on the key if the change was intended.',
        'Run the check from the host whose IP is whitelisted, or, if this machine’s IP is meant to be whitelisted, pass it with --expected-ip.',
      ),
  }),
  IP_NOT_WHITELISTED: entry({
    stopsTrading: true,
    precedence: 70,
    provenBy: 'signed-read',
    codes: [40103, 10003],
    maintenanceMayCause: true,
    headline: (h) => `add ${h.egressIp ?? (h.expectedIps.join(' and ') || 'the egress IP')} to the key`,
    title: 'IP not whitelisted (40103)',
    advice: (ctx) =>
      `The exchange refused ${key(ctx)} from IP ${ip(ctx)}. Add ${ip(ctx)} to the key’s IP whitelist ` +
      '(Crypto.com Exchange → Settings → API Keys → Edit → IP whitelist), then wait 2–5 minutes ' +
      'for the change to take effect.' +
      onAws(ctx, ' Nothing else needs to change.', ' If the key is meant only for your server, this is expected from here: run the check on that server.'),
  }),
  NONCE_REJECTED: entry({
    precedence: 80,
    provenBy: 'signed-read',
    codes: [40102, 10007],
    sharedCause: true,
    maintenanceMayCause: true,
    headline: () => 'clock skew over 60 s',
    title: 'Nonce rejected: clock skew (40102)',
    advice: (ctx) =>
      `${ctx.detail}. The exchange rejects requests whose nonce is more than 60 s from its clock. ` +
      onAws(
        ctx,
        'Lambda clocks are synchronised by AWS, so on AWS this points at a stale or reused nonce or a skewed exchange clock; it is reported once for all keys.',
        'Sync this machine’s clock (chrony/NTP: `timedatectl set-ntp true`, or the OS time settings).',
      ),
  }),
  AUTH_FAILED: entry({
    stopsTrading: true,
    precedence: 90,
    provenBy: 'signed-read',
    codes: [40101, 10002, 40104, 10005],
    httpStatuses: [401],
    maintenanceMayCause: true,
    headline: () => 'key revoked, expired or secret wrong',
    title: 'Authentication failure (40101 / HTTP 401)',
    advice: (ctx) =>
      `The exchange did not accept ${key(ctx)}: the key or secret is wrong, or the key was deleted, ` +
      'revoked or expired. Check in Crypto.com Exchange → Settings → API Keys that the key still ' +
      'exists; if it does, the stored secret is wrong: store it again. Otherwise create a new key ' +
      '(Read + Trade, IP whitelist set) and rotate it in (README → Rotate a key).',
  }),
  API_DISABLED: entry({
    stopsTrading: true,
    precedence: 91,
    provenBy: 'signed-read',
    codes: [140001],
    title: 'API access is disabled for the account (140001)',
    headline: () => 'API access disabled on the account',
    advice: () =>
      'The exchange answered API_DISABLED: API access is switched off for this account, so every call with any key fails. ' +
      'Check Crypto.com Exchange → Settings → API Keys and the account’s notifications; if it was not you, contact Crypto.com support.',
  }),
  ACCOUNT_TERMINATED: entry({
    stopsTrading: true,
    precedence: 92,
    provenBy: 'account',
    title: 'The account is terminated',
    headline: () => 'the account behind the key is terminated',
    advice: (ctx) =>
      `${ctx.detail}. The account this key belongs to is terminated: no key on it can trade. Only Crypto.com support can explain or reverse this; ` +
      'meanwhile move the bot to a key on an active account.',
  }),
  ACCOUNT_SUSPENDED: entry({
    stopsTrading: true,
    precedence: 93,
    provenBy: 'account',
    codes: [202],
    title: 'The account is suspended (202)',
    headline: () => 'the account behind the key is suspended',
    advice: (ctx) =>
      `${ctx.detail}. The account this key belongs to is suspended (ACCOUNT_IS_SUSPENDED): orders fail whatever the key. ` +
      'Check the account’s email and Crypto.com Exchange notifications (KYC, compliance or security holds are the usual reasons) and contact Crypto.com support.',
  }),
  ACCOUNT_DISABLED: entry({
    stopsTrading: true,
    precedence: 94,
    provenBy: 'account',
    codes: [401, 406, 409, 410],
    title: 'The account or user is not active',
    headline: () => 'the account behind the key is not active',
    advice: (ctx) =>
      `${ctx.detail}. The exchange says the account or user behind this key is not active (disabled, not found or not yet activated). ` +
      'Log in to Crypto.com Exchange with the account to see why; contact Crypto.com support if nothing there explains it.',
  }),
  ACCOUNT_NOT_TRADABLE: entry({
    stopsTrading: true,
    precedence: 95,
    provenBy: 'account',
    title: 'The account may not trade',
    headline: () => 'the account is not tradable',
    advice: (ctx) =>
      `${ctx.detail}. The key has Trade, but the account itself is flagged not tradable, so orders will be refused. ` +
      'This is an account setting or hold (trading agreement, KYC level): check the account on Crypto.com Exchange or with support.',
  }),
  TRADE_PERMISSION_MISSING: entry({
    stopsTrading: true,
    precedence: 100,
    provenBy: 'trade-permission',
    maintenanceMayCause: true,
    headline: () => 'enable Trade on the key',
    title: 'Key cannot trade (reads work, writes fail with 40101)',
    advice: (ctx) =>
      `${key(ctx)} reads balances but is refused on a trade-scoped call, so orders will fail with ` +
      '40101. Enable "Enable trading" on the key (Crypto.com Exchange → Settings → API Keys → Edit), ' +
      'or create a key with Trade and rotate it in.',
  }),
  TRADE_PERMISSION_UNEXPECTED: entry({
    precedence: 110,
    provenBy: 'trade-permission',
    maintenanceMayCause: true,
    severity: 'warning',
    headline: () => 'remove Trade from the key',
    title: 'Read-only key can trade',
    advice: (ctx) =>
      `${key(ctx)} is declared read-only but the exchange accepted a trade-scoped call. Least ` +
      'privilege: untick "Enable trading" on the key, or declare it as a trading key ' +
      `${onAws(ctx, '(expectTrade: true in the stack’s keys)', '(drop --read-only)')}.`,
  }),
  WITHDRAW_PERMISSION_UNEXPECTED: entry({
    precedence: 105,
    provenBy: 'withdraw-permission',
    title: 'The key can withdraw funds',
    headline: () => 'untick "Enable withdrawal" on the key',
    advice: (ctx) =>
      `${key(ctx)} can withdraw: the exchange answered a withdrawal-scoped read. A leaked trading key that can also withdraw can empty the account. ` +
      'Untick "Enable withdrawal" on the key (Crypto.com Exchange → Settings → API Keys → Edit), or rotate in a key without it. ' +
      onAws(ctx, 'The monitor re-checks this once a day; key-monitor check confirms a fix at once.', 'Run the check again after the change.') +
      ' If this key must withdraw, declare it (expectWithdraw: true).',
  }),
  SUB_ACCOUNT_KEY: entry({
    precedence: 113,
    provenBy: 'account',
    severity: 'warning',
    title: 'The key belongs to a sub-account',
    headline: () => 'a sub-account key where a master key is expected',
    advice: (ctx) =>
      `${ctx.detail}. This key was declared as a master-account key but belongs to a sub-account: it sees only that sub-account’s balances ` +
      'and cannot use wallet endpoints. Create the key on the master account, or declare the key as a sub-account key (expectMaster: false).',
  }),
  DERIVATIVES_ACCESS_MISSING: entry({
    precedence: 114,
    provenBy: 'account',
    codes: [411, 412],
    title: 'The account has no derivatives access',
    headline: () => 'derivatives orders will be refused',
    advice: (ctx) =>
      `${ctx.detail}. The key is expected to trade derivatives (perpetuals, futures), but the account has no derivatives access, so those orders fail. ` +
      'Apply for derivatives access on Crypto.com Exchange, or declare the key as spot only (expectDerivatives: false).',
  }),
  RATE_LIMITED: entry({
    precedence: 120,
    provenBy: 'signed-read',
    codes: [42901, 10006],
    httpStatuses: [429],
    transient: true,
    sharedCause: true,
    maintenanceMayCause: true,
    severity: 'warning',
    headline: () => 'another bot may share the key',
    title: 'Rate limited (429 / 42901)',
    advice: () =>
      'The exchange is throttling this key. Another bot is probably sharing it: use one key per bot, ' + 'or run checks less often. The key itself is fine.',
  }),
  EXCHANGE_MAINTENANCE: entry({
    precedence: 125,
    provenBy: 'signed-read',
    codes: [9010001],
    transient: true,
    sharedCause: true,
    maintenanceMayCause: true,
    severity: 'warning',
    title: 'Exchange in maintenance (9010001)',
    headline: () => 'exchange maintenance, no key action',
    advice: (ctx) =>
      `${ctx.detail}. The exchange answered SYSTEM_MAINTENANCE: it is down for maintenance, so no key can be judged. ` +
      'Nothing to do on the key; https://status.crypto.com gives the expected end.' +
      onAws(ctx, ' Checks carry on every run and the incident resolves by itself.', ' Try again after the maintenance.'),
  }),
  EXCHANGE_UNAVAILABLE: entry({
    precedence: 130,
    provenBy: 'signed-read',
    codes: [50001, 40801],
    httpStatuses: [500, 502, 503, 504],
    transient: true,
    sharedCause: true,
    maintenanceMayCause: true,
    severity: 'warning',
    headline: () => 'exchange or network side, no key action',
    title: 'Exchange or network unavailable',
    advice: (ctx) =>
      `${ctx.detail}. This is on the exchange or network side; no key action. Check https://status.crypto.com` +
      onAws(ctx, ' and the NAT; the next scheduled check runs again.', ' and your network, then try again in a minute.'),
  }),
  UNEXPECTED_RESPONSE: entry({
    precedence: 140,
    provenBy: 'signed-read',
    maintenanceMayCause: true,
    severity: 'warning',
    headline: (h) => (h.code !== null ? `code ${h.code}, see the fix` : 'see the fix'),
    title: 'Unexpected response',
    advice: (ctx) =>
      `${ctx.detail}. The exchange answered in a way the monitor has no rule for, so it cannot call the key healthy. ` +
      'Look the code up in the error-code reference (README); account-level codes such as 202 ACCOUNT_IS_SUSPENDED need Crypto.com support.',
  }),
  EGRESS_NOT_VERIFIED: entry({
    precedence: 145,
    provenBy: 'egress-ip',
    transient: true,
    sharedCause: true,
    severity: 'warning',
    headline: () => 'the IP echo did not answer with an IP',
    title: 'Egress IP not verified',
    advice: (ctx) =>
      `${ctx.detail}. The IP echo did not answer with an IP address, so the monitor could not verify that requests leave from ` +
      `${ctx.expectedIps.join(' or ') || 'the whitelisted IP'}; the key itself was checked and nothing here is a verdict on it. ` +
      onAws(
        ctx,
        'Check that the IP echo (ipEchoUrl, https://checkip.amazonaws.com by default) is reachable from the function’s subnets through the NAT and answers with a bare IP; it is checked again on the next run.',
        'Check that the IP echo (--ip-echo-url, https://checkip.amazonaws.com by default) is reachable from here and answers with a bare IP, then run the check again.',
      ),
  }),
  MONITOR_ERROR: entry({
    precedence: 150,
    provenBy: 'signed-read',
    transient: true,
    severity: 'warning',
    headline: () => 'monitor fault, the key was not judged',
    title: 'The monitor could not finish this key’s check',
    advice: (ctx) =>
      `${ctx.detail}. This is a fault in the monitor, not a verdict on the key; the other keys were checked. ` +
      onAws(ctx, 'The function’s log has the error; it is retried on the next run.', 'Run the check again; if it repeats, report it with the --json output.'),
  }),
  // Security findings: events the security watch reports in the key's security incident (security-rules.ts),
  // never a check's verdict (no codes, never chosen by precedence), never resolved by a healthy run.
  WITHDRAWAL_DETECTED: entry({
    precedence: 900,
    provenBy: null,
    title: 'A withdrawal left the account',
    headline: () => 'rotate the key now if you did not make it',
    advice: (ctx) =>
      `If you or your team did not make this withdrawal, act now: delete or rotate ${key(ctx)} and every other key on the account, ` +
      'change the account password and 2FA, and check the withdrawal whitelist (Crypto.com Exchange → Settings → Withdrawal addresses) for addresses you do not know. ' +
      'Withdrawals made with other keys or in the web app count: it is the account that is watched. If withdrawals are expected, declare the key (expectWithdraw: true) ' +
      'or list the addresses (allowedWithdrawalAddresses) or the client_wid prefix (allowedWithdrawalClientWidPrefix).',
  }),
  FUNDS_DROPPED: entry({
    precedence: 901,
    provenBy: null,
    severity: 'warning',
    title: 'Money or assets left the account',
    headline: () => 'check the account; rotate the key if you did not move it',
    advice: (ctx) =>
      `Both checks' quantities are valued at the newer prices, so a market-wide fall does not trigger this. ` +
      'If you did not move these funds (a withdrawal, a transfer to a sub-account, a large trade into an asset outside the largest ten), ' +
      `rotate ${key(ctx)} now, review the key's IP restrictions and the withdrawal whitelist, and check the account's login history.`,
  }),
  FOREIGN_ORDERS: entry({
    precedence: 902,
    provenBy: null,
    severity: 'warning',
    title: 'Orders your bot did not place',
    headline: () => 'review who else trades on the account',
    advice: (ctx) =>
      `The orders' client_oid lacks the bot's prefix (botClientOidPrefix). If nobody else trades on this account (a person in the web app, another bot), ` +
      `someone else may hold a key: cancel the orders in the web app, rotate ${key(ctx)}, and review the key's IP restrictions.`,
  }),
  WITHDRAWAL_WATCH_NOT_DETERMINED: entry({
    precedence: 903,
    provenBy: null,
    severity: 'warning',
    title: 'The withdrawal watch could not read the history',
    headline: () => 'withdrawals on this account are not watched',
    advice: (ctx) =>
      // Not read (no answer for a day, a page that may not be all): look by hand; the watch keeps trying hourly.
      !ctx.detail.includes('was refused')
        ? 'Withdrawals since the time named were not all read: look at the account’s withdrawal history now (Crypto.com Exchange → Wallet → History → Withdrawals) ' +
          'and rotate the key if one is not yours. The watch reads again every hour and reports what it finds.'
        : `Whether a key without the Withdrawal permission may read the withdrawal history is not documented; this key was refused, ` +
          'so withdrawals on this account are not watched with it (the money watch still compares balances). To watch them, give the watch a key that may read the history, ' +
          'or turn the watch off for this key (securityWatch: false) to stop this notice.',
  }),
};
