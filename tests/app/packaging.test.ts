/**
 * The real electron-builder run on this config (`--dir`, Linux x64) against a stub Electron dist: the packaged
 * ABI check must refuse a package whose better-sqlite3 is not built for the Electron it ships with (here it is
 * the Node build: there are no Electron headers offline), naming the module; the asar must hold only what the
 * app loads; only .node files are unpacked; the fuses are flipped on the executable. What needs the real
 * binary (launching the package) is the hosted-CI job's (.github/workflows/desktop.yml).
 */
import { readFileSync, rmSync, unlinkSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FUSES, FUSE_SENTINEL, makePackProject, packDir } from './packaging/pack-project.js';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(file: string): string[] };

let dir: string;
let stubDist: string;
let refused: { status: number | null; output: string };
let asarFiles: string[];
let unpacked: string[];

function files(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((n) => {
    const p = join(root, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

// The stub dist is a Linux executable and the project copy hard-links node_modules (`cp -al`).
const linux = process.platform === 'linux';

beforeAll(async () => {
  if (!linux) return;
  ({ dir, stubDist } = await makePackProject());
  refused = packDir(dir, stubDist);
  const resources = join(dir, 'project/out/linux-unpacked/resources');
  asarFiles = asar.listPackage(join(resources, 'app.asar')).map((p) => p.replace(/\\/g, '/'));
  unpacked = files(join(resources, 'app.asar.unpacked')).map((p) => relative(resources, p));
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!linux)('electron-builder --dir with a stub Electron', () => {
  it('refuses the package whose better-sqlite3 is built for Node, naming the module and both ABIs', () => {
    const abi = readFileSync(join(dir, 'project/node_modules/electron/abi_version'), 'utf8').trim();
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain(`Native module ABI mismatch: this Electron needs ABI ${abi}`);
    expect(refused.output).toMatch(
      /node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node: built for ABI \d+/,
    );
    const built = /better_sqlite3\.node: built for ABI (\d+)/.exec(refused.output)![1];
    expect(built).not.toBe(abi);
    expect(built).toBe(process.versions.modules);
  });

  it('unpacks only the .node files', () => {
    expect(unpacked.length).toBeGreaterThan(0);
    expect(unpacked.filter((f) => !f.endsWith('.node'))).toEqual([]);
    expect(unpacked.map((f) => f.replace(/\\/g, '/'))).toContain(
      'app.asar.unpacked/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    );
  });

  it('ships the app and its runtime dependencies, and nothing else', () => {
    for (const f of [
      '/package.json',
      '/dist/src-main/main.js',
      '/dist/src-main/app/server-process.js',
      '/dist/src-main/cli/server.js',
      '/dist/preload/preload.cjs',
      '/dist/renderer/index.html',
      '/resources/icon.png',
      '/node_modules/better-sqlite3/lib/index.js',
      '/node_modules/fastify/package.json',
      '/node_modules/pino/package.json',
      '/node_modules/sonic-boom/package.json',
    ]) {
      expect(asarFiles, f).toContain(f);
    }
    const forbidden = [
      /^\/(tests|bench|src-main|src-renderer|src-preload|src-shared|scripts|docs)\//,
      /^\/dist\/src-main\/cli\/(?!server\.js$)/,
      /^\/dist\/src-main\/app\/dev-launch\.js$/,
      /^\/dist\/electron-app\//,
      /^\/dist\/src-preload\//,
      /\.(map|ts)$/,
      /^\/node_modules\/(react|react-dom|scheduler|pg|pg-[^/]+|pgpass|postgres-[^/]+)\//,
      /^\/node_modules\/(electron|electron-builder|vite|vitest|typescript|tsx|esbuild|playwright-core)\//,
      /^\/node_modules\/better-sqlite3\/(src|deps)\//,
      /^\/node_modules\/better-sqlite3\/build\/Release\/(obj|obj\.target|\.deps)\//,
      /test_extension\.node$/,
    ];
    const shipped = asarFiles.filter((f) => forbidden.some((re) => re.test(f)));
    expect(shipped).toEqual([]);
  });

  it('passes the ABI check once the modules match, and flips the release fuses on the executable', () => {
    // Pretend the rebuild happened: the expected ABI is the one the module was built for. (A new file in the
    // throwaway project, not a write through the hard link.)
    const abiFile = join(dir, 'project/node_modules/electron/abi_version');
    unlinkSync(abiFile);
    writeFileSync(abiFile, process.versions.modules);
    const ok = packDir(dir, stubDist);
    expect(ok.output).toContain('native ABI check passed');
    expect(ok.status).toBe(0);
    const exe = readFileSync(join(dir, 'project/out/linux-unpacked/outpost'));
    const at = exe.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    const wire = exe.subarray(at + 2, at + 2 + DEFAULT_FUSES.length).toString();
    // RunAsNode off, cookie encryption on, NODE_OPTIONS off, --inspect off, asar integrity on, only from asar,
    // no browser-specific snapshot, no extra file:// privileges.
    expect(wire).toBe('01001100');
    // A second real electron-builder run: as slow as the one in beforeAll on a loaded machine.
  }, 600_000);
});
