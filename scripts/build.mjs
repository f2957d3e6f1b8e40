// Bundles the CLI so `npx key-monitor` starts fast with no TypeScript loader at run time.
// Code splitting keeps the AWS SDK and the sandbox out of the start-up path until they are used.
import { build } from 'esbuild';

await build({
  entryPoints: { 'key-monitor': 'lambdas/cli/run.ts' },
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
