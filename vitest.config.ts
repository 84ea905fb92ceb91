import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['core/**/*.test.ts', 'main/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'system',
          include: ['e2e/system/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'protocol',
          include: ['e2e/protocol/**/*.test.ts'],
          globalSetup: ['e2e/support/lab-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'app',
          include: ['e2e/app/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
