/**
 * Creates a data dir (the agent's or the server's: both sides use this one) one level at a time and checks it can be written, failing at once with one line
 * that names the path and the reason. Node's own `mkdirSync(…, { recursive: true })` spins forever (100 % CPU,
 * deaf to SIGTERM, since it never returns to the event loop) when the kernel answers ENOENT for a child of an
 * existing directory, which is what /proc and other pseudo file systems do.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class DataDirError extends Error {
  readonly code = 'DATA_DIR_UNUSABLE';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot use data dir ${path}: ${reason}`);
    this.name = 'DataDirError';
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'directories cannot be created there',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ELOOP: 'too many symbolic links in the path',
  ENAMETOOLONG: 'the path is too long',
};

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
  return REASONS[code] ?? (err instanceof Error ? err.message : String(err));
}

/** Resolved path of a usable (existing, writable) directory, created with `mode` where missing. */
export function ensureDataDir(dir: string, mode = 0o700): string {
  const path = resolve(dir);
  const missing: string[] = [];
  let cur = path;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(cur).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataDirError(path, reasonOf(err));
      missing.push(cur);
      const up = dirname(cur);
      if (up === cur) break;
      cur = up;
      continue;
    }
    if (!isDir) throw new DataDirError(path, `${cur} is not a directory`);
    break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // created meanwhile by someone else
      throw new DataDirError(path, reasonOf(err));
    }
  }
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new DataDirError(path, reasonOf(err) === 'permission denied' ? 'not writable' : reasonOf(err));
  }
  return path;
}
