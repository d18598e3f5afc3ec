/** scripts/native-abi.mjs and scripts/before-build.cjs on real files (the packaged run: packaging.test.ts). */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs script without types
import { checkPackagedAbi, moduleAbi } from '../../scripts/native-abi.mjs';
// @ts-expect-error plain .mjs script without types
import beforeBuild from '../../scripts/before-build.mjs';

const require = createRequire(import.meta.url);

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'outpost-abi-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function addon(rel: string, symbol: string): void {
  const file = join(dir, 'linux-unpacked/resources/app.asar.unpacked', rel);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(
    file,
    Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]), Buffer.from(`\0${symbol}\0`)]),
  );
}

describe('packaged native ABI check', () => {
  it('passes V8 addons built for the expected ABI and N-API addons', () => {
    addon('node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_register_module_v150');
    addon(
      'node_modules/@napi-rs/keyring-linux-x64-gnu/keyring.linux-x64-gnu.node',
      'napi_register_module_v1',
    );
    const r = checkPackagedAbi({ appOutDir: join(dir, 'linux-unpacked'), abi: 150 });
    expect(r.error).toBeNull();
    expect(r.modules).toHaveLength(2);
  });

  it('names every mismatched module, and one without any registration symbol', () => {
    addon('node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_register_module_v115');
    addon('node_modules/odd/odd.node', 'nothing_here');
    const r = checkPackagedAbi({ appOutDir: join(dir, 'linux-unpacked'), abi: 150 });
    expect(r.error).toContain('this Electron needs ABI 150');
    expect(r.error).toContain(
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node: built for ABI 115',
    );
    expect(r.error).toContain('node_modules/odd/odd.node: no registration symbol found');
  });

  it('reads the symbol from the real better-sqlite3 build of this checkout', () => {
    expect(moduleAbi(require.resolve('better-sqlite3/build/Release/better_sqlite3.node'))).toBe(
      Number(process.versions.modules),
    );
  });

  it('finds the macOS bundle layout', () => {
    const res = join(dir, 'mac/Outpost.app/Contents/Resources/app.asar.unpacked/node_modules/x');
    mkdirSync(res, { recursive: true });
    writeFileSync(join(res, 'x.node'), 'node_register_module_v150');
    expect(checkPackagedAbi({ appOutDir: join(dir, 'mac'), abi: 150 }).error).toBeNull();
  });
});

describe('forced rebuild (beforeBuild)', () => {
  it('removes the "already built" markers @electron/rebuild would skip on', async () => {
    const markers = [
      'node_modules/better-sqlite3/build/Release/.forge-meta',
      'node_modules/@s/n/build/Release/.forge-meta',
    ];
    for (const m of markers) {
      mkdirSync(join(dir, m, '..'), { recursive: true });
      writeFileSync(join(dir, m), 'linux--x64--150');
    }
    expect(await beforeBuild({ appDir: dir })).toBe(true);
    for (const m of markers) expect(existsSync(join(dir, m))).toBe(false);
  });
});
