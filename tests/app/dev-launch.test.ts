/**
 * `npm start`'s Electron path without the Electron binary: a stand-in executable plays Electron's Node mode
 * (ELECTRON_RUN_AS_NODE=1 <bin> -e …), the staging dir and its native copy are real files, the rebuild step is
 * injected (the real one needs Electron's headers from the internet).
 */
import { chmodSync, lstatSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronChildEnv, ensureElectronNative, launchExit } from '../../src-main/app/dev-launch.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let electronLike: string;
let brokenElectron: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-devlaunch-'));
  electronLike = join(dir, 'electron');
  // Only answers in Node mode, like the real binary's `-e`.
  writeFileSync(
    electronLike,
    `#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = "1" ] || exit 9\nexec "${process.execPath}" "$@"\n`,
  );
  chmodSync(electronLike, 0o755);
  brokenElectron = join(dir, 'electron-abi-mismatch');
  writeFileSync(
    brokenElectron,
    '#!/bin/sh\necho "was compiled against a different Node.js version" >&2\nexit 1\n',
  );
  chmodSync(brokenElectron, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm start (Electron path)', () => {
  it('clears an inherited ELECTRON_RUN_AS_NODE for the Electron child and keeps the rest', () => {
    expect(electronChildEnv({ ELECTRON_RUN_AS_NODE: '1', PATH: '/bin' })).toEqual({ PATH: '/bin' });
  });

  it('reports a signal or a non-zero code as failure', () => {
    expect(launchExit(0, null)).toEqual({ code: 0 });
    expect(launchExit(null, 'SIGKILL')).toEqual({ code: 1, message: 'Electron was stopped by SIGKILL' });
    expect(launchExit(null, null).code).toBe(1);
    expect(launchExit(3, null)).toEqual({ code: 3, message: 'Electron exited with code 3' });
  });

  it('stages a separate better-sqlite3 for Electron once, leaving the checkout untouched', async () => {
    const appDir = join(dir, 'app');
    const rebuilt: string[] = [];
    const printed: string[] = [];
    const run = () =>
      ensureElectronNative({
        electronBin: electronLike,
        electronVersion: '45.0.0',
        repoRoot,
        appDir,
        rebuild: async ({ appDir: d, electronVersion }) => void rebuilt.push(`${d}@${electronVersion}`),
        print: (l) => printed.push(l),
      });
    expect(await run()).toBe('rebuilt');
    expect(rebuilt).toEqual([`${appDir}@45.0.0`]);
    expect(printed.join('\n')).toContain("the checkout's node_modules stays built for Node");
    // A real copy in the staging dir, links for everything else.
    expect(lstatSync(join(appDir, 'node_modules/better-sqlite3')).isSymbolicLink()).toBe(false);
    expect(lstatSync(join(appDir, 'node_modules/pino')).isSymbolicLink()).toBe(true);
    expect(realpathSync(join(appDir, 'node_modules/pino'))).toBe(
      realpathSync(join(repoRoot, 'node_modules/pino')),
    );
    expect(lstatSync(join(repoRoot, 'node_modules/better-sqlite3')).isDirectory()).toBe(true);
    // Second start: loads already, nothing rebuilt.
    expect(await run()).toBe('ready');
    expect(rebuilt).toHaveLength(1);
  });

  it('says exactly what to run when the module still does not load after the rebuild', async () => {
    await expect(
      ensureElectronNative({
        electronBin: brokenElectron,
        electronVersion: '45.0.0',
        repoRoot,
        appDir: join(dir, 'app2'),
        rebuild: async () => undefined,
        print: () => undefined,
      }),
    ).rejects.toThrow(
      /Run by hand: npx @electron\/rebuild --version 45\.0\.0 --module-dir .*app2 --only better-sqlite3 --force/,
    );
  });
});
