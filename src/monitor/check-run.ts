import type { TimedReply } from '../exchange/client.js';
import { timerMs } from '../exchange/timer-ms.js';
import { runChecks, monitorErrorReport, TICKER_INSTRUMENT, type CheckInput, type CheckTarget } from './checks.js';
import { carriedAfter, expectationsOf, EVERY_PROBE, keyIdOf, type CarriedCheck, type ProbePlans } from './cadence.js';
import type { CredentialsVerdict } from './credentials.js';
import type { ExchangePort } from './ports.js';
import type { MonitoredKey } from './runtime-config.js';
import type { Report } from './types.js';
import { withdrawalAllowanceOf } from './security-watch.js';
import type { WithdrawalPlan } from './withdrawal-watch.js';

/** A key's secret as the run needs it. */
export interface SecretSnapshot {
  readonly verdict: CredentialsVerdict;
  readonly createdDate: Date | null;
}

/** Where the run gets every key's secret: one call for many (batched by the adapter). */
export interface SecretSource {
  getMany(secretIds: readonly string[]): Promise<ReadonlyMap<string, SecretSnapshot>>;
}

export interface KeyOutcome {
  readonly key: MonitoredKey;
  readonly report: Report;
  /** Days since the secret's current version was written; null when unknown. */
  readonly keyAgeDays: number | null;
  /** Wall time of this key's check (secret read not included: it is shared). The withdraw probe's answer, if one was sent, is on the report. */
  readonly elapsedMs: number;
  /** The last conclusive answers of probes that ran this time and may be carried on later runs (cadence.ts). */
  readonly carried?: Readonly<Record<string, CarriedCheck>>;
  /** keyIdOf the API key checked (absent without usable credentials). */
  readonly keyId?: string;
}

export interface RunDeps {
  readonly keys: readonly MonitoredKey[];
  readonly secrets: SecretSource;
  readonly target: CheckTarget;
  readonly now: () => number;
  /** Keys checked at once. */
  readonly concurrency: number;
  /** One key's whole check must end within this; past it the key is reported, not waited for. */
  readonly keyDeadlineMs: number;
  /** Epoch ms by which the run must have a result for every key (the Lambda's remaining time). */
  readonly runDeadline: number;
  /** Called when a key's check throws: a bug, logged by the caller; the key is still reported. */
  readonly onCrash?: (key: MonitoredKey, err: unknown) => void;
  /** Probe withdraw permission now, or carry the last definite verdict (default: now). */
  /** `keyId`: keyIdOf the API key the secret holds now (null when it holds none). */
  readonly withdrawPlan?: (
    key: MonitoredKey,
    keyId: string | null,
  ) => NonNullable<CheckInput['withdrawProbe']> | Promise<NonNullable<CheckInput['withdrawProbe']>>;
  /**
   * Send the trade probe and the account read now, or show their last conclusive pass (the schedule's
   * cadence). Given: each outcome says what to carry to the next run. Default: every probe, nothing carried.
   */
  readonly probePlan?: (key: MonitoredKey, keyId: string | null) => ProbePlans | Promise<ProbePlans>;
  /** When the withdrawal watch reads the account's history (security-watch.ts withdrawalPlanOf); absent: not watched. */
  readonly withdrawalPlan?: (key: MonitoredKey, keyId: string | null) => WithdrawalPlan | Promise<WithdrawalPlan>;
  /** The last exposure snapshot that may stand for this key, and how old it may be; absent: read whenever something is open. */
  readonly exposurePlan?: (key: MonitoredKey, keyId: string | null) => CheckInput['exposure'] | Promise<CheckInput['exposure']>;
}

const DAY_MS = 86_400_000;

/** Resolve to `fallback()` if `work` has not settled by `ms`; the work itself is left to finish. */
async function within<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), timerMs(ms));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The IP echo and the ticker answer the same for every key: ask them once per run. Private calls are
 * per key and pass through.
 */
export function sharedPerRun(exchange: ExchangePort): ExchangePort {
  const calls = new Map<string, Promise<unknown>>();
  const once = <T>(id: string, call: () => Promise<T>): Promise<T> => {
    if (!calls.has(id)) calls.set(id, call());
    return calls.get(id) as Promise<T>;
  };
  return {
    getText: (url) => once(`text ${url}`, () => exchange.getText(url)),
    // Every key asks with its own query object: the id is its JSON (a URLSearchParams per key cost more than the rest of this).
    publicGet: (method, query) => once(`get ${method} ${JSON.stringify(query)}`, () => exchange.publicGet(method, query)),
    privatePost: (method, params, credentials) => exchange.privatePost(method, params, credentials),
  };
}

/** Private calls answered at once with the public call's network failure: not attempted. */
function unreachable(exchange: ExchangePort, seen: TimedReply): ExchangePort {
  if (seen.reply.kind !== 'network') return exchange;
  const reply = { ...seen.reply, detail: `${seen.reply.detail} on the public call; not attempted` };
  return { ...exchange, privatePost: async () => ({ reply, attempts: 0, latencyMs: 0, totalMs: 0, midpointMs: Date.now() }) };
}

/**
 * Check every key: secrets read in batches, keys checked a bounded number at a time, each key
 * inside its own deadline. One key's fault (a stalled read, a crash) becomes that key's result and
 * never hides the others; a key the run had no time left for is reported as not checked.
 */
export async function checkKeys(deps: RunDeps): Promise<KeyOutcome[]> {
  const site = deps.target.site;
  const shared = sharedPerRun(deps.target.exchange);
  // Keys do not wait for the shared ticker (that would add a round trip to every run): it is asked
  // alongside them. Once the exchange is seen unreachable at the network level on both the public
  // call and a private one, the keys that start after that do not send their private calls into the
  // same black hole (the run would spend its budget waiting): they are reported unavailable with the
  // evidence that was seen. At most the first wave of `concurrency` keys goes out before that. A
  // public API that fails while private calls answer stops nothing: every key gets its own answer.
  let publicDown: TimedReply | null = null;
  let privateDown = false;
  void shared.publicGet('public/get-tickers', { instrument_name: TICKER_INSTRUMENT }).then(
    (t) => {
      if (t.reply.kind === 'network') publicDown = t;
    },
    () => {}, // a port that throws: each key's own public-api check reports it
  );
  const observed: ExchangePort = {
    ...shared,
    privatePost: async (method, params, credentials) => {
      const t = await shared.privatePost(method, params, credentials);
      if (t.reply.kind === 'network') privateDown = true;
      return t;
    },
  };
  const ids = deps.keys.map((k) => k.secretId);
  const secretsDeadline = Math.min(deps.keyDeadlineMs, deps.runDeadline - deps.now());
  const secrets = await within(
    deps.secrets.getMany(ids).catch(() => new Map<string, SecretSnapshot>()),
    secretsDeadline,
    () => new Map<string, SecretSnapshot>(),
  );
  const exchange: ExchangePort = {
    ...observed,
    privatePost: (method, params, credentials) =>
      (publicDown && privateDown ? unreachable(shared, publicDown) : observed).privatePost(method, params, credentials),
  };
  const target = { ...deps.target, exchange };

  const checkOne = async (key: MonitoredKey): Promise<KeyOutcome> => {
    const started = deps.now();
    const secret: SecretSnapshot = secrets.get(key.secretId) ?? {
      verdict: {
        ok: false,
        failure: 'SECRET_STORE_UNAVAILABLE',
        secretFault: 'timeout',
        detail: `secret ${key.secretId} could not be read: Secrets Manager did not answer in time`,
      },
      createdDate: null,
    };
    const remaining = deps.runDeadline - started;
    if (remaining <= 0) {
      return {
        key,
        report: monitorErrorReport('not checked in this run: the run ran out of time before this key’s turn', site),
        keyAgeDays: null,
        elapsedMs: 0,
      };
    }
    const deadline = Math.min(deps.keyDeadlineMs, remaining);
    const keyId = secret.verdict.ok ? keyIdOf(secret.verdict.credentials.apiKey) : null;
    const plan = await (deps.withdrawPlan?.(key, keyId) ?? { kind: 'now' as const });
    const probes = deps.probePlan ? await deps.probePlan(key, keyId) : EVERY_PROBE;
    const exposure = await deps.exposurePlan?.(key, keyId);
    const withdrawals =
      key.securityWatch !== false && deps.withdrawalPlan ? { plan: await deps.withdrawalPlan(key, keyId), allowance: withdrawalAllowanceOf(key) } : undefined;
    const report = await within(
      runChecks({
        ...target,
        credentials: secret.verdict,
        expectTrade: key.expectTrade,
        expectWithdraw: key.expectWithdraw,
        expectDerivatives: key.expectDerivatives,
        expectMaster: key.expectMaster,
        withdrawProbe: plan,
        probes,
        ...(exposure ? { exposure } : {}),
        botClientOidPrefix: key.securityWatch === false ? null : (key.botClientOidPrefix ?? null),
        ...(withdrawals ? { withdrawals } : {}),
        now: deps.now,
      }).catch((err: unknown) => {
        deps.onCrash?.(key, err);
        return monitorErrorReport(`the check crashed (${(err as { name?: string } | null)?.name ?? 'Error'}); see the function’s log`, site);
      }),
      deadline,
      () => monitorErrorReport(`the check did not finish within ${Math.round(deadline / 1000)} s`, site),
    );
    const keyAgeDays = secret.createdDate ? Math.floor((deps.now() - secret.createdDate.getTime()) / DAY_MS) : null;
    const carried = deps.probePlan ? { carried: carriedAfter(report.checks, probes, expectationsOf(key, keyId), started) } : {};
    return { key, report, keyAgeDays, elapsedMs: deps.now() - started, ...carried, ...(keyId ? { keyId } : {}) };
  };

  // A fixed set of workers taking the keys in order: no queued task and promise per key waiting its turn
  // (a thousand of them live for the whole run, and the garbage collector moves them all).
  const outcomes: KeyOutcome[] = new Array<KeyOutcome>(deps.keys.length);
  let next = 0;
  const worker = async () => {
    while (next < deps.keys.length) {
      const i = next++;
      outcomes[i] = await checkOne(deps.keys[i] as MonitoredKey);
    }
  };
  // At least one worker whatever the setting says (NaN included): a run never checks nothing.
  const workers = Math.min(Math.max(1, Math.floor(deps.concurrency) || 1), deps.keys.length);
  await Promise.all(Array.from({ length: workers }, worker));
  return outcomes;
}
