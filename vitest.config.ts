import { defineConfig } from 'vitest/config';

// Two layers, run separately by scripts/test.sh: unit tests need no server; integration tests
// talk to the real Temporal and S3 servers that the global setup starts (or finds running).
// The pinned AWS SDK supports Node 20; silence its notice about future releases needing Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          // One Temporal + S3 stack per run; tests share it with fresh task queues, so run files
          // one after another to keep the 2-core machine from starving workers.
          fileParallelism: false,
        },
      },
    ],
  },
});
