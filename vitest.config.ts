import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Real servers, real SQLite files and real child processes: give them room on 2 noisy cores.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    environment: 'node',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.{ts,tsx}'],
          exclude: ['tests/e2e/**', 'node_modules/**'],
        },
      },
      {
        // Browser end-to-end tests (real Chromium, real agent, real server). globalSetup builds the renderer
        // first; files run one at a time because each drives a browser, an agent and a server.
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
