/**
 * `npm start`: builds and launches the Electron desktop app when its binary is installed. Where it is missing
 * (ELECTRON_SKIP_BINARY_DOWNLOAD, CI, these machines) it says so in one line and starts the headless agent with
 * its web UI and the embedded server instead. Flags after `--` (`--data-dir`, `--port`, `--secrets-file`) mean the
 * same to both (see `--help`).
 *
 * The Electron run uses a staging dir (dist/electron-app, src-main/app/dev-launch.ts) whose better-sqlite3 is
 * rebuilt for Electron, so `npm test` keeps the checkout's Node build.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  electronChildEnv,
  electronVersion,
  ensureElectronNative,
  launchExit,
  type Rebuild,
} from '../app/dev-launch.js';
import { ensureDataDir } from '../../src-shared/data-dir.js';
import { runUiCli, uiDataDir } from './web-ui/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const appDir = join(root, 'dist/electron-app');

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

async function buildRenderer(outDir?: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    ...(outDir ? { build: { outDir, emptyOutDir: true } } : {}),
  });
}

/** @electron/rebuild (electron-builder's own rebuilder) on the staging dir only. */
const rebuild: Rebuild = async ({ appDir: buildPath, electronVersion: version }) => {
  const { rebuild: run } = await import('@electron/rebuild');
  await run({ buildPath, electronVersion: version, onlyModules: ['better-sqlite3'], force: true });
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const bin = electronBinary();
  if (bin) {
    const tsc = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(root, 'tsconfig.build.json'),
        '--outDir',
        join(appDir, 'dist'),
      ],
      { stdio: 'inherit' },
    );
    if (tsc.status !== 0) throw new Error('TypeScript build failed');
    await buildRenderer(join(appDir, 'dist/renderer'));
    const { buildPreload } = await import('./build-preload.js');
    await buildPreload(join(appDir, 'dist/preload/preload.cjs'));
    await ensureElectronNative({
      electronBin: bin,
      electronVersion: electronVersion(root),
      repoRoot: root,
      appDir,
      rebuild,
      print: (line) => console.log(line),
    });
    const child = spawn(bin, [appDir, ...args], { stdio: 'inherit', env: electronChildEnv(process.env) });
    child.on('exit', (code, signal) => {
      const end = launchExit(code, signal);
      if (end.message) console.error(`outpost: ${end.message}`);
      process.exit(end.code);
    });
    return;
  }
  console.log(
    'Electron binary not installed here: starting the headless agent with its web UI and the embedded server instead',
  );
  // An unusable data dir is said at once, not after a renderer build.
  ensureDataDir(uiDataDir(args));
  if (!existsSync(join(root, 'dist/renderer/index.html'))) await buildRenderer();
  await runUiCli(args);
}

main().catch((err: unknown) => {
  console.error(`outpost: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
