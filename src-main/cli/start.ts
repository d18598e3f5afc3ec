/**
 * `npm start`: builds and launches the Electron desktop app when its binary is installed. Where it is missing
 * (ELECTRON_SKIP_BINARY_DOWNLOAD, CI, these machines) it says so in one line and starts the headless agent with
 * its web UI and the embedded server instead. Flags after `--` go to whichever runs (see `--help`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runUiCli } from './web-ui/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The Electron binary's path, or null. Reads electron's path.txt directly: `require('electron')` would try to
 * download the binary when it is missing.
 */
function electronBinary(): string | null {
  try {
    const pkgDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const pathFile = join(pkgDir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const bin = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

async function buildRenderer(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const bin = electronBinary();
  if (bin) {
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
      {
        stdio: 'inherit',
      },
    );
    if (tsc.status !== 0) throw new Error('TypeScript build failed');
    await buildRenderer();
    const { buildPreload } = await import('./build-preload.js');
    await buildPreload();
    const child = spawn(bin, [root, ...args], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
    return;
  }
  console.log(
    'Electron binary not installed here: starting the headless agent with its web UI and the embedded server instead',
  );
  if (!existsSync(join(root, 'dist/renderer/index.html'))) await buildRenderer();
  await runUiCli(args);
}

main().catch((err: unknown) => {
  console.error(`outpost: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
