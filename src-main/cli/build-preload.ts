/**
 * Bundles src-preload/preload.ts into one CommonJS file (dist/preload/preload.cjs): a sandboxed preload cannot
 * load project modules, only `require('electron')`. Run by `npm start` (Electron branch) and `npm run dist`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

export async function buildPreload(outfile = `${root}dist/preload/preload.cjs`): Promise<string> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [`${root}src-preload/preload.ts`],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'browser',
    target: 'chrome120',
    external: ['electron'],
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildPreload().then(
    (file) => console.log(`preload bundled: ${file}`),
    (err: unknown) => {
      console.error(`preload bundle failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
