import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The files `npm run test:unit` runs, as vitest itself selects them from vitest.unit.config.ts. */
function unitSelection(): string[] {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'list', '--config', 'vitest.unit.config.ts', '--filesOnly', '--json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  expect(run.status, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { file: string }[]).map((f) => relative(ROOT, f.file)).sort();
}

const testFilesUnder = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(dir, f))
    .sort();

/** What makes a test slow or dependent on more than Node: the AWS emulator, a CDK synth, the built CLI. */
const HEAVY_IMPORT = /(?:from|import)\s*\(?\s*'[^']*(?:support\/(?:moto|synth|run-cli)(?:\.js)?|aws-cdk-lib[^']*)'/;

describe('npm run test:unit', () => {
  const selected = unitSelection();

  it('runs no test that starts moto_server, synthesizes a stack or runs the built CLI', () => {
    expect(selected.length).toBeGreaterThan(0);
    const heavy = selected.filter((f) => f.endsWith('.moto.test.ts') || HEAVY_IMPORT.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(heavy).toEqual([]);
  });

  it('runs every test of the pure core: checks, diagnosis and incident rules, the exchange client, the channel renderers', () => {
    for (const dir of ['test/monitor', 'test/exchange', 'test/channels']) {
      const missing = testFilesUnder(dir).filter((f) => !selected.includes(f));
      expect(missing, dir).toEqual([]);
    }
  });
});
