import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { readKeyFile } from '../key-files.js';

/**
 * Reads a secret file, creating it first when missing, so that processes starting at the same moment on one
 * data dir all end up with the same secret. The content is written to a private temp file and hard-linked into
 * place: link() fails when the name exists, so exactly one creator wins and every loser reads the winner's
 * file (a rename would silently replace a key another process already loaded). Mode 0600 either way.
 */
export function readOrCreateSecretFile(
  file: string,
  make: () => string,
): { content: string; created: boolean } {
  const existing = readIfExists(file);
  if (existing !== undefined) {
    // A copied data dir must not leave a key world-readable.
    chmodSync(file, 0o600);
    return { content: existing, created: false };
  }
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, make(), { mode: 0o600, flag: 'wx' });
  let created = false;
  try {
    linkSync(tmp, file);
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return { content: readFileSync(file, 'utf8'), created };
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Permission denied, a directory: one line naming the file, never a bare errno.
    return readKeyFile(file);
  }
}
