// What the Lambda Node.js runtime has already loaded when it imports a function's handler, so the
// bench times a handler's module init from the same starting point (ours and ccxt's alike).
//
// The managed runtime's /var/runtime/index.mjs is the AWS Lambda Node.js Runtime Interface Client
// (github.com/aws/aws-lambda-nodejs-runtime-interface-client, 3.3.0) bundled with esbuild: its stack
// frames (`UserFunction.js.module.exports.load`, `_tryAwaitImport`, `_loadUserApp`) are that
// client's. Its `run()` builds the Runtime API client before it loads the handler, and at that point
// these Node modules are loaded: RAPIDClient.js `require('http')` and `new http.Agent({ keepAlive:
// true, maxSockets: 1 })`; ResponseStream.js `net`; Errors.js and LogPatch.js `util`, `fs`;
// InvokeContext.js `assert`; UserFunction.js `fs`, `path`, `module`. Nothing else: its native
// Runtime API client (rapid-client.node) has no JavaScript of its own to load.
//
// BENCH_BARE=1 skips this: a bare Node process, as before the runtime was taken into account.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const RUNTIME_MODULES = ['assert', 'fs', 'util', 'net', 'path', 'module', 'http'];

export function loadWhatTheLambdaRuntimeHasLoaded() {
  if (process.env.BENCH_BARE === '1') return false;
  for (const name of RUNTIME_MODULES) require(name);
  new (require('http').Agent)({ keepAlive: true, maxSockets: 1 });
  return true;
}
