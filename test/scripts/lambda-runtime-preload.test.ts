import { spawnSync } from 'node:child_process';
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

function probe(env: Record<string, string> = {}): { loaded: boolean; modules: string[] } {
  const { BENCH_BARE: _bare, ...rest } = process.env;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], { encoding: 'utf8', env: { ...rest, ...env } });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { loaded: boolean; modules: string[] };
}

describe('scripts/lambda-runtime-preload.mjs', () => {
  it("loads the runtime interface client's http and net, and none of the modules the AWS SDK adds", () => {
    const { loaded, modules } = probe();
    expect(loaded).toBe(true);
    expect(modules).toEqual(expect.arrayContaining(['http', 'net', 'assert', 'path', 'util']));
    for (const sdkOnly of ['https', 'tls', 'http2', 'crypto', 'zlib', 'perf_hooks', 'v8']) expect(modules).not.toContain(sdkOnly);
  });

  it('loads nothing under BENCH_BARE=1', () => {
    const { loaded, modules } = probe({ BENCH_BARE: '1' });
    expect(loaded).toBe(false);
    expect(modules).not.toContain('http');
  });
});
