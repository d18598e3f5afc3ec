/**
 * A station that has run before never silently starts over: a missing, empty, unreadable or foreign station.db
 * stops it with a message naming the file, the file is left exactly as it was, and only `station reset --confirm`
 * gives the station an empty database and a new device id. Real files, real child processes for the CLI.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../src-main/agent/errors.js';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { stationIdPath } from '../../src-main/agent/station/station-db.js';
import { StationService } from '../../src-main/agent/station/station-service.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'outpost-station-lost-'));
  dirs.push(d);
  return d;
};

function open(dataDir: string): StationService {
  return new StationService({
    dataDir,
    secrets: createMemorySecretStore(),
    serverUrl: () => 'http://127.0.0.1:9',
    realtime: false,
  });
}

/** A station that has started once and recorded a copy (so its file holds a queue worth keeping). */
async function usedStation(): Promise<{ dataDir: string; deviceId: string }> {
  const dataDir = tempDir();
  const svc = open(dataDir);
  const deviceId = svc.deviceId;
  await svc.stop();
  const db = new Database(join(dataDir, 'station.db'));
  db.prepare(
    "INSERT INTO quotas (client_id, remaining, server_remaining, updated_at) VALUES (1, 5, 5, 'now')",
  ).run();
  db.close();
  const again = open(dataDir);
  again.recordCopy(1, '04AB12CD');
  await again.stop();
  return { dataDir, deviceId };
}

function refusal(dataDir: string): AgentError {
  try {
    open(dataDir);
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return err as AgentError;
  }
  throw new Error('the station opened');
}

describe('station.db lost after the first start', () => {
  it('first start creates the database and records the device id next to it', async () => {
    const dataDir = tempDir();
    const svc = open(dataDir);
    expect(readFileSync(stationIdPath(dataDir), 'utf8').trim()).toBe(svc.deviceId);
    await svc.stop();
    const again = open(dataDir);
    expect(again.deviceId).toBe(svc.deviceId);
    await again.stop();
  });

  it('a station.db from before the id file existed is adopted: its id is recorded, nothing is recreated', async () => {
    const { dataDir, deviceId } = await usedStation();
    rmSync(stationIdPath(dataDir));
    const svc = open(dataDir);
    expect(svc.deviceId).toBe(deviceId);
    expect(svc.queue().counts.pending).toBe(1);
    expect(readFileSync(stationIdPath(dataDir), 'utf8').trim()).toBe(deviceId);
    await svc.stop();
  });

  it('deleted → refused with a clear message, and no new file is created', async () => {
    const { dataDir, deviceId } = await usedStation();
    for (const f of ['station.db', 'station.db-wal', 'station.db-shm'])
      rmSync(join(dataDir, f), { force: true });
    const err = refusal(dataDir);
    expect(err.code).toBe('STATION_DB_UNUSABLE');
    expect(err.message).toContain(join(dataDir, 'station.db'));
    expect(err.message).toContain('missing');
    expect(err.message).toContain(deviceId);
    expect(err.message).toContain('station reset --confirm');
    expect(existsSync(join(dataDir, 'station.db'))).toBe(false);
  });

  it('0 bytes → refused, and the file stays 0 bytes (not re-created as a new database)', async () => {
    const { dataDir } = await usedStation();
    for (const f of ['station.db-wal', 'station.db-shm']) rmSync(join(dataDir, f), { force: true });
    writeFileSync(join(dataDir, 'station.db'), '');
    const err = refusal(dataDir);
    expect(err.message).toContain('empty (0 bytes)');
    expect(statSync(join(dataDir, 'station.db')).size).toBe(0);
  });

  it('garbage bytes → refused as unreadable, and the bytes are untouched', async () => {
    const { dataDir } = await usedStation();
    for (const f of ['station.db-wal', 'station.db-shm']) rmSync(join(dataDir, f), { force: true });
    const garbage = Buffer.alloc(8192, 0x5a);
    writeFileSync(join(dataDir, 'station.db'), garbage);
    const err = refusal(dataDir);
    expect(err.code).toBe('STATION_DB_UNUSABLE');
    expect(err.message).toContain('unreadable');
    expect(readFileSync(join(dataDir, 'station.db')).equals(garbage)).toBe(true);
    expect(readdirSync(dataDir).filter((f) => f.startsWith('station.db'))).toEqual(['station.db']);
  });

  it('unreadable (a directory where the file was: even root cannot read it as a file) → refused, kept', async () => {
    const { dataDir } = await usedStation();
    for (const f of ['station.db', 'station.db-wal', 'station.db-shm'])
      rmSync(join(dataDir, f), { force: true });
    mkdirSync(join(dataDir, 'station.db'));
    const err = refusal(dataDir);
    expect(err.message).toContain('not a regular file');
    expect(statSync(join(dataDir, 'station.db')).isDirectory()).toBe(true);
  });

  it('an empty SQLite database (no station tables) → refused, not migrated into a new station', async () => {
    const { dataDir } = await usedStation();
    for (const f of ['station.db', 'station.db-wal', 'station.db-shm'])
      rmSync(join(dataDir, f), { force: true });
    const db = new Database(join(dataDir, 'station.db'));
    db.exec('CREATE TABLE unrelated (x)');
    db.close();
    expect(refusal(dataDir).message).toContain('not a station database');
  });

  it('a database written by a newer build → refused with "run that version", not a reset suggestion', async () => {
    const { dataDir } = await usedStation();
    const db = new Database(join(dataDir, 'station.db'));
    db.prepare(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'now')",
    ).run();
    db.close();
    const err = refusal(dataDir);
    expect(err.message).toContain('written by a newer version of Outpost');
    expect(err.message).not.toContain('reset --confirm');
  });

  it('station-id unreadable (a directory) → refused; the database is not opened as if it were the first start', async () => {
    const { dataDir } = await usedStation();
    rmSync(stationIdPath(dataDir));
    mkdirSync(stationIdPath(dataDir));
    const err = refusal(dataDir);
    expect(err.code).toBe('STATION_DB_UNUSABLE');
    expect(err.message).toContain('station-id');
  });

  it('another station’s database copied in → refused (two queues must not merge under one id)', async () => {
    const a = await usedStation();
    const b = await usedStation();
    for (const f of ['station.db', 'station.db-wal', 'station.db-shm'])
      rmSync(join(a.dataDir, f), { force: true });
    writeFileSync(join(a.dataDir, 'station.db'), readFileSync(join(b.dataDir, 'station.db')));
    const err = refusal(a.dataDir);
    expect(err.message).toContain(`the database of another station (${b.deviceId})`);
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
const root = join(import.meta.dirname, '..', '..');
function agentCli(dataDir: string, args: string[]): Promise<Run> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/cli/agent.ts', '--data-dir', dataDir, '--secrets-file', ...args],
    {
      cwd: root,
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', OUTPOST_SERVER_URL: '' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run agent -- with a lost station.db', { timeout: 120_000 }, () => {
  it('commands stop with the message; `station reset` needs --confirm, keeps the old file aside, gives a new id', async () => {
    const { dataDir, deviceId } = await usedStation();
    for (const f of ['station.db-wal', 'station.db-shm']) rmSync(join(dataDir, f), { force: true });
    writeFileSync(join(dataDir, 'station.db'), '');

    const queue = await agentCli(dataDir, ['queue']);
    expect(queue.code).toBe(1);
    expect(queue.stderr).toContain('station.db');
    expect(queue.stderr).toContain('empty (0 bytes)');
    expect(queue.stderr).toContain('station reset --confirm');
    expect(statSync(join(dataDir, 'station.db')).size).toBe(0);

    const unconfirmed = await agentCli(dataDir, ['station', 'reset']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--confirm');
    expect(existsSync(join(dataDir, 'station.db'))).toBe(true);

    const reset = await agentCli(dataDir, ['--json', 'station', 'reset', '--confirm']);
    expect(reset.code).toBe(0);
    const out = JSON.parse(reset.stdout) as { previous_device_id: string; moved_to: string[] };
    expect(out.previous_device_id).toBe(deviceId);
    expect(out.moved_to).toHaveLength(1);
    expect(statSync(out.moved_to[0]!).size).toBe(0); // the old file is kept as it was

    const after = await agentCli(dataDir, ['--json', 'queue']);
    expect(after.code).toBe(0);
    const newId = readFileSync(stationIdPath(dataDir), 'utf8').trim();
    expect(newId).toMatch(/^station-/);
    expect(newId).not.toBe(deviceId);
  });
});
