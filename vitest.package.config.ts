import { defineConfig } from 'vitest/config';

// `npm run test:package` (.ci/run calls it after `npm test`): packs the package and installs it into
// fresh apps, several minutes on 2 cores, so it stays out of `npm test`. Needs `npm run build` first.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    reporters: ['default'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
