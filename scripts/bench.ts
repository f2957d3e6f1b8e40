/**
 * npm run bench: what the monitor costs in size, start-up, memory and time, measured on this machine.
 * - the three Lambda bundles (check, rotation, notifier) as `cdk synth` stages them (raw and gzip)
 * - cold module-init time of the check bundle in a fresh Node process (median of 15)
 * - a warm handler run against the sandbox exchange (40 ms simulated round trip, Secrets Manager
 *   on moto_server), next to the slowest single request of the run measured on its own
 * - peak RSS of the process running the handler
 * - scale: one cold and one warm handler run with 1, 10, 100 and 1,000 keys, each size in a fresh
 *   process under `ulimit -n 1024`: wall time, peak RSS, every key's diagnosis, file-descriptor
 *   errors, and where the time went
 *
 * Every child process runs the bundle with the check function's own environment from the
 * synthesized template (NODE_OPTIONS, Powertools names, CHECK_TIMEOUT_MS…), pointed at the loopback
 * sandbox and moto_server, and is told the function's timeout as its remaining time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { TimedReply } from '../src/exchange/client.js';
import { ENV } from '../src/contract/env.js';
import { CONNECTIONS_PER_ORIGIN, KEY_CONCURRENCY, SECRETS_PER_BATCH } from '../src/contract/defaults.js';
import { readSecrets, secretsManagerClient } from '../src/aws/secrets.js';
import { checkClient } from '../src/monitor/check-client.js';
import type { MonitoredKey } from '../src/monitor/runtime-config.js';
import { startSandbox, type Sandbox } from '../src/sandbox/exchange.js';
import { createStateTable, startMoto, useEmulator } from '../test/support/moto.js';

const ROUND_TRIP_MS = 40;
const WARM_RUNS = 20;
const SCALE_SIZES = [1, 10, 100, 1_000] as const;
const SCALE_FD_LIMIT = 1024;
const LOOP_RESOLUTION_MS = 10;
/** BENCH_CPU_PROFILE=dir: write a V8 CPU profile of the largest scale child there (open it in Chrome DevTools). */
const CPU_PROFILE_DIR = process.env['BENCH_CPU_PROFILE'] || null;
/** Lambda allocates CPU in proportion to memory: 1,769 MB is one vCPU (AWS Lambda docs, "Memory and computing power"). */
const LAMBDA_MB_PER_VCPU = 1769;
// Bundle: 300 KB before the incident layer, account audit and proxy egress (about 80 KB of our code and
// undici's proxy agent); cold module init stays near 100–150 ms on this machine.
// warmRatio is per round trip: 1.25 catches an extra round trip in sequence (three in two's place is 1.5).
const TARGET = { bundleKb: 400, warmRatio: 1.25, rssMb: 100, scaleWallS: 5, scaleRssMb: 160, tenKeyRatio: 1.5 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const kb = (bytes: number) => bytes / 1024;
const fmt = (n: number, unit: string, digits = 1) => `${n.toFixed(digits)} ${unit}`;
const ms = (n: number | null | undefined) => (n === null || n === undefined ? '—' : `${Math.round(n)} ms`);
const secs = (n: number) => `${(n / 1000).toFixed(2)} s`;
/** Every target line goes through here; a miss makes the run exit 1, so automation can tell. */
let missed = 0;
const verdict = (ok: boolean) => {
  if (!ok) missed++;
  return ok ? 'meets target' : 'MISSES TARGET';
};
const count = (n: number) => n.toLocaleString('en-US');

// ---- The synthesized stack -------------------------------------------------------------------

interface TemplateFunction {
  Type: string;
  Properties: {
    Description?: string;
    Runtime?: string;
    Architectures?: string[];
    MemorySize?: number;
    Timeout?: number;
    Code?: { S3Key?: string };
    Environment?: { Variables?: Record<string, unknown> };
  };
}

interface SynthFunction {
  readonly bundle: string;
  readonly runtime: string;
  readonly arch: string;
  readonly memoryMb: number;
  readonly timeoutS: number;
  /** The function's environment variables that are plain strings (not CloudFormation references). */
  readonly env: Record<string, string>;
}

const FUNCTIONS = {
  check: { label: 'check Lambda', description: 'Checks each exchange API key' },
  rotate: { label: 'rotation Lambda', description: 'Secrets Manager rotation' },
  notify: { label: 'notifier Lambda', description: 'Delivers exchange-key-monitor notifications' },
} as const;
type FunctionId = keyof typeof FUNCTIONS;

function synth(): { fns: Record<FunctionId, SynthFunction>; dir: string } {
  // Inside the project: the bundle leaves @aws-sdk/* to the Lambda runtime, and here the project's
  // node_modules stands in for it.
  mkdirSync('cdk.out', { recursive: true });
  const dir = mkdtempSync(join('cdk.out', 'bench-'));
  const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', dir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`cdk synth failed:\n${run.stderr}`);
  const template = JSON.parse(readFileSync(join(dir, 'ExchangeKeyMonitor.template.json'), 'utf8')) as { Resources: Record<string, TemplateFunction> };
  const assets = readdirSync(dir);
  const find = (id: FunctionId): SynthFunction => {
    const { description } = FUNCTIONS[id];
    const matches = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.startsWith(description));
    if (matches.length !== 1) throw new Error(`expected one Lambda whose Description starts with "${description}", found ${matches.length}`);
    const p = (matches[0] as TemplateFunction).Properties;
    const hash = p.Code?.S3Key?.replace(/\.zip$/, '');
    const assetDir = assets.find((d) => d === `asset.${hash}`);
    if (!assetDir) throw new Error(`no bundle for the ${FUNCTIONS[id].label}`);
    const env = Object.fromEntries(Object.entries(p.Environment?.Variables ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return {
      bundle: join(process.cwd(), dir, assetDir, 'index.mjs'),
      runtime: p.Runtime ?? '?',
      arch: p.Architectures?.[0] ?? 'x86_64',
      memoryMb: p.MemorySize ?? 128,
      timeoutS: p.Timeout ?? 3,
      env,
    };
  };
  return { fns: { check: find('check'), rotate: find('rotate'), notify: find('notify') }, dir };
}

/** The check function's deployed environment, minus what points at the internet or at the bundle's own key file. */
function deployedEnv(fn: SynthFunction): Record<string, string> {
  const env = { ...fn.env };
  for (const name of [ENV.baseUrl, ENV.ipEchoUrl, ENV.announcementsUrl, ENV.keysFile, ENV.keys, ENV.secretCacheTtlMs]) delete env[name];
  return env;
}

// ---- Child processes --------------------------------------------------------------------------

interface RunStats {
  wallMs: number;
  cpuMs: number;
  thrown: string | null;
  outcome: { checked: number | null; unhealthy: number; unhealthyByDiagnosis: Record<string, number>; sample: unknown[] };
  log: {
    lines: number;
    keyLines: number;
    diagnoses: Record<string, number>;
    errors: number;
    emfileMentions: number;
    keyMedianMs: number | null;
    keyMaxMs: number | null;
  };
  errorCodes: Record<string, number>;
  maxFds: number;
  maxRssMb: number;
  aws: {
    count: number;
    errors: number;
    firstStart: number | null;
    lastFinish: number | null;
    byOperation: Record<string, { count: number; medianMs: number | null; maxMs: number | null }>;
  };
  exchange: {
    count: number;
    private: number;
    public: number;
    byMethod: Record<string, number>;
    /** HTTP status of every exchange answer. */
    byStatus: Record<string, number>;
    connections: number;
    maxInFlight: number;
    maxOnWire: number;
    firstPrivateMs: number | null;
    lastDoneMs: number | null;
    /** Sum over requests of sent → done: socket time. */
    busyMs: number;
    serverMedianMs: number | null;
    serverMaxMs: number | null;
  };
}

interface ChildResult {
  importMs: number;
  openFilesLimit: number | null;
  first?: RunStats;
  warm?: RunStats[];
  firstRunMs?: number;
  warmRunsMs?: number[];
  maxRssMb: number;
  endRssMb: number;
  heapUsedMb: number;
  stderr: string;
}

/**
 * Asynchronous on purpose: the sandbox answers from this process's event loop. With fdLimit, the
 * child runs under `ulimit -n` (soft and hard), as a Lambda sandbox has a fixed descriptor limit.
 */
async function child(
  mode: 'init' | 'run',
  bundle: string,
  env: Record<string, string>,
  opts: { runs?: number; fdLimit?: number; nodeFlags?: string[] } = {},
): Promise<ChildResult> {
  const out = join(mkdtempSync(join(tmpdir(), 'ekm-child-')), 'result.json');
  const node = [process.execPath, ...(opts.nodeFlags ?? []), 'scripts/bench-child.mjs', mode, bundle, out, String(opts.runs ?? 0)];
  const [cmd, args] = opts.fdLimit ? ['bash', ['-c', `ulimit -n ${opts.fdLimit} && exec "$@"`, 'bash', ...node]] : [node[0] as string, node.slice(1)];
  const proc = spawn(cmd as string, args as string[], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  if (code !== 0) throw new Error(`bench child failed (exit ${code}): ${stderr}`);
  const result = JSON.parse(readFileSync(out, 'utf8')) as ChildResult;
  rmSync(join(out, '..'), { recursive: true, force: true });
  return { ...result, stderr };
}

/** Every key's diagnosis, from the handler's returned outcome and from its per-key log lines. */
function health(run: RunStats, keys: number): { ok: boolean; okCount: number; problems: string[] } {
  const problems: string[] = [];
  const okInLog = run.log.diagnoses['OK'] ?? 0;
  if (run.thrown) problems.push(`the handler threw: ${run.thrown}`);
  if (run.outcome.checked !== keys) problems.push(`the handler reported ${run.outcome.checked ?? 'no'} keys checked, not ${keys}`);
  if (run.outcome.unhealthy > 0)
    problems.push(
      `returned outcome: ${run.outcome.unhealthy} unhealthy (${Object.entries(run.outcome.unhealthyByDiagnosis)
        .map(([d, n]) => `${d} ×${n}`)
        .join(', ')})`,
    );
  if (run.log.keyLines !== keys) problems.push(`${run.log.keyLines} per-key log lines for ${keys} keys`);
  const notOk = Object.entries(run.log.diagnoses).filter(([d]) => d !== 'OK');
  if (notOk.length > 0) problems.push(`log diagnoses: ${notOk.map(([d, n]) => `${d} ×${n}`).join(', ')}`);
  if (run.log.errors > 0) problems.push(`${run.log.errors} ERROR log lines`);
  return { ok: problems.length === 0 && okInLog === keys, okCount: okInLog, problems };
}

function emfile(run: RunStats, stderr: string): string | null {
  const codes = Object.entries(run.errorCodes).filter(([c]) => c === 'EMFILE' || c === 'ENFILE');
  const found = [...codes.map(([c, n]) => `${c} ×${n}`), ...(run.log.emfileMentions > 0 ? [`${run.log.emfileMentions} log mentions`] : [])];
  if (/EMFILE|ENFILE|too many open files/i.test(stderr)) found.push('on stderr');
  return found.length > 0 ? found.join(', ') : null;
}

// ---- Moto and the sandbox --------------------------------------------------------------------

async function createSecrets(sm: SecretsManagerClient, entries: { name: string; value: string }[], parallel = 50): Promise<void> {
  for (let i = 0; i < entries.length; i += parallel) {
    await Promise.all(entries.slice(i, i + parallel).map((e) => sm.send(new CreateSecretCommand({ Name: e.name, SecretString: e.value }))));
  }
}

/** The Connection header of one answer (moto_server's development server closes every connection). */
function connectionHeader(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'GET' }, (res) => {
      res.resume();
      resolve(typeof res.headers.connection === 'string' ? res.headers.connection.toLowerCase() : null);
    });
    req.on('error', () => resolve(null));
    req.end();
  });
}

function table(head: string[], rows: string[][], right: (i: number) => boolean = (i) => i > 0): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return ['  ' + line(head), '  ' + widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map((r) => '  ' + line(r))].join('\n');
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log('exchange-key-monitor benchmark');
  console.log(
    `Machine: Node ${process.version}, ${process.arch}, ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), ${fmt(totalmem() / 2 ** 30, 'GB')} RAM, ${platform()} ${release()}`,
  );
  const { fns, dir } = synth();
  const check = fns.check;
  console.log(
    `Lambda:  ${check.runtime} on ${check.arch}, ${check.memoryMb} MB, check timeout ${check.timeoutS} s (from the synthesized template). The numbers below are this machine's, ` +
      `on Node ${process.version.slice(1).split('.')[0]} and ${process.arch}, not Lambda's.\n`,
  );
  const baseEnv = deployedEnv(check);
  const remaining = { BENCH_REMAINING_MS: String(check.timeoutS * 1000) };

  try {
    // 1. Bundles
    console.log('Bundles (cdk synth, index.mjs of each asset; source maps not counted)');
    for (const id of Object.keys(FUNCTIONS) as FunctionId[]) {
      const bytes = readFileSync(fns[id].bundle);
      const size = kb(bytes.length);
      const target = id === 'check' ? `  ${verdict(size <= TARGET.bundleKb)} ≤ ${TARGET.bundleKb} KB` : '';
      console.log(`  ${FUNCTIONS[id].label.padEnd(17)} ${fmt(size, 'KB').padStart(9)}  (gzip ${fmt(kb(gzipSync(bytes).length), 'KB')})${target}`);
    }

    // 2. Cold init
    const inits: number[] = [];
    for (let i = 0; i < 15; i++) inits.push((await child('init', check.bundle, baseEnv)).importMs);
    console.log(
      `\nCold module init (check):  ${fmt(median(inits), 'ms')} median of 15 fresh processes (min ${fmt(Math.min(...inits), 'ms')}, max ${fmt(Math.max(...inits), 'ms')})`,
    );

    let moto;
    try {
      moto = await startMoto();
    } catch (err) {
      console.log(`\nHandler runs and scale rows skipped: moto_server is needed for Secrets Manager (${(err as Error).message}).`);
      return;
    }
    const sandbox = await startSandbox({ latencyMs: ROUND_TRIP_MS });
    try {
      useEmulator(moto.endpoint);
      await oneKey(check, sandbox, { ...baseEnv, ...remaining });
      await scale(check, sandbox, { ...baseEnv, ...remaining });
    } finally {
      await sandbox.close();
      await moto.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- 3. One key: first run, warm run vs the slowest single request, peak RSS -----------------------

async function oneKey(check: SynthFunction, sandbox: Sandbox, env: Record<string, string>): Promise<void> {
  const sm = new SecretsManagerClient({});
  await createSecrets(sm, [{ name: 'bench/key', value: JSON.stringify(sandbox.credentials('healthy')) }]);
  sm.destroy();

  const keysDir = mkdtempSync(join(tmpdir(), 'ekm-keys-'));
  const keysFile = join(keysDir, 'monitored-keys.json');
  writeFileSync(keysFile, JSON.stringify([{ name: 'bench', secretId: 'bench/key', expectTrade: true }]));
  const run = await child(
    'run',
    check.bundle,
    {
      ...env,
      [ENV.keysFile]: keysFile,
      [ENV.baseUrl]: sandbox.baseUrl(),
      [ENV.ipEchoUrl]: sandbox.ipEchoUrl,
      [ENV.expectedIp]: sandbox.egressIp,
      // Cached for the whole measurement: the warm runs measure the exchange part, next to single requests.
      [ENV.secretCacheTtlMs]: '600000',
    },
    { runs: WARM_RUNS },
  ).finally(() => rmSync(keysDir, { recursive: true, force: true }));
  for (const r of [run.first as RunStats, ...(run.warm ?? [])]) {
    const h = health(r, 1);
    if (!h.ok) throw new Error(`the one-key benchmark run was not healthy: ${h.problems.join('; ')}`);
  }

  // Each request of a run on its own, over a warm connection, as the handler makes them.
  const client = checkClient({ baseUrl: sandbox.baseUrl(), timeoutMs: 5_000 });
  const creds = sandbox.credentials('healthy');
  const single: Record<string, () => Promise<TimedReply>> = {
    'IP echo': async () => (await client.getText(sandbox.ipEchoUrl)).timed,
    'public/get-tickers': () => client.publicGet('public/get-tickers', { instrument_name: 'BTC_USD' }),
    'private/user-balance': () => client.privatePost('private/user-balance', {}, creds),
    'private/get-accounts': () => client.privatePost('private/get-accounts', {}, creds),
    'private/cancel-order probe': () => client.privatePost('private/cancel-order', { client_oid: 'hc-bench0000000000000000000000000000' }, creds),
    'private/get-deposit-address probe': () => client.privatePost('private/get-deposit-address', { currency: 'BTC' }, creds),
  };
  const singles: [string, number][] = [];
  for (const [name, call] of Object.entries(single)) {
    await call();
    const times: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      const t = performance.now();
      await call();
      times.push(performance.now() - t);
    }
    singles.push([name, median(times)]);
  }
  await client.close();
  const [slowestName, slowest] = singles.reduce((a, b) => (b[1] > a[1] ? b : a));
  const warm = median(run.warmRunsMs ?? []);
  const warmRun = (run.warm ?? [])[0] as RunStats;
  const ratio = warm / slowest;
  // The withdraw probe waits for the read and the account (checks.ts says why): with it, a run is two
  // round trips in sequence by design; without it (the deployed schedule within a day), one.
  const trips = (warmRun.exchange.byMethod['private/get-deposit-address'] ?? 0) > 0 ? 2 : 1;
  const perTrip = ratio / trips;
  const methods = Object.entries(warmRun.exchange.byMethod)
    .map(([m, n]) => (n > 1 ? `${m} ×${n}` : m))
    .join(', ');
  console.log(`First (cold) handler run:  ${fmt(run.firstRunMs as number, 'ms')} (1 key: creates clients, reads the secret, opens connections)`);
  console.log(
    `Warm handler run, 1 key:   ${fmt(warm, 'ms')} median of ${WARM_RUNS}, secret cached; ${warmRun.exchange.count} exchange requests at ${ROUND_TRIP_MS} ms round trip each (${methods})`,
  );
  for (const [name, t] of singles) console.log(`  single ${name.padEnd(34)} ${fmt(t, 'ms')}`);
  console.log(
    `Warm run / slowest single request (${slowestName}): ${ratio.toFixed(2)}× for ${trips} round trip${trips > 1 ? 's' : ''} in sequence` +
      `${trips > 1 ? ' (the withdraw probe, daily when deployed, follows the read, trade probe and accounts)' : ''}: ` +
      `${perTrip.toFixed(2)}× per round trip  ${verdict(perTrip <= TARGET.warmRatio)} ≤ ${TARGET.warmRatio}×`,
  );
  if (perTrip > TARGET.warmRatio) {
    const x = warmRun.exchange;
    console.log(`  why: the first private request leaves at ${ms(x.firstPrivateMs)}, the last exchange answer arrives at ${ms(x.lastDoneMs)}`);
  }
  const rss = run.maxRssMb;
  console.log(`Peak RSS (1-key process, ${WARM_RUNS + 1} runs): ${fmt(rss, 'MB')}  ${verdict(rss <= TARGET.rssMb)} ≤ ${TARGET.rssMb} MB`);
  const bare = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))'], { encoding: 'utf8' });
  const bareMb = Number(bare.stdout) / 1024;
  console.log(
    `  at the end: RSS ${fmt(run.endRssMb, 'MB')}, JS heap used ${fmt(run.heapUsedMb, 'MB')} (bare Node ${process.version}, measured now: ${fmt(bareMb, 'MB')} peak RSS)`,
  );
}

// ---- 4. Scale: 1, 10, 100, 1,000 keys ----------------------------------------------------------

interface ScaleRow {
  keys: number;
  label: string;
  result: ChildResult;
  cold: RunStats;
  warm: RunStats;
  sandboxRequests: Record<string, number>;
  sandboxLoopP99Ms: number;
  sandboxLoopMaxMs: number;
}

async function scale(check: SynthFunction, sandbox: Sandbox, env: Record<string, string>): Promise<void> {
  const largest = Math.max(...SCALE_SIZES);
  const work = mkdtempSync(join(tmpdir(), 'ekm-scale-'));
  try {
    // One distinct sandbox key and one secret per monitored key.
    const keys: MonitoredKey[] = [];
    const secrets: { name: string; value: string }[] = [];
    for (let i = 0; i < largest; i++) {
      const name = `k${String(i).padStart(4, '0')}`;
      keys.push({ name, secretId: `bench/scale/${name}`, expectTrade: true });
      secrets.push({ name: `bench/scale/${name}`, value: JSON.stringify(sandbox.mint('healthy')) });
    }
    const sm = new SecretsManagerClient({});
    const created = performance.now();
    await createSecrets(sm, secrets);
    const createdMs = performance.now() - created;
    sm.destroy();

    // Secrets Manager alone, as the handler reads it (BatchGetSecretValue, 20 a call, all calls at once).
    const reader = secretsManagerClient();
    const readTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const read = await readSecrets(
        reader,
        keys.map((k) => k.secretId),
      );
      readTimes.push(performance.now() - t);
      const bad = [...read.values()].filter((r) => !r.verdict.ok).length;
      if (bad > 0) throw new Error(`${bad} of ${largest} secrets could not be read back from moto_server`);
    }
    reader.destroy();

    console.log(
      `\nScale: one cold and one warm handler run per size, each size in a fresh process under \`ulimit -n ${SCALE_FD_LIMIT}\`; ` +
        `sandbox at ${ROUND_TRIP_MS} ms round trip, one minted key per monitored key; Secrets Manager on moto_server ` +
        `(${count(largest)} secrets created in ${secs(createdMs)}); key list from ${ENV.keysFile}, as the stack deploys it; no incident layer ` +
        `(${ENV.stateTable}/${ENV.notificationQueueUrl} unset), so the withdraw probe runs on every run; the last row, for reference only, adds the ` +
        `incident layer with its DynamoDB table and SQS queue created in moto_server (its warm run carries the withdraw verdict, as within a day deployed); ` +
        `secrets read on every run (${ENV.secretCacheTtlMs}=1: the deployed cache, ≤ 60 s, is shorter than the 5-minute schedule).`,
    );

    const runSize = async (n: number, extraEnv: Record<string, string> = {}, nodeFlags: string[] = []): Promise<ScaleRow> => {
      const file = join(work, `keys-${n}.json`);
      writeFileSync(file, JSON.stringify(keys.slice(0, n)));
      sandbox.requests.length = 0;
      const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      loop.enable();
      const result = await child(
        'run',
        check.bundle,
        {
          ...env,
          [ENV.keysFile]: file,
          [ENV.baseUrl]: sandbox.baseUrl(),
          [ENV.ipEchoUrl]: sandbox.ipEchoUrl,
          [ENV.expectedIp]: sandbox.egressIp,
          [ENV.secretCacheTtlMs]: '1',
          ...extraEnv,
        },
        { runs: 1, fdLimit: SCALE_FD_LIMIT, nodeFlags },
      );
      loop.disable();
      const sandboxRequests: Record<string, number> = {};
      for (const r of sandbox.requests) {
        const k = r.behaviour === 'healthy' ? r.method : `${r.method} (${r.behaviour})`;
        sandboxRequests[k] = (sandboxRequests[k] ?? 0) + 1;
      }
      sandbox.requests.length = 0;
      if (result.openFilesLimit !== SCALE_FD_LIMIT)
        throw new Error(`the scale child ran with an open-files limit of ${result.openFilesLimit}, not ${SCALE_FD_LIMIT}`);
      return {
        keys: n,
        label: count(n),
        result,
        cold: result.first as RunStats,
        warm: (result.warm ?? [])[0] as RunStats,
        sandboxRequests,
        sandboxLoopP99Ms: loop.percentile(99) / 1e6,
        sandboxLoopMaxMs: loop.max / 1e6,
      };
    };
    const rows: ScaleRow[] = [];
    const profile = (name: string) => (CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(CPU_PROFILE_DIR, name)}`] : []);
    for (const n of SCALE_SIZES) rows.push(await runSize(n, {}, n === largest ? profile('plain') : []));

    // For reference, not a target row: the largest size as deployed, with the incident layer
    // (its DynamoDB table and SQS queue created in moto_server). The state store carries the withdraw
    // probe's verdict, so the warm run skips that probe, as the deployed schedule does within a day.
    const sqs = new SQSClient({});
    await createStateTable('bench-state');
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-notifications' }))).QueueUrl as string;
    sqs.destroy();
    const withIncidents = await runSize(largest, { [ENV.stateTable]: 'bench-state', [ENV.notificationQueueUrl]: queueUrl }, profile('incidents'));
    withIncidents.label = `${count(largest)} + incidents`;
    const allRows = [...rows, withIncidents];

    const okCell = (r: RunStats, n: number) => {
      const h = health(r, n);
      return h.ok ? `${count(h.okCount)}/${count(n)} OK` : `${count(h.okCount)}/${count(n)} OK !!`;
    };
    console.log(
      table(
        ['Keys', 'Cold run', 'Warm run', 'Peak RSS', 'Keys OK (cold)', 'Keys OK (warm)', 'EMFILE', 'Peak fds', 'Sockets opened'],
        allRows.map((r) => [
          r.label,
          secs(r.cold.wallMs),
          secs(r.warm.wallMs),
          fmt(r.result.maxRssMb, 'MB'),
          okCell(r.cold, r.keys),
          okCell(r.warm, r.keys),
          emfile(r.cold, r.result.stderr) ?? emfile(r.warm, r.result.stderr) ?? 'none',
          `${Math.max(r.cold.maxFds, r.warm.maxFds)}/${SCALE_FD_LIMIT}`,
          String(r.cold.exchange.connections + r.warm.exchange.connections),
        ]),
      ),
    );

    console.log(
      `  Peak fds: most open file descriptors (sampled every 20 ms) / the limit. Sockets opened: exchange connections over both runs ` +
        `(the sandbox, like any Node http server, closes a socket idle for 5 s).`,
    );
    // Loudly: any key that did not come back OK, and any descriptor error.
    let allOk = true;
    for (const r of allRows) {
      for (const [label, run] of [
        ['cold', r.cold],
        ['warm', r.warm],
      ] as const) {
        const h = health(run, r.keys);
        if (!h.ok) {
          allOk = false;
          missed++;
          console.log(`  !! ${r.label} keys, ${label} run: NOT ALL KEYS OK: ${h.problems.join('; ')}`);
          if (run.outcome.sample.length > 0) console.log(`     e.g. ${JSON.stringify(run.outcome.sample)}`);
        }
        const fd = emfile(run, r.result.stderr);
        if (fd) {
          missed++;
          console.log(`  !! ${r.label} keys, ${label} run: FILE-DESCRIPTOR ERRORS: ${fd}`);
        }
        const limited = (run.exchange.byStatus['429'] ?? 0) + (run.log.diagnoses['RATE_LIMITED'] ?? 0);
        if (limited > 0) {
          allOk = false;
          missed++;
          console.log(
            `  !! ${r.label} keys, ${label} run: RATE LIMITED: ${run.exchange.byStatus['429'] ?? 0} HTTP 429 answers, ${run.log.diagnoses['RATE_LIMITED'] ?? 0} key(s) diagnosed RATE_LIMITED`,
          );
        }
      }
    }
    if (allOk) console.log(`  Every key of every run came back OK (the handler's returned outcome and its per-key log lines agree).`);

    const one = rows.find((r) => r.keys === 1) as ScaleRow;
    const ten = rows.find((r) => r.keys === 10) as ScaleRow;
    const big = rows.find((r) => r.keys === largest) as ScaleRow;
    const tenRatio = ten.warm.wallMs / one.warm.wallMs;
    const bigOk = health(big.cold, big.keys).ok && health(big.warm, big.keys).ok;
    const okNote = bigOk ? '' : ' (keys not all OK: see !! above)';
    console.log(
      `${count(largest)} keys, cold run wall:  ${secs(big.cold.wallMs)}  ${verdict(big.cold.wallMs <= TARGET.scaleWallS * 1000 && bigOk)} ≤ ${TARGET.scaleWallS} s${okNote}`,
    );
    console.log(
      `${count(largest)} keys, warm run wall:  ${secs(big.warm.wallMs)}  ${verdict(big.warm.wallMs <= TARGET.scaleWallS * 1000 && bigOk)} ≤ ${TARGET.scaleWallS} s${okNote}`,
    );
    console.log(
      `${count(largest)} keys, peak RSS:       ${fmt(big.result.maxRssMb, 'MB')}  ${verdict(big.result.maxRssMb <= TARGET.scaleRssMb)} ≤ ${TARGET.scaleRssMb} MB`,
    );
    console.log(
      `10 keys / 1 key, warm wall: ${tenRatio.toFixed(2)}× (${secs(ten.warm.wallMs)} / ${secs(one.warm.wallMs)})  ${verdict(tenRatio <= TARGET.tenKeyRatio)} ≤ ${TARGET.tenKeyRatio}×` +
        `  (cold: ${(ten.cold.wallMs / one.cold.wallMs).toFixed(2)}×)`,
    );

    // Where the time goes, from outside the bundle (diagnostics channels in the child).
    console.log(
      `\nWhere the time goes (ms from the start of the handler call; KEY_CONCURRENCY ${KEY_CONCURRENCY}, ` +
        `${CONNECTIONS_PER_ORIGIN} sockets per origin, ${SECRETS_PER_BATCH} secrets per BatchGetSecretValue):`,
    );
    console.log(
      table(
        [
          'Keys',
          'Run',
          'Wall',
          'CPU',
          'AWS calls',
          'AWS done',
          '1st private',
          'Exch. done',
          'After',
          'Requests',
          'Sockets',
          'Socket floor',
          'Answer p50/max',
          'Key p50/max',
        ],
        allRows.flatMap((r) =>
          (
            [
              ['cold', r.cold],
              ['warm', r.warm],
            ] as const
          ).map(([label, run]) => {
            const x = run.exchange;
            return [
              r.label,
              label,
              ms(run.wallMs),
              ms(run.cpuMs),
              String(run.aws.count),
              ms(run.aws.lastFinish),
              ms(x.firstPrivateMs),
              ms(x.lastDoneMs),
              ms(run.wallMs - (x.lastDoneMs ?? run.wallMs)),
              count(x.count),
              String(x.maxOnWire),
              ms(x.busyMs / CONNECTIONS_PER_ORIGIN),
              `${ms(x.serverMedianMs)}/${ms(x.serverMaxMs)}`,
              `${ms(run.log.keyMedianMs)}/${ms(run.log.keyMaxMs)}`,
            ];
          }),
        ),
        (i) => i !== 1,
      ),
    );
    for (const line of [
      'AWS calls/done: AWS API calls (Secrets Manager; with incidents also DynamoDB and SQS), and when the last one answered.',
      '1st private: the first signed exchange request (every key waits for all secrets, not for the shared ticker). Exch. done: the last exchange answer.',
      'After: per-key log lines and metrics after the last exchange answer (with incidents, also the DynamoDB and SQS writes).',
      `Sockets: most exchange requests on the wire at once. Socket floor: socket time of all requests / ${CONNECTIONS_PER_ORIGIN} sockets, the shortest the exchange part can be.`,
      "Answer: request sent → response headers. Key: one key's check as logged (elapsedMs: from its turn in the key queue to its report, socket waits included).",
    ])
      console.log(`  ${line}`);
    console.log(
      `  Secrets Manager alone (this process → moto_server): ${count(largest)} secrets by BatchGetSecretValue, ${Math.ceil(largest / SECRETS_PER_BATCH)} calls at once: ${readTimes.map((t) => ms(t)).join(', ')}`,
    );
    const ops = (run: RunStats) =>
      Object.entries(run.aws.byOperation)
        .sort((a, b) => b[1].count - a[1].count)
        .map(([op, v]) => `${op} ×${count(v.count)} (${ms(v.medianMs)} p50, ${ms(v.maxMs)} max)`)
        .join(', ');
    for (const [label, run] of [
      ['cold', withIncidents.cold],
      ['warm', withIncidents.warm],
    ] as const) {
      console.log(`  AWS calls of the ${withIncidents.label} ${label} run: ${ops(run)}`);
    }
    const motoConnection = await connectionHeader(`${process.env['AWS_ENDPOINT_URL']}/moto-api/reset-auth`);
    if (motoConnection === 'close')
      console.log(
        `  moto_server answers with "Connection: close": every AWS call here opens a new TCP connection (AWS keeps them alive), and moto's latency is not AWS's.`,
      );
    const share = check.memoryMb / LAMBDA_MB_PER_VCPU;
    const perRun = Object.entries(big.sandboxRequests)
      .map(([m, v]) => `${m} ${v / 2 >= big.keys ? `${(v / 2 / big.keys).toFixed(2)} per key` : `${v / 2} per run`}`)
      .join(', ');
    console.log(`  Sandbox requests at ${count(largest)} keys: ${perRun}`);
    for (const r of [big, withIncidents]) {
      console.log(
        `  CPU of the handler runs, ${r.label} keys: ${secs(r.cold.cpuMs)} cold, ${secs(r.warm.cpuMs)} warm on this ${process.arch} machine; at the ${share.toFixed(2)} vCPU ` +
          `Lambda gives a ${check.memoryMb} MB function, that is ≈ ${secs(r.cold.cpuMs / share)} cold / ${secs(r.warm.cpuMs / share)} warm of CPU time alone.`,
      );
    }
    console.log(
      `  (A projection, not a measurement: Lambda's arm64 cores and Node ${check.runtime.replace(/\D/g, '')} differ from this machine, and here the AWS calls go to moto_server.)`,
    );
    if (CPU_PROFILE_DIR) {
      // The profile's positions are in the minified bundle: keep it and its source map next to the profile.
      for (const f of ['index.mjs', 'index.mjs.map']) copyFileSync(join(check.bundle, '..', f), join(CPU_PROFILE_DIR, f));
      console.log(`  CPU profiles of the ${count(largest)}-key children written to ${CPU_PROFILE_DIR}/{plain,incidents}, with the bundle and its source map.`);
    }
    console.log(
      `  Sandbox event loop lag (this process, beyond its ${LOOP_RESOLUTION_MS} ms probe) during each size: p99 ${rows.map((r) => ms(r.sandboxLoopP99Ms - LOOP_RESOLUTION_MS)).join(' / ')}, ` +
        `max ${rows.map((r) => ms(r.sandboxLoopMaxMs - LOOP_RESOLUTION_MS)).join(' / ')} ` +
        `(${SCALE_SIZES.map(count).join(' / ')} keys); sandbox, moto_server and the child share ${cpus().length} CPUs.`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => {
    if (missed > 0) {
      console.log(`\n${missed} target${missed === 1 ? '' : 's'} missed.`);
      process.exitCode = 1;
    }
  },
  (err: unknown) => {
    console.error(`bench failed: ${(err as Error).stack ?? (err as Error).message}`);
    process.exitCode = 1;
  },
);
