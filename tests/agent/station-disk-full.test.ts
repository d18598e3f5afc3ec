/**
 * A really full disk (a small tmpfs filled to the last byte): an NFC copy is answered 507 STORAGE_FULL with a
 * sentence saying so (never a 500), nothing half-recorded, and copies work again once space is freed; the CLI
 * says the same; `agent run` starts on the full disk because settings.json is not rewritten when unchanged.
 * Needs root for the mount (the test machines run as root); elsewhere it is skipped, saying why.
 */
import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nfcSecretPath } from '../../src-main/agent/station/nfc-endpoint.js';
import { makeStation } from './station-helpers.js';

const mountPoint = mkdtempSync(join(tmpdir(), 'outpost-full-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'ignore' });
  mounted = true;
} catch {
  // Not root (or no mount in this sandbox): the suite below is skipped.
}

afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** Fills the file system to the last byte; returns the filler's path (remove it to free the space). */
function fillDisk(name: string): string {
  const path = join(mountPoint, name);
  const fd = openSync(path, 'w');
  for (const size of [65536, 4096, 512, 1]) {
    const chunk = Buffer.alloc(size);
    try {
      for (;;) writeSync(fd, chunk);
    } catch {
      // ENOSPC: go on with a smaller chunk
    }
  }
  closeSync(fd);
  return path;
}

function seedQuota(dataDir: string, remaining: number): void {
  const db = new Database(join(dataDir, 'station.db'));
  db.prepare(
    "INSERT INTO quotas (client_id, remaining, server_remaining, updated_at) VALUES (1, ?, ?, 'now')",
  ).run(remaining, remaining);
  db.close();
}

describe.skipIf(!mounted)(
  'station on a full disk (tmpfs filled to the last byte)',
  { timeout: 120_000 },
  () => {
    it('NFC copy → 507 STORAGE_FULL saying the disk is full; nothing recorded; works again after freeing space', async () => {
      const dataDir = join(mountPoint, 'nfc');
      mkdirSync(dataDir);
      const st = makeStation('http://127.0.0.1:9', { nfcPort: 0, healthIntervalMs: 3_600_000 }, dataDir);
      try {
        await st.svc.start();
        seedQuota(dataDir, 10);
        const secret = readFileSync(nfcSecretPath(dataDir), 'utf8').trim();
        const url = `http://127.0.0.1:${st.svc.diagnostics().nfc_port}/nfc/copy`;
        const copy = (uid: string) =>
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-nfc-secret': secret },
            body: JSON.stringify({ client_id: 1, uid }),
          });
        expect((await copy('04AB12CD')).status).toBe(200);

        const filler = fillDisk('filler-nfc');
        const full = await copy('04AB12CE');
        const body = (await full.json()) as { ok: boolean; code: string; message: string };
        expect(full.status).toBe(507);
        expect(body).toMatchObject({ ok: false, code: 'STORAGE_FULL' });
        expect(body.message).toContain('The disk is full');
        expect(body.message).not.toMatch(/SQLITE|at \w+ \(/);
        // Rolled back as a whole: the quota was not taken and nothing was queued.
        expect(st.svc.queue().counts.pending).toBe(1);
        expect(st.svc.quotas()[0]).toMatchObject({ client_id: 1, remaining: 9 });

        rmSync(filler);
        expect((await copy('04AB12CE')).status).toBe(200);
        expect(st.svc.queue().counts.pending).toBe(2);
        expect(st.svc.quotas()[0]).toMatchObject({ remaining: 8 });
      } finally {
        await st.dispose();
      }
    });

    it('CLI: `copy` says the disk is full; `run` starts on the full disk and settings.json is not rewritten', async () => {
      const dataDir = join(mountPoint, 'cli');
      // First start while there is room: creates settings, device key, station database and id.
      const first = await runUntilStarted(dataDir);
      expect(first.code, first.stderr).toBe(0);
      seedQuota(dataDir, 10);
      // Another process holding the database (as a running station would) keeps its WAL index in place.
      const holder = new Database(join(dataDir, 'station.db'));
      holder.prepare('SELECT 1').get();
      const settings = statSync(join(dataDir, 'settings.json'));
      const filler = fillDisk('filler-cli');
      try {
        const copy = await agentCli(dataDir, ['copy', '--client', '1', '--uid', '04AB12CD']);
        expect(copy.code).toBe(1);
        expect(copy.stderr).toContain('The disk is full: the copy was NOT recorded');
        expect(copy.stderr).not.toMatch(/SQLITE|\n\s+at /);

        const run = await runUntilStarted(dataDir);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toContain('Agent running');
        const after = statSync(join(dataDir, 'settings.json'));
        expect([after.ino, after.mtimeMs]).toEqual([settings.ino, settings.mtimeMs]);
      } finally {
        rmSync(filler);
        holder.close();
      }
    });
  },
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
const root = join(import.meta.dirname, '..', '..');
const CLI_ENV = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', OUTPOST_SERVER_URL: '' };
const BASE_ARGS = ['--data-dir', '', '--secrets-file', '--server', 'http://127.0.0.1:9'];

function spawnCli(dataDir: string, args: string[]) {
  const base = [...BASE_ARGS];
  base[1] = dataDir;
  return spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/agent.ts', ...base, ...args], {
    cwd: root,
    env: { ...process.env, ...CLI_ENV },
  });
}

function agentCli(dataDir: string, args: string[]): Promise<Run> {
  const child = spawnCli(dataDir, args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** `agent run` until it says it is running, then SIGTERM; resolves with how it ended. */
function runUntilStarted(dataDir: string): Promise<Run> {
  const child = spawnCli(dataDir, ['run']);
  let stdout = '';
  let stderr = '';
  let signalled = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    // Once: a second SIGTERM is the operator's "stop now" and ends the process without the orderly stop.
    if (!signalled && stdout.includes('Agent running')) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(() => {
  if (!mounted)
    process.stderr.write('station-disk-full: tmpfs mount not permitted here (needs root); skipped\n');
});
