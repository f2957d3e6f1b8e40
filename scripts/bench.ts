/**
 * npm run bench: the numbers the closing notes report, measured on this machine.
 * - the check Lambda bundle as `cdk synth` builds it (raw and gzip)
 * - cold module-init time of that bundle in a fresh Node process (median of 15)
 * - a warm handler run against the sandbox exchange (40 ms simulated round trip, Secrets Manager
 *   on moto_server), next to the slowest single request of the run measured on its own
 * - peak RSS of the process running the handler
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TimedReply } from '../lambdas/exchange/client.js';
import { checkClient } from '../lambdas/monitor/check-client.js';
import { startSandbox } from '../lambdas/sandbox/exchange.js';
import { startMoto, useEmulator } from '../test/support/moto.js';

const ROUND_TRIP_MS = 40;
const TARGET = { bundleKb: 300, warmRatio: 1.5, rssMb: 100 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const kb = (bytes: number) => bytes / 1024;
const fmt = (n: number, unit: string) => `${n.toFixed(1)} ${unit}`;
const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES TARGET');

function synthBundles(): { check: string; rotate: string; dir: string } {
  // Inside the project: the bundle leaves @aws-sdk/* to the Lambda runtime, and here the project's
  // node_modules stands in for it.
  mkdirSync('cdk.out', { recursive: true });
  const dir = mkdtempSync(join('cdk.out', 'bench-'));
  const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', dir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`cdk synth failed:\n${run.stderr}`);
  const template = JSON.parse(readFileSync(join(dir, 'ExchangeKeyMonitor.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: { Description?: string; Code?: { S3Key?: string } } }> };
  const assetOf = (prefix: string) => {
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.startsWith(prefix));
    const hash = fn?.Properties.Code?.S3Key?.replace(/\.zip$/, '');
    const assetDir = readdirSync(dir).find((d) => d === `asset.${hash}`);
    if (!assetDir) throw new Error(`no bundle for ${prefix}`);
    return join(process.cwd(), dir, assetDir, 'index.mjs');
  };
  return { check: assetOf('Checks each'), rotate: assetOf('Secrets Manager rotation'), dir };
}

/** Asynchronous on purpose: the sandbox and moto answer from this process's event loop. */
async function child(mode: 'init' | 'run', bundle: string, env: Record<string, string>, runs = 0): Promise<Record<string, unknown>> {
  const out = join(mkdtempSync(join(tmpdir(), 'ekm-child-')), 'result.json');
  const proc = spawn(process.execPath, ['scripts/bench-child.mjs', mode, bundle, out, String(runs)], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  if (code !== 0) throw new Error(`bench child failed: ${stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
}

async function main(): Promise<void> {
  console.log('exchange-key-monitor benchmark (Node', process.version, 'on', process.arch, '; Lambda runs Node 22 on arm64)\n');
  const bundles = synthBundles();
  const checkBytes = readFileSync(bundles.check);
  const rotateBytes = readFileSync(bundles.rotate);
  console.log(`Bundle, check Lambda:     ${fmt(kb(checkBytes.length), 'KB')} (gzip ${fmt(kb(gzipSync(checkBytes).length), 'KB')})  ${verdict(kb(checkBytes.length) <= TARGET.bundleKb)} ≤ ${TARGET.bundleKb} KB`);
  console.log(`Bundle, rotation Lambda:  ${fmt(kb(rotateBytes.length), 'KB')} (gzip ${fmt(kb(gzipSync(rotateBytes).length), 'KB')})`);

  const inits: number[] = [];
  for (let i = 0; i < 15; i++) inits.push((await child('init', bundles.check, {}))['importMs'] as number);
  console.log(`Cold module init:         ${fmt(median(inits), 'ms')} median of 15 fresh processes (min ${fmt(Math.min(...inits), 'ms')}, max ${fmt(Math.max(...inits), 'ms')})`);

  let moto;
  try {
    moto = await startMoto();
  } catch (err) {
    console.log(`\nWarm run and RSS skipped: moto_server is needed for Secrets Manager (${(err as Error).message}).`);
    rmSync(bundles.dir, { recursive: true, force: true });
    return;
  }
  const sandbox = await startSandbox({ latencyMs: ROUND_TRIP_MS });
  try {
    useEmulator(moto.endpoint);
    const sm = new SecretsManagerClient({});
    await sm.send(new CreateSecretCommand({ Name: 'bench/key', SecretString: JSON.stringify(sandbox.credentials('healthy')) }));
    sm.destroy();

    const RUNS = 20;
    const run = await child('run', bundles.check, {
      MONITORED_KEYS: JSON.stringify([{ name: 'bench', secretId: 'bench/key', expectTrade: true }]),
      EXCHANGE_BASE_URL: sandbox.baseUrl(),
      IP_ECHO_URL: sandbox.ipEchoUrl,
      EXPECTED_EGRESS_IP: '203.0.113.7',
      SECRET_CACHE_TTL_MS: '600000',
    }, RUNS);
    const outcome = JSON.stringify(run['outcome']);
    if (!outcome.includes('"diagnosis":"OK"')) throw new Error(`the benchmark run was not healthy: ${outcome}`);

    // Each request of a run on its own, over a warm connection, as the handler makes them.
    const client = checkClient({ baseUrl: sandbox.baseUrl(), timeoutMs: 5_000 });
    const creds = sandbox.credentials('healthy');
    const single: Record<string, () => Promise<TimedReply>> = {
      'IP echo': async () => (await client.getText(sandbox.ipEchoUrl)).timed,
      'public/get-tickers': () => client.publicGet('public/get-tickers', { instrument_name: 'BTC_USD' }),
      'private/user-balance': () => client.privatePost('private/user-balance', {}, creds),
      'private/cancel-order probe': () => client.privatePost('private/cancel-order', { client_oid: 'hc-bench0000000000000000000000000000' }, creds),
    };
    const singles: [string, number][] = [];
    for (const [name, call] of Object.entries(single)) {
      await call();
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await call();
        times.push(performance.now() - t);
      }
      singles.push([name, median(times)]);
    }
    await client.close();
    const [slowestName, slowest] = singles.reduce((a, b) => (b[1] > a[1] ? b : a));
    const warm = median(run['warmRunsMs'] as number[]);
    const ratio = warm / slowest;
    console.log(`First (cold) handler run: ${fmt(run['firstRunMs'] as number, 'ms')} (creates clients, reads the secret, opens connections)`);
    console.log(`Warm handler run:         ${fmt(warm, 'ms')} median of ${RUNS}, 4 exchange requests at ${ROUND_TRIP_MS} ms round trip each`);
    for (const [name, ms] of singles) console.log(`  single ${name.padEnd(28)} ${fmt(ms, 'ms')}`);
    console.log(`Warm run / slowest single request (${slowestName}): ${ratio.toFixed(2)}×  ${verdict(ratio <= TARGET.warmRatio)} ≤ ${TARGET.warmRatio}×`);
    const rss = run['maxRssMb'] as number;
    console.log(`Peak RSS (handler process): ${fmt(rss, 'MB')}  ${verdict(rss <= TARGET.rssMb)} ≤ ${TARGET.rssMb} MB`);
    console.log(`  after ${RUNS + 1} runs: RSS ${fmt(run['endRssMb'] as number, 'MB')}, JS heap used ${fmt(run['heapUsedMb'] as number, 'MB')} (bare Node ${process.version}: ~39 MB RSS)`);
  } finally {
    await sandbox.close();
    await moto.stop();
    rmSync(bundles.dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
