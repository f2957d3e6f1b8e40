import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { platform } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The bench times a handler's module init after what the Lambda runtime loads first. That start must
 * not grow into the modules a handler's own dependencies load (the AWS SDK's https, tls, http2,
 * crypto, zlib): those belong to the handler's init, and preloading them would hide its cost.
 */
const PRELOAD = new URL('../../scripts/lambda-runtime-preload.mjs', import.meta.url).href;

const PROBE = `
const { loadWhatTheLambdaRuntimeHasLoaded } = await import(${JSON.stringify(PRELOAD)});
const loaded = loadWhatTheLambdaRuntimeHasLoaded();
const modules = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
process.stdout.write(JSON.stringify({ loaded, modules }));
`;

/** This machine's Node, and the Lambda's Node.js 24 where `npm run bench` has fetched it: their built-in modules load differently. */
const LAMBDA_NODE = fileURLToPath(new URL(`../../node_modules/.cache/ekm-bench/node-${platform()}-${process.arch}-24/package/bin/node`, import.meta.url));
const NODES = [process.execPath, ...(existsSync(LAMBDA_NODE) ? [LAMBDA_NODE] : [])];

function probe(node: string, env: Record<string, string> = {}): { loaded: boolean; modules: string[] } {
  const { BENCH_BARE: _bare, ...rest } = process.env;
  const run = spawnSync(node, ['--input-type=module', '-e', PROBE], { encoding: 'utf8', env: { ...rest, ...env } });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { loaded: boolean; modules: string[] };
}

describe.each(NODES)('scripts/lambda-runtime-preload.mjs on %s', (node) => {
  it("loads the nodejs24.x runtime interface client's modules (http, net, worker_threads…) and none that only a handler's dependencies load", () => {
    const { loaded, modules } = probe(node);
    expect(loaded).toBe(true);
    expect(modules).toEqual(expect.arrayContaining(['http', 'net', 'worker_threads', 'os', 'path', 'util']));
    // The SDK's and our bundle's own modules; `assert` too: the 3.x client loaded it, nodejs24.x's does not.
    for (const notTheRuntimes of ['https', 'tls', 'http2', 'crypto', 'zlib', 'perf_hooks', 'v8', 'assert']) expect(modules).not.toContain(notTheRuntimes);
  });

  it('loads nothing under BENCH_BARE=1', () => {
    const { loaded, modules } = probe(node, { BENCH_BARE: '1' });
    expect(loaded).toBe(false);
    expect(modules).not.toContain('http');
  });
});
