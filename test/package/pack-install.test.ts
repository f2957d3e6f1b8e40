/**
 * The package as a team meets it: `npm pack` (what `npm install github:…` also does), the tarball
 * installed with aws-cdk-lib and constructs into a fresh app made by `cdk init app --language
 * typescript`, and the README's construct example synthesized there, twice:
 * - as `cdk init` makes the app, CommonJS with a NodeNext tsconfig, type-checked by tsc and run by
 *   ts-node with require(esm) switched off (as on Node 20 before 20.19), so the CommonJS build is
 *   what loads;
 * - the same app as an ES module, run by tsx.
 * The two apps share one node_modules. `npm ci --offline` installs from the npm cache only (a
 * lockfile built from this repository's), so nothing here leaves the machine. ts-node, tsx, tsc and
 * the cdk CLI run from this repository: the apps' own node_modules hold no esbuild, and PATH offers
 * no Docker but a stub that records being called.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineLockfile } from './offline-lockfile.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const bin = (path: string) => join(REPO, 'node_modules', path);
const CDK = bin('aws-cdk/bin/cdk');
const TSC = bin('typescript/bin/tsc');
const TS_NODE = bin('ts-node/dist/bin.js');
const TSX = bin('tsx/dist/cli.mjs');
const repoManifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string; devDependencies: Record<string, string> };
const INSTALL_TIMEOUT_MS = 600_000;
const MONITOR_FUNCTIONS = [
  'Checks each exchange API key',
  'Verifies one exchange API key',
  'Secrets Manager rotation',
  'Delivers exchange-key-monitor notifications',
  'Acknowledge links in alerts',
];

const work = mkdtempSync(join(tmpdir(), 'ekm-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const initApp = join(work, 'init-app');
const tsxApp = join(work, 'tsx-app');
const stubBin = join(work, 'bin');
const dockerCalls = join(work, 'docker-calls');

/** No AWS credentials, no account; PATH has node and a docker that only writes down that it was called. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: `${stubBin}:/usr/bin:/bin`, HOME: process.env['HOME'] ?? work, CDK_DISABLE_VERSION_CHECK: '1', npm_config_offline: 'true', ...extra };
}

function run(cwd: string, args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, args, { cwd, env: env(extra), encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
}

/** The README's construct example: its imports go on top of the stack file, the rest into the constructor. */
function readmeExample(): { imports: string; body: string } {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const at = readme.indexOf('\n### Add it to your own CDK app\n');
  const code = at < 0 ? undefined : /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  if (!code) throw new Error('README → "Add it to your own CDK app" has no ```ts example');
  const lines = code.split('\n');
  return {
    imports: lines.filter((l) => l.startsWith('import ')).join('\n'),
    body: lines
      .filter((l) => !l.startsWith('import '))
      .map((l) => `    ${l}`)
      .join('\n'),
  };
}

interface Synth {
  readonly status: number | null;
  readonly output: string;
  readonly out: string;
  readonly functions: { Description: string; Code: { S3Key: string } }[];
  /** The bot log groups' subscriptions to the verify function. */
  readonly subscriptions: number;
}

function synth(app: string, extra: Record<string, string> = {}): Synth {
  const out = join(work, `${app === initApp ? 'init' : 'tsx'}-cdk.out`);
  const result = run(app, [CDK, 'synth', '--quiet', '--no-notices', '-o', out], extra);
  const template = join(out, 'InitAppStack.template.json');
  const resources = existsSync(template)
    ? (JSON.parse(readFileSync(template, 'utf8')) as { Resources: Record<string, { Type: string; Properties: never }> }).Resources
    : {};
  // The monitor's five; the example's VPC brings a custom-resource function of CDK's own.
  const functions = Object.values(resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => r.Properties as { Description?: string; Code: { S3Key: string } })
    .filter((p): p is Synth['functions'][number] => MONITOR_FUNCTIONS.some((prefix) => p.Description?.startsWith(prefix)));
  const subscriptions = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::SubscriptionFilter').length;
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, out, functions, subscriptions };
}

let tarball = '';
let tarballFiles: string[] = [];
let installed = '';
let cjs: Synth;
let esm: Synth;

beforeAll(() => {
  if (!existsSync(join(REPO, 'dist/lambda/check/index.mjs'))) throw new Error('run "npm run build" first (npm test does)');
  mkdirSync(stubBin);
  symlinkSync(process.execPath, join(stubBin, 'node'));
  writeFileSync(join(stubBin, 'docker'), `#!/bin/sh\necho "$@" >> '${dockerCalls}'\nexit 1\n`);
  chmodSync(join(stubBin, 'docker'), 0o755);

  // The build ran before the tests (pretest); packing again would only rebuild the same files.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8' })) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(work, (packed[0] as { filename: string }).filename);
  tarballFiles = (packed[0] as { files: { path: string }[] }).files.map((f) => f.path);

  mkdirSync(initApp);
  const init = run(initApp, [CDK, 'init', 'app', '--language', 'typescript', '--generate-only']);
  if (init.status !== 0) throw new Error(`cdk init failed:\n${init.stderr}`);
  // jest and the template's own tooling are not in the npm cache; the app's jest scaffold goes, and
  // the packages it pins come from this repository's lockfile.
  rmSync(join(initApp, 'test'), { recursive: true });
  rmSync(join(initApp, 'jest.config.js'));
  const tsconfig = JSON.parse(readFileSync(join(initApp, 'tsconfig.json'), 'utf8')) as { compilerOptions: { types: string[] } };
  tsconfig.compilerOptions.types = tsconfig.compilerOptions.types.filter((t) => t !== 'jest');
  writeFileSync(join(initApp, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const manifest = JSON.parse(readFileSync(join(initApp, 'package.json'), 'utf8')) as Record<string, unknown>;
  const app = {
    name: 'init-app',
    dependencies: {
      'aws-cdk-lib': repoManifest.devDependencies['aws-cdk-lib'] as string,
      constructs: repoManifest.devDependencies['constructs'] as string,
      [repoManifest.name]: `file:${tarball}`,
    },
    devDependencies: { '@types/node': repoManifest.devDependencies['@types/node'] as string },
  };
  writeFileSync(join(initApp, 'package.json'), JSON.stringify({ ...manifest, ...app }, null, 2));
  const lock = offlineLockfile(join(REPO, 'package-lock.json'), app, { name: repoManifest.name, path: tarball, relative: `file:${tarball}` });
  writeFileSync(join(initApp, 'package-lock.json'), JSON.stringify(lock, null, 2));
  const install = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
    cwd: initApp,
    env: { ...env(), PATH: process.env['PATH'] ?? '' },
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
  });
  if (install.status !== 0) throw new Error(`npm ci --offline failed:\n${install.stderr}`);
  installed = join(initApp, 'node_modules', repoManifest.name);

  const example = readmeExample();
  const stackFile = join(initApp, 'lib/init-app-stack.ts');
  const stack = readFileSync(stackFile, 'utf8');
  if (!stack.includes('// The code that defines your stack goes here')) throw new Error('cdk init wrote a stack file this test does not know');
  writeFileSync(stackFile, `${example.imports}\n${stack.replace('    // The code that defines your stack goes here', example.body)}`);

  // The same app as an ES module, run by tsx, sharing the installed node_modules.
  cpSync(initApp, tsxApp, { recursive: true, filter: (src) => !src.startsWith(join(initApp, 'node_modules')) });
  symlinkSync(join(initApp, 'node_modules'), join(tsxApp, 'node_modules'));
  writeFileSync(join(tsxApp, 'package.json'), JSON.stringify({ ...manifest, ...app, type: 'module' }, null, 2));

  const cdkJson = (dir: string, command: string) => {
    const config = JSON.parse(readFileSync(join(dir, 'cdk.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ ...config, app: command }, null, 2));
  };
  cdkJson(initApp, `node ${TS_NODE} --prefer-ts-exts bin/init-app.ts`);
  cdkJson(tsxApp, `node ${TSX} bin/init-app.ts`);
  cjs = synth(initApp, { NODE_OPTIONS: '--no-experimental-require-module' });
  esm = synth(tsxApp);
}, INSTALL_TIMEOUT_MS);

describe('the packed package, installed into apps of their own', () => {
  it('packs compiled JavaScript, declarations and the prebuilt Lambda bundles; no tests, no TypeScript sources, no lockfile', () => {
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'bin/key-monitor.mjs',
        'dist/cli/key-monitor.mjs',
        'dist/esm/cdk/index.js',
        'dist/esm/cdk/index.d.ts',
        'dist/cjs/cdk/index.js',
        'dist/cjs/cdk/index.d.ts',
      ]),
    );
    for (const name of ['check', 'verify', 'rotate', 'notify', 'ack']) expect(tarballFiles).toContain(`dist/lambda/${name}/index.mjs`);
    // The README links its references in docs/: they travel with it, so the links resolve in node_modules too.
    for (const page of readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md'))) expect(tarballFiles).toContain(`docs/${page}`);
    expect(tarballFiles.filter((f) => /(^|\/)test\/|\.test\.|(?<!\.d)\.ts$|package-lock\.json|^cdk\.json$|^scripts\//.test(f))).toEqual([]);
  });

  it('packs no CLI chunk left over from an earlier build: every file in dist/cli is reached from the entry', () => {
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const [, next] of readFileSync(join(REPO, 'dist/cli', file), 'utf8').matchAll(/["']\.\/([\w.-]+\.mjs)["']/g)) visit(next as string);
    };
    visit('key-monitor.mjs');
    expect(tarballFiles.filter((f) => f.startsWith('dist/cli/') && !reached.has(f.slice('dist/cli/'.length)))).toEqual([]);
  });

  it('installs with neither esbuild nor Docker: no esbuild in the apps’ node_modules, none reachable from the package', () => {
    for (const dir of ['esbuild', '@esbuild', '.bin/esbuild']) expect(existsSync(join(initApp, 'node_modules', dir)), dir).toBe(false);
    expect(() => createRequire(join(installed, 'package.json')).resolve('esbuild')).toThrow(/Cannot find module 'esbuild'/);
  });

  it('the cdk init app (CommonJS, ts-node, no require of ES modules) synthesizes the README example: four functions and the log subscription, prebuilt code, nothing bundled', () => {
    expect(cjs.status, cjs.output).toBe(0);
    expect(cjs.functions.map((f) => MONITOR_FUNCTIONS.find((p) => f.Description.startsWith(p))).sort()).toEqual([...MONITOR_FUNCTIONS].sort());
    expect(cjs.output).not.toMatch(/Bundling asset|esbuild|docker/i);
    expect(existsSync(dockerCalls)).toBe(false);
    expect(cjs.subscriptions).toBe(1);
    const notifier = cjs.functions.find((f) => f.Description.startsWith('Delivers'));
    const staged = join(cjs.out, `asset.${notifier?.Code.S3Key.replace(/\.zip$/, '')}`);
    expect(readFileSync(join(staged, 'index.mjs')).equals(readFileSync(join(installed, 'dist/lambda/notify/index.mjs')))).toBe(true);
    for (const fn of cjs.functions) expect(readdirSync(join(cjs.out, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`))).toContain('index.mjs');
  });

  it('the same app as an ES module run by tsx synthesizes it too, to the same asset hashes', () => {
    expect(esm.status, esm.output).toBe(0);
    expect(esm.functions.map((f) => MONITOR_FUNCTIONS.find((p) => f.Description.startsWith(p))).sort()).toEqual([...MONITOR_FUNCTIONS].sort());
    expect(esm.output).not.toMatch(/Bundling asset|esbuild|docker/i);
    expect(existsSync(dockerCalls)).toBe(false);
    const hashes = (s: Synth) => s.functions.map((f) => f.Code.S3Key).sort();
    expect(hashes(esm)).toEqual(hashes(cjs));
  });

  it('its types resolve under the tsconfig cdk init writes (NodeNext) and under the older one (CommonJS, node10 resolution)', () => {
    const nodeNext = run(initApp, [TSC, '--noEmit', '-p', '.']);
    expect(nodeNext.stdout + nodeNext.stderr).toBe('');
    const node10 = run(initApp, [TSC, '--noEmit', '-p', '.', '--module', 'commonjs', '--moduleResolution', 'node10']);
    expect(node10.stdout + node10.stderr).toBe('');
  });

  it('the key-monitor CLI runs from the installed package', () => {
    const cli = spawnSync(join(initApp, 'node_modules/.bin/key-monitor'), ['--version'], { cwd: initApp, env: env(), encoding: 'utf8' });
    expect(cli.stderr).toBe('');
    expect(cli.stdout.trim()).toContain(repoManifest.version);
    expect(cli.status).toBe(0);
  });
});
