import { PRODUCTION_BASE_URL } from '../contract/endpoints.js';
import { describeProxy } from '../exchange/proxy.js';
import { checkClient } from '../monitor/check-client.js';
import { credentialsOnlyReport, runChecks } from '../monitor/checks.js';
import { validateCredentials, type CredentialsVerdict } from '../monitor/credentials.js';
import { envCredentials, type CheckOptions } from './args.js';
import { exitCodeFor, renderReport, reportJson, type SecurityView } from './format.js';
import { balanceSummaryOf, type DatedBalance } from '../monitor/balance-summary.js';
import { DEFAULT_SECURITY_SETTINGS } from '../monitor/security-findings.js';
import { securityFindings } from '../monitor/security-watch.js';
import type { Io } from './io.js';
import { SCENARIOS, type Scenario, type ScenarioName } from './scenarios.js';

interface Target {
  readonly baseUrl: string;
  readonly ipEchoUrl: string;
  readonly expectedIps: readonly string[];
  readonly expectTrade: boolean;
  readonly expectDerivatives: boolean | undefined;
  readonly expectMaster: boolean | undefined;
  readonly timeoutMs: number;
  readonly credentials: CredentialsVerdict;
  readonly credentialsFrom: string;
  readonly heading: string;
  readonly sandboxScenario: string | null;
  /** The balance a previous check saw (the sandbox plays one); a real check from here has none. */
  readonly lastBalance: DatedBalance | undefined;
  readonly botClientOidPrefix: string | null;
  close(): Promise<void>;
}

/** How far back a single check looks at the account's withdrawals. */
const CLI_WITHDRAWALS_MS = 24 * 3_600_000;

/** A previous check five minutes ago that saw the sandbox's full portfolio, for the money watch's demos. */
async function scenarioBalance(scenario: Scenario): Promise<DatedBalance | undefined> {
  if (!scenario.security || !('lastBalance' in scenario.security)) return undefined;
  const { balanceFor } = await import('../sandbox/portfolio.js');
  return { at: Date.now() - 5 * 60_000, ...balanceSummaryOf(balanceFor('healthy').data) };
}

async function sandboxTarget(opts: CheckOptions, name: ScenarioName): Promise<Target> {
  // Loaded only when used: a real check never pays for the sandbox.
  const { startSandbox } = await import('../sandbox/exchange.js');
  const scenario: Scenario = SCENARIOS[name];
  const timeoutMs = scenario.timeoutMs ?? opts.timeoutMs;
  const sandbox = await startSandbox({ slowMs: timeoutMs * 8 });
  if (scenario.ipEcho) sandbox.setIpEcho(scenario.ipEcho);
  const issued = sandbox.credentials(scenario.behaviour);
  const raw = scenario.credentials === 'none' ? {} : scenario.credentials === 'padded' ? { ...issued, apiKey: `${issued.apiKey}\n` } : issued;
  return {
    baseUrl: scenario.wrongPath ? `${sandbox.origin}/not-the-api/v1` : sandbox.baseUrl(scenario.behaviour),
    ipEchoUrl: sandbox.ipEchoUrl,
    expectedIps: opts.expectedIps.length > 0 ? opts.expectedIps : [scenario.expectedIp ?? sandbox.egressIp],
    expectTrade: !(scenario.readOnly ?? opts.readOnly),
    expectDerivatives: scenario.expectDerivatives ?? opts.expectDerivatives,
    expectMaster: scenario.expectMaster ?? opts.expectMaster,
    timeoutMs,
    credentials: validateCredentials(raw),
    credentialsFrom: 'sandbox demo key',
    heading:
      `key-monitor check — SANDBOX exchange on ${sandbox.origin} (scenario: ${name}; demo key, no real account).\n` +
      'To check a real key: set EXCHANGE_API_KEY and EXCHANGE_API_SECRET (or pass --secret-id) and drop --sandbox.',
    sandboxScenario: name,
    lastBalance: await scenarioBalance(scenario),
    botClientOidPrefix: (scenario.security && 'botClientOidPrefix' in scenario.security ? scenario.security.botClientOidPrefix : undefined) ?? null,
    close: () => sandbox.close(),
  };
}

async function realTarget(opts: CheckOptions, env: NodeJS.ProcessEnv): Promise<Target> {
  let credentials: CredentialsVerdict;
  let from: string;
  if (opts.secretId) {
    const [{ secretsManagerClient, readSecret }, { awsCallDeadlineMs }] = await Promise.all([import('../aws/secrets.js'), import('../aws/aws-calls.js')]);
    const client = secretsManagerClient({ timeoutMs: opts.timeoutMs });
    try {
      credentials = (await readSecret(client, opts.secretId, awsCallDeadlineMs(opts.timeoutMs))).verdict;
    } finally {
      client.destroy();
    }
    from = `secret ${opts.secretId}`;
  } else {
    const pair = envCredentials(env);
    credentials = pair.kind === 'pair' ? validateCredentials(pair) : validateCredentials({});
    from = pair.kind === 'pair' ? pair.from : 'environment (none set)';
  }
  const baseUrl = opts.baseUrl ?? PRODUCTION_BASE_URL;
  const via = opts.proxy ? `; via proxy ${describeProxy(opts.proxy.url)} (${opts.proxy.from})` : '';
  return {
    baseUrl,
    ipEchoUrl: opts.ipEchoUrl,
    expectedIps: opts.expectedIps,
    expectTrade: !opts.readOnly,
    expectDerivatives: opts.expectDerivatives,
    expectMaster: opts.expectMaster,
    timeoutMs: opts.timeoutMs,
    credentials,
    credentialsFrom: from,
    heading: `key-monitor check — ${baseUrl} (credentials from ${from}; ${opts.readOnly ? 'read-only key' : 'Trade expected'}${via})`,
    sandboxScenario: null,
    lastBalance: undefined,
    botClientOidPrefix: null,
    close: async () => {},
  };
}

/**
 * `key-monitor check`: one key against the exchange (or the built-in sandbox), printed as a report
 * or JSON; the exit status says whether the key is fit to trade. Throws UsageError when the check
 * cannot start (credentials in the environment that do not make a pair).
 */
export async function checkCommand(opts: CheckOptions, env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const target = opts.sandbox ? await sandboxTarget(opts, opts.sandbox) : await realTarget(opts, env);
  const print = (report: Parameters<typeof renderReport>[0], security?: SecurityView) => {
    if (opts.json)
      io.out(
        reportJson(report, { site: 'local', sandbox: target.sandboxScenario, baseUrl: target.baseUrl, credentialsFrom: target.credentialsFrom }, security),
      );
    else io.out(renderReport(report, target.heading, security));
    // The exit status is about the key's fitness to trade; a security finding is printed beside it.
    return exitCodeFor(report);
  };
  if (!target.credentials.ok) {
    await target.close();
    return print(credentialsOnlyReport(target.credentials, 'local'));
  }
  const client = checkClient({ baseUrl: target.baseUrl, timeoutMs: target.timeoutMs, proxy: opts.proxy });
  try {
    const report = await runChecks({
      credentials: target.credentials,
      expectTrade: target.expectTrade,
      expectWithdraw: opts.expectWithdraw,
      expectDerivatives: target.expectDerivatives,
      expectMaster: target.expectMaster,
      withdrawProbe: opts.withdrawProbe ? { kind: 'now' } : { kind: 'off' },
      expectedIps: target.expectedIps,
      ipEchoUrl: target.ipEchoUrl,
      exchange: client,
      site: 'local',
      // The proxy token is a secret too: no trace of it in anything printed.
      sensitive: opts.proxy?.token ? [opts.proxy.token] : [],
      botClientOidPrefix: target.botClientOidPrefix,
      // A single check has no cursor: it looks at the last day of the account's withdrawals, every time.
      withdrawals: {
        plan: { kind: 'read', cursor: { since: Date.now() - CLI_WITHDRAWALS_MS, ids: [] } },
        allowance: { expectWithdraw: opts.expectWithdraw === true, addresses: [], clientWidPrefix: null },
      },
    });
    const settings = { ...DEFAULT_SECURITY_SETTINGS, botClientOidPrefix: target.botClientOidPrefix };
    const findings = securityFindings({ settings, report, now: Date.now(), lastBalance: target.lastBalance });
    const notWatched = [
      ...(target.lastBalance
        ? []
        : ['money leaving the account: it is compared run to run, which the scheduled monitor does (a single check has no earlier balance)']),
      ...(target.botClientOidPrefix ? [] : ['orders the bot did not place: no bot client_oid prefix given']),
      ...(report.withdrawalWatch?.kind === 'not-read' ? [`withdrawals: ${report.withdrawalWatch.why}`] : []),
    ];
    return print(report, { findings, notWatched });
  } finally {
    await client.close();
    await target.close();
  }
}
