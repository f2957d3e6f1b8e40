import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The bench times a handler's module init after what the Lambda runtime loads first, ours and ccxt's
 * alike. That start must be the runtime's and nothing more: a module only a handler's dependencies
 * load (the AWS SDK's https, tls, http2, crypto, zlib) belongs to the handler's init, and loading it
 * first would hide its cost; and the bench's own process must not start further along than ccxt's.
 */
const PRELOAD = new URL('../../scripts/lambda-runtime-preload.mjs', import.meta.url).href;
const BENCH_CHILD = fileURLToPath(new URL('../../scripts/bench-child.mjs', import.meta.url));
/** The nodejs24.x runtime interface client's modules (the sources are named in the preload's comment). */
const NODEJS24_RUNTIME = ['module', 'worker_threads', 'fs', 'os', 'path', 'util', 'net', 'http'];

const dir = mkdtempSync(join(tmpdir(), 'ekm-preload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file like ccxt's init script in the bench: the preload, then (here) what is loaded at the timer. */
const PROBE = join(dir, 'probe.mjs');
writeFileSync(
  PROBE,
  `import { loadWhatTheLambdaRuntimeHasLoaded, RUNTIME_MODULES } from ${JSON.stringify(PRELOAD)};
const loaded = loadWhatTheLambdaRuntimeHasLoaded();
const modules = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
process.stdout.write(JSON.stringify({ loaded, modules, list: RUNTIME_MODULES }));
`,
);
const BUNDLE = join(dir, 'index.mjs');
writeFileSync(BUNDLE, 'export const handler = async () => ({});\n');

/** This machine's Node, and the Lambda's Node.js 24 where `npm run bench` has fetched it: their built-in modules load differently. */
const LAMBDA_NODE = fileURLToPath(new URL(`../../node_modules/.cache/ekm-bench/node-${platform()}-${process.arch}-24/package/bin/node`, import.meta.url));
const NODES = [process.execPath, ...(existsSync(LAMBDA_NODE) ? [LAMBDA_NODE] : [])];

function probe(node: string, env: Record<string, string> = {}): { loaded: boolean; modules: string[]; list: string[] } {
  const { BENCH_BARE: _bare, ...rest } = process.env;
  const run = spawnSync(node, [PROBE], { encoding: 'utf8', env: { ...rest, ...env } });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { loaded: boolean; modules: string[]; list: string[] };
}

/** The built-ins the bench's own child has loaded when it starts timing the bundle's import. */
function benchChildAtTimer(node: string): string[] {
  const out = join(dir, 'result.json');
  const { BENCH_BARE: _bare, ...env } = process.env;
  const run = spawnSync(node, [BENCH_CHILD, 'init', BUNDLE, out], { encoding: 'utf8', env });
  expect(run.stderr).toBe('');
  return (JSON.parse(readFileSync(out, 'utf8')) as { builtinsBeforeImport: string[] }).builtinsBeforeImport;
}

describe.each(NODES)('scripts/lambda-runtime-preload.mjs on %s', (node) => {
  it("loads the nodejs24.x runtime interface client's modules (http, net, worker_threads…) and none that only a handler's dependencies load", () => {
    const { loaded, modules, list } = probe(node);
    expect(loaded).toBe(true);
    expect([...list].sort()).toEqual([...NODEJS24_RUNTIME].sort());
    expect(modules).toEqual(expect.arrayContaining(['http', 'net', 'worker_threads', 'os', 'path', 'util']));
    // The SDK's and our bundle's own modules; `assert` too: the 3.x client loaded it, nodejs24.x's does not.
    for (const notTheRuntimes of ['https', 'tls', 'http2', 'crypto', 'zlib', 'perf_hooks', 'v8', 'assert']) expect(modules).not.toContain(notTheRuntimes);
  });

  it("starts the bench's own child exactly where ccxt's script starts: the same built-ins at the timer", () => {
    expect([...benchChildAtTimer(node)].sort()).toEqual([...probe(node).modules].sort());
  });

  it('loads nothing under BENCH_BARE=1', () => {
    const { loaded, modules } = probe(node, { BENCH_BARE: '1' });
    expect(loaded).toBe(false);
    expect(modules).not.toContain('http');
  });
});
