// Builds everything the package ships, so neither the CLI nor a CDK app that uses the construct needs
// a TypeScript loader, esbuild or Docker at run time:
// - dist/cli: the `key-monitor` CLI; code splitting keeps the AWS SDK and the sandbox out of the
//   start-up path until they are used.
// - dist/lambda/<name>/index.mjs: the Lambda handlers, bundled once here; synth only copies them.
// - dist/esm and dist/cjs: the construct library (`exchange-key-monitor/cdk`) as ES modules with
//   declarations, and as one CommonJS file for apps that `require` it (every `cdk init` TypeScript app).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

/** The Lambda handlers by bundle name; the construct asks for dist/lambda/<name>. */
const LAMBDA_HANDLERS = {
  check: 'src/handlers/check.ts',
  verify: 'src/handlers/verify.ts',
  rotate: 'src/handlers/rotate.ts',
  notify: 'src/handlers/notify.ts',
  ack: 'src/handlers/ack.ts',
};
/**
 * The Node.js 24 runtime ships AWS SDK v3; bundling it again would only slow cold starts. undici
 * carries its HTTP parser twice (SIMD and plain WebAssembly, 70 KB each) and loads the plain one only
 * where SIMD is missing, which Node on arm64 never is.
 */
const LAMBDA_EXTERNALS = ['@aws-sdk/*', '*/llhttp/llhttp-wasm.js'];
/**
 * The runtime's AWS SDK packages are CommonJS. Imported from an ES module, Node first scans each one
 * for its export names (cjs-module-lexer) and wraps it; a plain require() skips both, which takes about
 * a fifth off the check function's module init. The SDK stays external: this only changes how the
 * bundle asks for it. Each export is its own pure binding, so the bundle reads only the names it uses
 * instead of copying a client's whole namespace (526 getters for DynamoDB) at module init. The names
 * are the installed package's; one the runtime's SDK lacked would be undefined either way.
 */
const localRequire = createRequire(join(root, 'package.json'));
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** Names an `export const` cannot take, and the module's own binding. */
const NOT_A_BINDING = new Set(
  'awsSdkModule await break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return static super switch this throw true try typeof var void while with yield'.split(
    ' ',
  ),
);
const requireAwsSdk = {
  name: 'require-aws-sdk',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\// }, (args) =>
      args.namespace === 'aws-sdk-require' ? { path: args.path, external: true } : { path: args.path, namespace: 'aws-sdk-require' },
    );
    b.onLoad({ filter: /.*/, namespace: 'aws-sdk-require' }, (args) => {
      const names = Object.keys(localRequire(args.path)).filter((n) => IDENTIFIER.test(n) && !NOT_A_BINDING.has(n));
      const lines = names.map((n) => `export const ${n} = /* @__PURE__ */ (() => awsSdkModule.${n})();`);
      return { contents: `const awsSdkModule = require(${JSON.stringify(args.path)});\n${lines.join('\n')}\n`, loader: 'js' };
    });
  },
};

/**
 * @middy/core imports node:stream/web for its response-streaming mode, which no handler of ours
 * turns on; at module init it loads six of Node's internal web-stream modules. Here it is read on
 * first use instead.
 */
const lazyStreamWebForMiddy = {
  name: 'lazy-stream-web-for-middy',
  setup(b) {
    b.onResolve({ filter: /^node:stream\/web$/ }, (args) =>
      /[\\/]@middy[\\/]core[\\/]/.test(args.importer) ? { path: 'stream-web', namespace: 'lazy-stream-web' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-stream-web' }, () => ({
      contents: 'module.exports = { get ReadableStream() { return require("node:stream/web").ReadableStream; } };',
      loader: 'js',
    }));
  },
};

/** CommonJS dependencies (undici) call require() on Node built-ins; ESM needs a shim for that. */
const LAMBDA_BANNER = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

// Each output folder starts empty: chunk names carry a content hash, and a chunk left from an
// earlier build would be packed and published with the new ones.
rmSync('dist/cli', { recursive: true, force: true });
await build({
  entryPoints: { 'key-monitor': 'src/cli/run.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
});

/**
 * undici's HTTP parser (WebAssembly, 70 KB as a JS module) is read on the first connection, not at
 * module init: it ships as a file next to the bundle and is required from there when needed.
 */
const LLHTTP_SIMD_SOURCE = 'llhttp_simd-wasm.js';
// .cjs: CommonJS wherever the bundle sits, even under a package.json that says "type": "module".
const LLHTTP_SIMD = 'llhttp_simd-wasm.cjs';
const llhttpBeside = {
  name: 'llhttp-beside-bundle',
  setup(b) {
    b.onResolve({ filter: /llhttp\/llhttp_simd-wasm\.js$/ }, () => ({ path: `./${LLHTTP_SIMD}`, external: true }));
  },
};

/**
 * Two parts of undici's HTTP/1 client that no handler of ours can reach, left out of the bundles: the
 * HTTP/2 session code (used only on a socket that negotiated h2, which needs `allowH2`; we never
 * set it) and the fetch body encoder with WebIDL, FormData and data: URLs (used only for a FormData
 * request body; ours are strings). Together about 50 KB of the check function's cold path. undici
 * requires them unconditionally at load, so each is replaced by a stub that throws a named error if
 * it is ever called, rather than left external and missing.
 */
const UNREACHABLE_UNDICI = [
  { filter: /\/client-h2\.js$/, contents: 'module.exports = () => { throw new UndiciPartMissing("HTTP/2 (allowH2)"); };' },
  { filter: /\/web\/fetch\/body\.js$/, contents: 'module.exports = { extractBody() { throw new UndiciPartMissing("FormData request bodies"); } };' },
];
const UNDICI_PART_MISSING =
  'class UndiciPartMissing extends Error { constructor(part) { super(`${part}: not built into this Lambda bundle (scripts/build.mjs)`); this.name = "UndiciPartMissing"; } }\n';
const leaveOutUnreachableUndici = {
  name: 'leave-out-unreachable-undici',
  setup(b) {
    for (const [i, part] of UNREACHABLE_UNDICI.entries()) {
      b.onResolve({ filter: part.filter }, (args) =>
        /[\\/]undici[\\/]lib[\\/]/.test(args.importer) ? { path: `part-${i}`, namespace: 'unreachable-undici' } : undefined,
      );
    }
    b.onLoad({ filter: /.*/, namespace: 'unreachable-undici' }, (args) => ({
      contents: UNDICI_PART_MISSING + (UNREACHABLE_UNDICI[Number(args.path.slice('part-'.length))]?.contents ?? ''),
      loader: 'js',
    }));
  },
};

rmSync('dist/lambda', { recursive: true, force: true });
await Promise.all(
  Object.entries(LAMBDA_HANDLERS).map(([name, entry]) =>
    build({
      entryPoints: { index: entry },
      outdir: `dist/lambda/${name}`,
      // Code a steady run does not use (notification texts, the proxy agent, the announcement parser)
      // is imported where it is needed and lands in its own chunk, outside the cold path.
      splitting: true,
      chunkNames: 'chunk-[hash]',
      outExtension: { '.js': '.mjs' },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node24', // the functions' runtime (LAMBDA_RUNTIME in cdk/constructs/monitor-function.ts)
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      external: LAMBDA_EXTERNALS,
      plugins: [requireAwsSdk, lazyStreamWebForMiddy, llhttpBeside, leaveOutUnreachableUndici],
      banner: { js: LAMBDA_BANNER },
      logLevel: 'warning',
    }),
  ),
);

for (const name of Object.keys(LAMBDA_HANDLERS)) cpSync(join('node_modules/undici/lib/llhttp', LLHTTP_SIMD_SOURCE), join('dist/lambda', name, LLHTTP_SIMD));

rmSync('dist/esm', { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// One file, so the CommonJS entry cannot reach an ES module by a relative import. `import.meta.url`
// (used to find the Lambda bundles) becomes this file's URL.
rmSync('dist/cjs', { recursive: true, force: true });
await build({
  entryPoints: ['cdk/index.ts'],
  outfile: 'dist/cjs/cdk/index.js',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  define: { 'import.meta.url': '__ekmModuleUrl' },
  banner: { js: "const __ekmModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
// The declarations again, under a package.json that makes TypeScript read them as CommonJS: a
// `require` of this entry type-checks under `module: NodeNext` whatever the app's TypeScript
// (before 5.8 it refuses an ES module's declarations there). `typesVersions` in package.json points
// the older `moduleResolution: node10`, which ignores `exports`, at them too.
writeFileSync('dist/cjs/package.json', `${JSON.stringify({ type: 'commonjs' })}\n`);
for (const dir of ['cdk', 'src']) {
  cpSync(join('dist/esm', dir), join('dist/cjs', dir), { recursive: true, filter: (src) => !src.endsWith('.js') });
}
if (!existsSync('dist/cjs/cdk/index.d.ts')) throw new Error('build: dist/cjs/cdk/index.d.ts was not written');
