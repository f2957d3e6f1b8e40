import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Packs and installs the package into fresh apps: minutes, so `npm run test:package` runs it.
    exclude: ['test/package/**', '**/node_modules/**'],
    // CDK synth and moto_server start-up are slow on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // These machines run Node 20; the AWS SDK's notice about it is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
