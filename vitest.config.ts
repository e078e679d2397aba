import { defineConfig } from 'vitest/config';

const shared = {
  globalSetup: ['tools/testkit/src/global-setup.ts'],
  pool: 'forks' as const,
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

// One run for the whole monorepo, two projects. `unit`: tests talk to a real NATS and a real PostgreSQL; each test
// file isolates itself (unique subject prefix, stream names and database schema), so files run in parallel.
// `faults`: the fault suite (test/faults), which starts servers of its own and kills them, and the services as
// processes; its files run two at a time (each starts several processes on a 2-core machine), and the long outage
// of the receivers' test overlaps the others. `pnpm test` runs both, `pnpm test:faults` the second.
export default defineConfig({
  test: {
    teardownTimeout: 20_000,
    reporters: ['default', './tools/testkit/src/summary-reporter.ts'],
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          // Projects with different maxWorkers run as separate groups: the unit suite first, then the fault suite.
          sequence: { groupOrder: 0 },
          include: [
            'packages/*/test/**/*.test.ts',
            'tools/*/test/**/*.test.ts',
            'services/*/test/**/*.test.ts',
            'test/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', 'test/faults/**'],
        },
      },
      {
        test: {
          ...shared,
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
