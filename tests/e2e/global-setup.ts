/**
 * Global setup of the e2e project: build the renderer once (vite build → dist/renderer), which the headless
 * agent's `--ui` bridge serves. Runs before any browser test, so `npm test` on a clean clone needs no extra step.
 */
import { build } from 'vite';
import { fileURLToPath } from 'node:url';

export default async function setup(): Promise<void> {
  // vitest sets NODE_ENV=test, which would make Vite and the React plugin emit a development bundle.
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: fileURLToPath(new URL('../../vite.config.ts', import.meta.url)),
      mode: 'production',
      logLevel: 'warn',
    });
  } finally {
    process.env.NODE_ENV = saved;
  }
}
