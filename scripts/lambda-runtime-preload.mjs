// What the Lambda Node.js runtime has already loaded when it imports a function's handler, so the
// bench times a handler's module init from the same starting point (ours and ccxt's alike).
//
// The nodejs24.x runtime's /var/runtime/index.mjs is the AWS Lambda Node.js Runtime Interface Client
// 4.x (github.com/aws/aws-lambda-nodejs-runtime-interface-client, the TypeScript rewrite of PR #161;
// read at commit 90b5b5bc): nodejs24.x init errors show its frames, `errorOnDeprecatedCallback` ←
// `createRuntime` ← `ignition` in /var/runtime/index.mjs (CodeGenieApp/serverless-express#707), which
// 3.x does not have. Before it imports the handler (single-concurrency mode; @aws/lambda-invoke-store
// loads async_hooks only when AWS_LAMBDA_MAX_CONCURRENCY is set):
// - src/utils/cjs-require.ts loads `module` (createRequire);
// - src/worker/ignition.ts and worker/worker-manager.ts load `worker_threads`;
// - src/utils/worker.ts loads `fs` and `os` (`fs` also function/dynamic-imports.ts and the telemetry
//   and socket loggers); logging/formatter.ts `util`; utils/socket.ts and stream/response-stream.ts
//   `net`; utils/handler-path.ts and function/module-loader.ts `path`;
// - src/client/rapid-client.ts loads `http`, and utils/runtime-setup.ts `createRuntime()` builds the
//   Runtime API client, `new Agent({ keepAlive: true, maxSockets: 1 })`, before
//   `UserFunctionLoader.load()` imports the handler.
// Nothing here is a module that only a handler's dependencies load (the AWS SDK's https, tls, http2,
// crypto, zlib): those stay in the handler's module init. test/scripts/lambda-runtime-preload.test.ts
// pins this list and checks that the bench's own child starts where ccxt's script does.
//
// BENCH_BARE=1 skips this: a bare Node process (the bench sets it for its bare cold-init pass).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const RUNTIME_MODULES = ['module', 'worker_threads', 'fs', 'os', 'path', 'util', 'net', 'http'];

export function loadWhatTheLambdaRuntimeHasLoaded() {
  if (process.env.BENCH_BARE === '1') return false;
  for (const name of RUNTIME_MODULES) require(name);
  new (require('http').Agent)({ keepAlive: true, maxSockets: 1 });
  return true;
}
