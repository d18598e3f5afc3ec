/**
 * `npm run test:electron`: the packaged-app smoke test (smoke.spec.ts), on a machine with the Electron binary
 * and a `electron-builder --dir` build in out/. Not part of `npm test` (whose pattern is *.test.ts).
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/app/electron/**/*.spec.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
