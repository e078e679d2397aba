import { defineConfig } from 'vitest/config';

// One run for the whole monorepo. Tests talk to a real NATS and a real PostgreSQL; each test file
// isolates itself (unique subject prefix, stream names and database schema), so files run in parallel.
export default defineConfig({
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    globalSetup: ['packages/testkit/src/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: ['default', './packages/testkit/src/summary-reporter.ts'],
  },
});
