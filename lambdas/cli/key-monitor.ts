import { validateCredentials, type CredentialsVerdict } from '../monitor/credentials.js';
import { ExchangeClient } from '../exchange/client.js';
import { PRODUCTION_BASE_URL } from '../contract/endpoints.js';
import { runChecks } from '../monitor/checks.js';
import { envCredentials, parseCommand, UsageError, USAGE, type CheckOptions } from './args.js';
import { exitCodeFor, renderReport, reportJson } from './format.js';
import { SCENARIOS, type Scenario, type ScenarioName } from './scenarios.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

interface Target {
  readonly baseUrl: string;
  readonly ipEchoUrl: string;
  readonly expectedIps: readonly string[];
  readonly expectTrade: boolean;
  readonly timeoutMs: number;
  readonly credentials: CredentialsVerdict;
  readonly heading: string;
  readonly sandboxScenario?: string;
  close(): Promise<void>;
}

async function sandboxTarget(opts: CheckOptions, name: ScenarioName, implicit: boolean): Promise<Target> {
  // Loaded only when used: a real check never pays for the sandbox.
  const { startSandbox } = await import('../sandbox/exchange.js');
  const scenario: Scenario = SCENARIOS[name];
  const timeoutMs = scenario.timeoutMs ?? opts.timeoutMs;
  const sandbox = await startSandbox({ slowMs: timeoutMs * 8 });
  const issued = sandbox.credentials(scenario.behaviour);
  const raw = scenario.credentials === 'none' ? {} : scenario.credentials === 'padded' ? { ...issued, apiKey: `${issued.apiKey}\n` } : issued;
  const why = implicit ? 'no credentials given, so ' : '';
  return {
    baseUrl: sandbox.baseUrl(scenario.behaviour),
    ipEchoUrl: sandbox.ipEchoUrl,
    expectedIps: opts.expectedIps.length > 0 ? opts.expectedIps : [scenario.expectedIp ?? sandbox.egressIp],
    expectTrade: !(scenario.readOnly ?? opts.readOnly),
    timeoutMs,
    credentials: validateCredentials(raw),
    heading:
      `key-monitor check — ${why}running against the built-in SANDBOX exchange on ${sandbox.origin} ` +
      `(scenario: ${name}; demo key, no real account).\n` +
      'Set EXCHANGE_API_KEY and EXCHANGE_API_SECRET (or --secret-id) to check a real key.',
    sandboxScenario: name,
    close: () => sandbox.close(),
  };
}

async function realTarget(opts: CheckOptions, env: NodeJS.ProcessEnv): Promise<Target> {
  let credentials: CredentialsVerdict;
  let source: string;
  if (opts.secretId) {
    const [{ SecretsManagerClient }, { readSecret }] = await Promise.all([import('@aws-sdk/client-secrets-manager'), import('../aws/secrets.js')]);
    const client = new SecretsManagerClient({});
    credentials = (await readSecret(client, opts.secretId)).verdict;
    client.destroy();
    source = `secret ${opts.secretId}`;
  } else {
    credentials = validateCredentials(envCredentials(env));
    source = 'environment';
  }
  const baseUrl = opts.baseUrl ?? PRODUCTION_BASE_URL;
  return {
    baseUrl,
    ipEchoUrl: opts.ipEchoUrl,
    expectedIps: opts.expectedIps,
    expectTrade: !opts.readOnly,
    timeoutMs: opts.timeoutMs,
    credentials,
    heading: `key-monitor check — ${baseUrl} (credentials from ${source}; ${opts.readOnly ? 'read-only key' : 'Trade expected'})`,
    close: async () => {},
  };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  let opts;
  try {
    opts = parseCommand(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`key-monitor: ${err.message}\nRun "key-monitor --help" for usage.\n`);
    return 2;
  }
  if (opts.command === 'help') {
    io.out(USAGE + '\n');
    return 0;
  }
  if (opts.command === 'rotate') {
    const { rotateCommand } = await import('./rotate.js');
    return rotateCommand(opts, io);
  }
  const creds = envCredentials(env);
  const implicitSandbox = !opts.sandbox && !opts.baseUrl && !opts.secretId && !creds.apiKey && !creds.apiSecret;
  const scenario = opts.sandbox ?? (implicitSandbox ? 'healthy' : undefined);
  const target = scenario ? await sandboxTarget(opts, scenario, implicitSandbox) : await realTarget(opts, env);
  const client = new ExchangeClient({ baseUrl: target.baseUrl, timeoutMs: target.timeoutMs, budgetMs: Math.round(target.timeoutMs * 2.5) });
  try {
    const report = await runChecks({
      credentials: target.credentials,
      expectTrade: target.expectTrade,
      expectedIps: target.expectedIps,
      ipEchoUrl: target.ipEchoUrl,
      exchange: client,
    });
    if (opts.json) io.out(reportJson(report, target.sandboxScenario ? { sandbox: { scenario: target.sandboxScenario } } : {}));
    else io.out(renderReport(report, target.heading));
    return exitCodeFor(report);
  } finally {
    await client.close();
    await target.close();
  }
}
