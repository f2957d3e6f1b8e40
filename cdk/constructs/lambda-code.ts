import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KEYS_FILE_NAME } from '../../src/contract/env.js';
import type { MonitoredKey } from '../../src/monitor/runtime-config.js';

/**
 * The prebuilt handler bundles: scripts/build.mjs writes dist/lambda/<name>/index.mjs, its source map,
 * the chunks it loads when needed and undici's parser; every file of the folder ships.
 */
export type LambdaBundleName = 'check' | 'verify' | 'rotate' | 'notify' | 'ack';

const PACKAGE_NAME = 'exchange-key-monitor';
const BUNDLE_FILES = ['index.mjs', 'index.mjs.map'] as const;

/** A prebuilt Lambda bundle is not where the package keeps it: the package was never built. */
export class LambdaBundleMissingError extends Error {
  override readonly name = 'LambdaBundleMissingError';
  constructor(
    readonly path: string,
    root: string,
  ) {
    super(`the prebuilt Lambda bundle ${path} is missing; run "npm run build" in ${root} first`);
  }
}

/**
 * This package's root: the nearest folder upwards whose package.json names it. The same walk works
 * from the TypeScript sources (cdk/constructs/), the ES module build (dist/esm/cdk/constructs/) and
 * the CommonJS build (dist/cjs/cdk/, whose own package.json names no package).
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${PACKAGE_NAME}: no package.json of ${PACKAGE_NAME} above ${from}`);
    dir = parent;
  }
}

/** The folder holding one prebuilt bundle, or a named error saying how to build it. */
export function bundleDir(name: LambdaBundleName, root: string = packageRoot()): string {
  const dir = join(root, 'dist', 'lambda', name);
  for (const file of BUNDLE_FILES) {
    if (!existsSync(join(dir, file))) throw new LambdaBundleMissingError(join(dir, file), root);
  }
  return dir;
}

/**
 * The key list travels as a file in the function's code: it grows with the keys (1,000 keys are
 * about 80 KB) while Lambda's environment holds 4 KB in all, and a file costs no API call and no
 * permission at cold start. The prebuilt bundle cannot hold it, so the bundle and the key file are
 * staged together in a folder named by the hash of their content: the same bundle and keys give the
 * same folder, the same asset hash, and nothing piles up in the temp folder across synths.
 */
function stageWithKeys(bundle: string, keys: readonly MonitoredKey[]): string {
  const keysJson = JSON.stringify(keys);
  const files = readdirSync(bundle).sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(readFileSync(join(bundle, file)));
  hash.update(keysJson);
  const staged = join(tmpdir(), `${PACKAGE_NAME}-assets`, hash.digest('hex').slice(0, 32));
  if (existsSync(join(staged, KEYS_FILE_NAME))) return staged;
  mkdirSync(dirname(staged), { recursive: true });
  // Written aside and renamed into place, so a synth running alongside never sees half a folder.
  const work = mkdtempSync(`${staged}-`);
  for (const file of files) copyFileSync(join(bundle, file), join(work, file));
  writeFileSync(join(work, KEYS_FILE_NAME), keysJson);
  try {
    renameSync(work, staged);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    if (!existsSync(join(staged, KEYS_FILE_NAME))) throw err;
  }
  return staged;
}

/** A function's code: the prebuilt bundle as it is, or staged with the key list next to it. */
export function lambdaCode(name: LambdaBundleName, keys?: readonly MonitoredKey[]): lambda.Code {
  const bundle = bundleDir(name);
  return lambda.Code.fromAsset(keys ? stageWithKeys(bundle, keys) : bundle);
}
