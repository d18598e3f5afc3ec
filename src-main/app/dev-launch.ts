/**
 * `npm start` with the Electron binary installed (src-main/cli/start.ts): the app runs from a staging dir,
 * dist/electron-app, whose node_modules links every package of the checkout except better-sqlite3, which is a
 * copy rebuilt for Electron's ABI there. The checkout's own node_modules keeps the Node build the tests need, so
 * nobody flips one node_modules back and forth. Plain Node, no 'electron' import: tested with a stand-in binary.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';

/** Native packages the main process or the server child load (rebuilt for Electron in the staging dir). */
export const ELECTRON_NATIVE_PACKAGES = ['better-sqlite3'] as const;

/** The environment for the Electron child: an inherited ELECTRON_RUN_AS_NODE would start plain Node instead. */
export function electronChildEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.ELECTRON_RUN_AS_NODE;
  return out;
}

/** `npm start`'s exit status for the Electron child's end: a signal is a failure, never 0. */
export function launchExit(
  code: number | null,
  signal: NodeJS.Signals | null,
): { code: number; message?: string } {
  if (signal) return { code: 1, message: `Electron was stopped by ${signal}` };
  if (code === null) return { code: 1, message: 'Electron ended without an exit code' };
  return code === 0 ? { code: 0 } : { code, message: `Electron exited with code ${code}` };
}

/** True when the staging dir's better-sqlite3 opens a database inside this Electron (its Node mode). */
export function nativeModulesLoad(electronBin: string, appDir: string): boolean {
  const script = ELECTRON_NATIVE_PACKAGES.map(
    (p) => `require(${JSON.stringify(join(appDir, 'node_modules', p))})(':memory:').close();`,
  ).join('');
  const r = spawnSync(electronBin, ['-e', script], {
    env: { ...electronChildEnv(process.env), ELECTRON_RUN_AS_NODE: '1' },
    stdio: 'pipe',
    timeout: 60_000,
  });
  return r.status === 0;
}

/**
 * The staging dir's skeleton: package.json, resources, and node_modules entries linking the checkout's packages
 * (junctions on Windows, so no admin rights are needed). Native packages are left for stageNativeCopies().
 */
export function prepareStagingDir(repoRoot: string, appDir: string): void {
  mkdirSync(join(appDir, 'node_modules'), { recursive: true });
  copyFileSync(join(repoRoot, 'package.json'), join(appDir, 'package.json'));
  link(join(repoRoot, 'resources'), join(appDir, 'resources'));
  const skip = new Set<string>([...ELECTRON_NATIVE_PACKAGES, '.bin', '.package-lock.json']);
  for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
    if (!skip.has(name)) link(join(repoRoot, 'node_modules', name), join(appDir, 'node_modules', name));
  }
}

/** Fresh copies of the native packages (the Node builds), to be rebuilt for Electron in place. */
export function stageNativeCopies(repoRoot: string, appDir: string): void {
  for (const p of ELECTRON_NATIVE_PACKAGES) {
    const target = join(appDir, 'node_modules', p);
    rmSync(target, { recursive: true, force: true });
    cpSync(join(repoRoot, 'node_modules', p), target, { recursive: true });
  }
}

function link(target: string, path: string): void {
  if (existsSync(path) || isDanglingLink(path)) return;
  symlinkSync(target, path, 'junction');
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export type Rebuild = (opts: { appDir: string; electronVersion: string }) => Promise<void>;

/**
 * Makes the staging dir's native modules load in this Electron: nothing to do when they already do; otherwise
 * fresh copies rebuilt for it. Throws with the exact command to run by hand when that still fails (no headers,
 * no compiler).
 */
export async function ensureElectronNative(opts: {
  electronBin: string;
  electronVersion: string;
  repoRoot: string;
  appDir: string;
  rebuild: Rebuild;
  print(line: string): void;
}): Promise<'ready' | 'rebuilt'> {
  prepareStagingDir(opts.repoRoot, opts.appDir);
  const staged = ELECTRON_NATIVE_PACKAGES.every((p) => existsSync(join(opts.appDir, 'node_modules', p)));
  if (staged && nativeModulesLoad(opts.electronBin, opts.appDir)) return 'ready';
  opts.print(
    `Rebuilding ${ELECTRON_NATIVE_PACKAGES.join(', ')} for Electron ${opts.electronVersion} in ${opts.appDir} (the checkout's node_modules stays built for Node)`,
  );
  stageNativeCopies(opts.repoRoot, opts.appDir);
  try {
    await opts.rebuild({ appDir: opts.appDir, electronVersion: opts.electronVersion });
  } catch (err) {
    throw new Error(
      `rebuilding for Electron failed (${err instanceof Error ? err.message : String(err)}). Run by hand: npx @electron/rebuild --version ${opts.electronVersion} --module-dir ${opts.appDir} --only ${ELECTRON_NATIVE_PACKAGES.join(',')} --force`,
    );
  }
  if (!nativeModulesLoad(opts.electronBin, opts.appDir)) {
    throw new Error(
      `better-sqlite3 still does not load in Electron ${opts.electronVersion} after the rebuild. Run by hand: npx @electron/rebuild --version ${opts.electronVersion} --module-dir ${opts.appDir} --only ${ELECTRON_NATIVE_PACKAGES.join(',')} --force`,
    );
  }
  return 'rebuilt';
}

export function electronVersion(repoRoot: string): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'node_modules/electron/package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
