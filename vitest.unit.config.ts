import { defineConfig } from 'vitest/config';

// `npm run test:unit`: the quick loop while coding. Pure logic, renderers, the exchange and channel
// transports against loopback servers, AWS adapters with mocked clients; no moto_server, no CDK synth,
// no CLI bundle. `npm test` still runs everything, these included.
export default defineConfig({
  test: {
    include: [
      'test/monitor/**/*.test.ts',
      'test/exchange/**/*.test.ts',
      'test/channels/**/*.test.ts',
      'test/aws/**/*.test.ts',
      'test/docs/**/*.test.ts',
      'test/scripts/**/*.test.ts',
      'test/cli/**/*.test.ts',
    ],
    exclude: ['**/*.moto.test.ts', '**/node_modules/**'],
    // Many of these tests wait on loopback timeouts rather than the CPU; more workers than cores overlap
    // the waits (vitest gives a two-core machine a single worker). The full suite's limits, as busy cores
    // stretch those waits.
    pool: 'threads',
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
