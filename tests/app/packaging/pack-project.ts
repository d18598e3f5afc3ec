/**
 * A throwaway copy of the project for `electron-builder --dir` with a stub Electron dist (no download): the real
 * config and hooks, the app built as `npm run build:electron` builds it, and node_modules hard-linked from the
 * checkout's (a real tree, which electron-builder's dependency walk needs; nothing here writes through the links).
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPreload } from '../../../src-main/cli/build-preload.js';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron 45's fuse wire as shipped (version 1, 8 fuses): RunAsNode on … GrantFileProtocolExtraPrivileges on. */
export const DEFAULT_FUSES = '10110001';

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

export async function makePackProject(): Promise<{ dir: string; stubDist: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-pack-'));
  const project = join(dir, 'project');
  mkdirSync(project);
  for (const f of ['package.json', 'package-lock.json', 'electron-builder.yml']) {
    copyFileSync(join(repo, f), join(project, f));
  }
  cpSync(join(repo, 'scripts'), join(project, 'scripts'), { recursive: true });
  cpSync(join(repo, 'resources'), join(project, 'resources'), { recursive: true });
  run('cp', ['-al', realpathSync(join(repo, 'node_modules')), join(project, 'node_modules')], dir);
  run(
    process.execPath,
    [
      join(repo, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(repo, 'tsconfig.build.json'),
      '--outDir',
      join(project, 'dist'),
      '--noCheck',
      '--sourceMap',
      'false',
    ],
    repo,
  );
  run(
    process.execPath,
    [
      join(repo, 'node_modules/vite/bin/vite.js'),
      'build',
      '--logLevel',
      'warn',
      '--outDir',
      join(project, 'dist/renderer'),
    ],
    repo,
  );
  await buildPreload(join(project, 'dist/preload/preload.cjs'));

  // The stub "Electron": an executable that carries Electron's fuse wire, so electron-builder's fuse step has
  // something real to flip.
  const stubDist = join(dir, 'electron-dist');
  mkdirSync(stubDist);
  writeFileSync(
    join(stubDist, 'electron'),
    Buffer.concat([
      Buffer.from('#!/bin/sh\necho "stub Electron: cannot launch"\nexit 1\n# '),
      Buffer.from(FUSE_SENTINEL),
      Buffer.from([1, DEFAULT_FUSES.length]),
      Buffer.from(`${DEFAULT_FUSES}\n`),
    ]),
  );
  chmodSync(join(stubDist, 'electron'), 0o755);
  return { dir, stubDist };
}

/** electron-builder --dir with the stub dist and no rebuild (the rebuild needs Electron's headers). */
export function packDir(dir: string, stubDist: string): { status: number | null; output: string } {
  const project = join(dir, 'project');
  rmSync(join(project, 'out'), { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    [
      join(project, 'node_modules/electron-builder/cli.js'),
      '--dir',
      '--linux',
      '--x64',
      `-c.electronDist=${stubDist}`,
      '-c.npmRebuild=false',
      '--projectDir',
      project,
    ],
    { cwd: project, encoding: 'utf8', env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false' } },
  );
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}
