import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { keyPrefix, redact, type CredentialsVerdict } from './credentials.js';
import { classifyReply, diagnose, isFailure } from './diagnosis.js';
import { describeReply, type ExchangeReply } from '../exchange/reply.js';
import { ExchangeClient, type TimedReply } from '../exchange/client.js';
import type { RuntimeConfig } from './runtime-config.js';
import { PROBE_OID_PREFIX } from '../exchange/probe-guard.js';
import type { BalanceEvidence, CheckName, CheckResult, Credentials, Failure, Report } from './types.js';

/** The part of the exchange client the checks use; the Lambda, the CLI and tests share it. */
export type ExchangeApi = Pick<ExchangeClient, 'publicGet' | 'privatePost' | 'getText'>;

export interface CheckInput {
  readonly credentials: CredentialsVerdict;
  /** true: the key must be able to trade; false: it must be read-only. */
  readonly expectTrade: boolean;
  /** Addresses the key is whitelisted for; empty = do not compare. */
  readonly expectedIps: readonly string[];
  /** null = skip the egress check. */
  readonly ipEchoUrl: string | null;
  readonly exchange: ExchangeApi;
}

/** Where and against what a key is checked: everything but the key itself. */
export type CheckTarget = Omit<CheckInput, 'credentials' | 'expectTrade'>;

/** The Lambdas' target: deployed egress expectations, and one client whose retries of a call share 3× the timeout. */
export function lambdaCheckTarget(config: Pick<RuntimeConfig, 'baseUrl' | 'timeoutMs' | 'expectedIps' | 'ipEchoUrl'>): CheckTarget {
  const exchange = new ExchangeClient({ baseUrl: config.baseUrl, timeoutMs: config.timeoutMs, budgetMs: config.timeoutMs * 3 });
  return { expectedIps: config.expectedIps, ipEchoUrl: config.ipEchoUrl, exchange };
}

/** Past this the exchange is close to rejecting nonces (its hard limit is 60 s). */
export const SKEW_WARN_MS = 30_000;
export const TICKER_INSTRUMENT = 'BTC_USD';

type Draft = Omit<CheckResult, 'ok' | 'name'>;

function finish(name: CheckName, draft: Draft): CheckResult {
  return { name, ok: draft.status !== 'fail', ...draft };
}

function fromReply(timed: TimedReply): Pick<CheckResult, 'code' | 'httpStatus' | 'latencyMs'> {
  const { reply } = timed;
  return {
    code: reply.kind === 'answer' ? reply.code : null,
    httpStatus: reply.kind === 'network' ? null : reply.httpStatus,
    latencyMs: timed.latencyMs,
  };
}

function replyDetail(timed: TimedReply): string {
  const tries = timed.attempts > 1 ? ` after ${timed.attempts} attempts` : '';
  return describeReply(timed.reply) + tries;
}

/** A failed exchange call as a check result. */
function failed(timed: TimedReply, failure: Failure): Draft {
  return { status: 'fail', failure, detail: replyDetail(timed), ...fromReply(timed) };
}

const skipped = (detail: string): Draft => ({ status: 'skip', code: null, httpStatus: null, latencyMs: 0, detail });

export function credentialsCheck(verdict: CredentialsVerdict): Draft {
  if (!verdict.ok) return { status: 'fail', failure: verdict.failure, code: null, httpStatus: null, latencyMs: 0, detail: verdict.detail };
  return { status: 'pass', code: null, httpStatus: null, latencyMs: 0, detail: `key ${keyPrefix(verdict.credentials.apiKey)}…, secret set` };
}

async function egressCheck(input: CheckInput): Promise<Draft> {
  if (!input.ipEchoUrl) return skipped('no IP echo URL configured');
  const { text, timed } = await input.exchange.getText(input.ipEchoUrl);
  const ip = text?.trim() ?? '';
  const base = { code: null, httpStatus: timed.reply.kind === 'network' ? null : timed.reply.httpStatus, latencyMs: timed.latencyMs };
  if (!isIP(ip)) {
    // Not knowing our IP is worth showing, but it says nothing against the key.
    const why = text === null ? replyDetail(timed) : 'the answer was not an IP address';
    return { ...base, status: 'warn', detail: `could not determine the egress IP: ${why}` };
  }
  if (input.expectedIps.length > 0 && !input.expectedIps.includes(ip)) {
    return { ...base, status: 'fail', failure: 'EGRESS_IP_MISMATCH', egressIp: ip, detail: `${ip}, expected ${input.expectedIps.join(' or ')}` };
  }
  const note = input.expectedIps.length > 0 ? ' (the whitelisted IP)' : '';
  return { ...base, status: 'pass', egressIp: ip, detail: `${ip}${note}` };
}

function numberish(value: unknown): number | null {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/**
 * Server time from the ticker's `t` and the Date header. Both can only lag the server's clock (a
 * ticker is published before we read it; Date is truncated to the second), so take the later.
 */
export function estimateSkewMs(reply: ExchangeReply, localMidpointMs: number): number | null {
  if (reply.kind !== 'answer') return null;
  const data = (reply.result as { data?: { t?: unknown }[] } | undefined)?.data;
  const tickerTime = numberish(Array.isArray(data) ? data[0]?.t : undefined);
  const dateTime = reply.dateHeader ? Date.parse(reply.dateHeader) : NaN;
  const candidates = [tickerTime, Number.isFinite(dateTime) ? dateTime : null].filter((t): t is number => t !== null);
  if (candidates.length === 0) return null;
  return Math.max(...candidates) - localMidpointMs;
}

const seconds = (ms: number) => `${ms >= 0 ? '+' : '−'}${(Math.abs(ms) / 1000).toFixed(1)} s`;

async function publicApiCheck(input: CheckInput): Promise<Draft> {
  const timed = await input.exchange.publicGet('public/get-tickers', { instrument_name: TICKER_INSTRUMENT });
  const meaning = classifyReply(timed.reply);
  if (isFailure(meaning)) return failed(timed, meaning);
  const skew = estimateSkewMs(timed.reply, timed.midpointMs);
  const base = { ...fromReply(timed), ...(skew === null ? {} : { clockSkewMs: skew }) };
  if (skew === null) return { ...base, status: 'pass', detail: `${TICKER_INSTRUMENT} ticker answered; clock skew unknown` };
  if (Math.abs(skew) > SKEW_WARN_MS) {
    return { ...base, status: 'warn', detail: `clock skew ${seconds(skew)}: near the exchange’s 60 s nonce limit, sync NTP` };
  }
  return { ...base, status: 'pass', detail: `${TICKER_INSTRUMENT} ticker answered; clock skew ${seconds(skew)}` };
}

/** Portfolio evidence from private/user-balance: how many balances, how many valued, total. */
export function balanceEvidence(result: unknown): BalanceEvidence {
  const accounts = (result as { data?: unknown } | undefined)?.data;
  const positions = Array.isArray(accounts)
    ? accounts.flatMap((a) => ((a as { position_balances?: unknown }).position_balances as unknown[] | undefined) ?? [])
    : [];
  const values = positions.map((p) => numberish((p as { market_value?: unknown }).market_value) ?? 0);
  return {
    count: positions.length,
    valued: values.filter((v) => v !== 0).length,
    totalMarketValue: Math.round(values.reduce((a, b) => a + b, 0) * 100) / 100,
  };
}

const money = (n: number) => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

async function signedReadCheck(input: CheckInput, creds: Credentials): Promise<Draft> {
  const timed = await input.exchange.privatePost('private/user-balance', {}, creds);
  const meaning = classifyReply(timed.reply);
  if (isFailure(meaning)) return failed(timed, meaning);
  const balances = balanceEvidence(timed.reply.kind === 'answer' ? timed.reply.result : undefined);
  return {
    status: 'pass',
    ...fromReply(timed),
    balances,
    detail: `authenticated; ${balances.count} balances, ${balances.valued} with a market value, total ${money(balances.totalMarketValue)} USD`,
  };
}

/**
 * The trade-permission probe: cancel an order that cannot exist (random client_oid). The exchange
 * checks the key's scope before looking the order up, so 40101 here after a good read means "no
 * Trade", and any other reason code (0, 212, 316, 40401 — whatever the HTTP status) means allowed.
 */
async function tradeProbe(input: CheckInput, creds: Credentials): Promise<TimedReply> {
  // client_oid is limited to 36 characters: an invalid one could be rejected before the scope check.
  const clientOid = PROBE_OID_PREFIX + randomUUID().replaceAll('-', '');
  return input.exchange.privatePost('private/cancel-order', { client_oid: clientOid }, creds);
}

export function interpretTradeProbe(timed: TimedReply, read: Draft, expectTrade: boolean): Draft {
  if (read.status !== 'pass') return { ...skipped('not conclusive: the signed read did not pass'), latencyMs: timed.latencyMs };
  const meaning = classifyReply(timed.reply);
  if (meaning !== 'AUTH_FAILED' && meaning !== 'OK' && meaning !== 'UNEXPECTED_RESPONSE') return failed(timed, meaning);
  const tradeAllowed = meaning !== 'AUTH_FAILED';
  const seen = describeReply(timed.reply);
  const base = { ...fromReply(timed), tradeAllowed };
  if (tradeAllowed === expectTrade) {
    return { ...base, status: 'pass', detail: tradeAllowed ? `Trade enabled (probe: ${seen})` : `Trade disabled, as expected for a read-only key (probe: ${seen})` };
  }
  return {
    ...base,
    status: 'fail',
    failure: expectTrade ? 'TRADE_PERMISSION_MISSING' : 'TRADE_PERMISSION_UNEXPECTED',
    detail: expectTrade ? `refused on a trade-scoped call (probe: ${seen})` : `a read-only key was allowed a trade-scoped call (probe: ${seen})`,
  };
}

/** Run every check for one key concurrently and diagnose the result. Never throws for exchange faults. */
export async function runChecks(input: CheckInput): Promise<Report> {
  const creds = input.credentials.ok ? input.credentials.credentials : null;
  const noCreds = skipped('no usable credentials');
  const [egress, publicApi, read, probe] = await Promise.all([
    egressCheck(input),
    publicApiCheck(input),
    creds ? signedReadCheck(input, creds) : Promise.resolve(noCreds),
    creds ? tradeProbe(input, creds) : Promise.resolve(null),
  ]);
  const trade = probe ? interpretTradeProbe(probe, read, input.expectTrade) : noCreds;
  const readDetail =
    read.failure === 'NONCE_REJECTED' && publicApi.clockSkewMs !== undefined
      ? `${read.detail} (clock skew measured against the exchange: ${seconds(publicApi.clockSkewMs)})`
      : read.detail;
  const sensitive = creds ? [creds.apiKey, creds.apiSecret] : [];
  const checks = [
    finish('credentials', credentialsCheck(input.credentials)),
    finish('egress-ip', egress),
    finish('public-api', publicApi),
    finish('signed-read', { ...read, detail: readDetail }),
    finish('trade-permission', trade),
  ].map((c) => ({ ...c, detail: redact(c.detail, sensitive) }));
  return diagnose(checks, { expectedIps: input.expectedIps, keyPrefix: creds ? keyPrefix(creds.apiKey) : null });
}

/** A bug in the monitor itself, reported as an unhealthy result rather than a crash. */
export function internalErrorReport(err: unknown): Report {
  const name = (err as { name?: string } | null)?.name ?? 'Error';
  return diagnose(
    [
      finish('signed-read', {
        status: 'fail',
        failure: 'UNEXPECTED_RESPONSE',
        code: null,
        httpStatus: null,
        latencyMs: 0,
        detail: `the monitor itself failed (${name}); see the function's log`,
      }),
    ],
    { expectedIps: [], keyPrefix: null },
  );
}
