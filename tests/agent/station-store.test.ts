import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { AgentError } from '../../src-main/agent/errors.js';
import { migrateStation } from '../../src-main/agent/station/migrate.js';
import { STATION_MIGRATIONS } from '../../src-main/agent/station/schema.js';
import { openStationDb, stationDeviceId, type StationDb } from '../../src-main/agent/station/station-db.js';
import { StationStore } from '../../src-main/agent/station/station-store.js';
import { normaliseUid } from '../../src-main/agent/station/uid.js';

let dir: string;
let db: StationDb;
let store: StationStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-station-'));
  db = openStationDb(dir);
  store = new StationStore(db);
  store.applyServerQuotas([
    { client_id: 1, remaining: 3 },
    { client_id: 2, remaining: 0 },
  ]);
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return (err as AgentError).code;
  }
  throw new Error('expected an AgentError');
}

describe('UID validation', () => {
  it('normalises case and separators of 4, 7 and 10 byte UIDs', () => {
    expect(normaliseUid('04ab12cd')).toEqual({ ok: true, uid: '04AB12CD' });
    expect(normaliseUid('04:ab:12:cd:34:56:78')).toEqual({ ok: true, uid: '04AB12CD345678' });
    expect(normaliseUid(' 04-AB-12-CD-34-56-78-9a-bc-de ')).toEqual({
      ok: true,
      uid: '04AB12CD3456789ABCDE',
    });
    expect(normaliseUid('0x04ab12cd')).toEqual({ ok: true, uid: '04AB12CD' });
  });

  it.each([
    ['odd length', '04AB12CD3'],
    ['non-hex', '04AB12ZZ'],
    ['5 bytes', '04AB12CD34'],
    ['empty', ''],
    ['only separators', ' : - '],
    ['3 bytes', '04AB12'],
    ['11 bytes', '04AB12CD3456789ABCDEF0'],
    ['not a string', 12345678],
  ])('recordCopy rejects a bad UID (%s) without touching the quota', (_name, uid) => {
    expect(codeOf(() => store.recordCopy(1, uid))).toBe('VALIDATION_ERROR');
    expect(store.quota(1)?.remaining).toBe(3);
    expect(store.queue().counts.pending).toBe(0);
  });

  it.each([
    ['zero', 0],
    ['negative', -1],
    ['fraction', 1.5],
    ['text', 'abc'],
  ])('recordCopy rejects a bad client id (%s)', (_name, id) => {
    expect(codeOf(() => store.recordCopy(id, '04AB12CD'))).toBe('VALIDATION_ERROR');
  });
});

describe('recordCopy', () => {
  it('takes one from the quota, enqueues a pending copy with a uuid, and logs the copy in one step', () => {
    const c = store.recordCopy(1, '04:ab:12:cd');
    expect(c.uid).toBe('04AB12CD');
    expect(c.remaining).toBe(2);
    expect(c.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/); // v7: time-ordered
    expect(store.queue()).toMatchObject({ counts: { pending: 1, synced: 0, failed: 0 } });
    expect(store.queue().pending).toEqual([expect.objectContaining({ status: 'pending', attempts: 0 })]);
    const row = db.prepare('SELECT client_id, uid FROM copies WHERE uuid = ?').get(c.uuid);
    expect(row).toEqual({ client_id: 1, uid: '04AB12CD' });
    const [op] = store.pendingBatch(10);
    expect(JSON.parse(op!.body)).toMatchObject({
      uuid: c.uuid,
      type: 'copy',
      payload: { client_id: 1, uid: '04AB12CD' },
    });
  });

  it('never goes below 0: the 4th copy on a quota of 3 fails with QUOTA_EXCEEDED and changes nothing', () => {
    for (let i = 0; i < 3; i++) store.recordCopy(1, '04AB12CD');
    expect(codeOf(() => store.recordCopy(1, '04AB12CD'))).toBe('QUOTA_EXCEEDED');
    expect(store.quota(1)?.remaining).toBe(0);
    expect(store.queue().counts.pending).toBe(3);
    expect((db.prepare('SELECT COUNT(*) AS n FROM copies').get() as { n: number }).n).toBe(3);
  });

  it('a client at zero and an unknown client fail with clear codes', () => {
    expect(codeOf(() => store.recordCopy(2, '04AB12CD'))).toBe('QUOTA_EXCEEDED');
    expect(codeOf(() => store.recordCopy(99, '04AB12CD'))).toBe('CLIENT_NOT_FOUND');
  });

  it('the schema refuses a negative remaining even if code tried (CHECK constraint)', () => {
    expect(() => db.prepare('UPDATE quotas SET remaining = -1 WHERE client_id = 2').run()).toThrow(/CHECK/);
  });

  it('two processes-worth of writers on one file cannot oversell: concurrent connections share the check', () => {
    const db2 = openStationDb(dir);
    const store2 = new StationStore(db2);
    let ok = 0;
    for (let i = 0; i < 5; i++) {
      for (const s of [store, store2]) {
        try {
          s.recordCopy(1, '04AB12CD');
          ok++;
        } catch (err) {
          expect((err as AgentError).code).toBe('QUOTA_EXCEEDED');
        }
      }
    }
    db2.close();
    expect(ok).toBe(3);
    expect(store.quota(1)?.remaining).toBe(0);
  });
});

describe('results, quotas, retry and dismiss', () => {
  it('local remaining = server remaining − pending ops of that client', () => {
    store.recordCopy(1, '04AB12CD');
    store.recordCopy(1, '04AB12CE');
    store.applyServerQuotas([{ client_id: 1, remaining: 10 }]);
    expect(store.quota(1)).toMatchObject({ remaining: 8, server_remaining: 10 });
  });

  it('a failed copy gives its quota back and stays visible with its reason until dismissed', () => {
    const a = store.recordCopy(1, '04AB12CD');
    const b = store.recordCopy(1, '04AB12CE');
    const batch = store.pendingBatch(10);
    const r = store.applyResults(batch, [
      { id: batch[0]!.seq, status: 'synced' },
      { id: batch[1]!.seq, status: 'failed', error: 'QUOTA_EXCEEDED' },
    ]);
    expect(r).toEqual({ synced: 1, failed: 1 });
    expect(store.quota(1)?.remaining).toBe(2);
    const q = store.queue();
    expect(q).toMatchObject({ counts: { pending: 0, synced: 1, failed: 1 }, pending: [] });
    expect(q.failed).toEqual([
      expect.objectContaining({ uuid: b.uuid, error: 'QUOTA_EXCEEDED', uid: '04AB12CE' }),
    ]);
    expect(codeOf(() => store.dismiss(a.uuid))).toBe('CONFLICT');
    store.dismiss(b.uuid);
    expect(store.queue()).toMatchObject({ counts: { failed: 0 }, failed: [] });
    expect(codeOf(() => store.dismiss('no-such-uuid'))).toBe('NOT_FOUND');
  });

  it('retry re-queues a failed copy under a NEW uuid and takes the quota again', () => {
    store.recordCopy(1, '04AB12CD');
    const batch = store.pendingBatch(10);
    store.applyResults(batch, [{ id: batch[0]!.seq, status: 'failed', error: 'CLIENT_NOT_FOUND' }]);
    expect(store.quota(1)?.remaining).toBe(3);
    const { uuid } = store.retry(batch[0]!.uuid);
    expect(uuid).not.toBe(batch[0]!.uuid);
    expect(store.quota(1)?.remaining).toBe(2);
    expect(store.pendingBatch(10).map((o) => o.uuid)).toEqual([uuid]);
  });

  it('results for ops the server did not answer leave them pending (safe re-push)', () => {
    store.recordCopy(1, '04AB12CD');
    store.recordCopy(1, '04AB12CE');
    const batch = store.pendingBatch(10);
    store.applyResults(batch, [
      { id: batch[0]!.seq, status: 'synced' },
      { id: 'bogus', status: 'synced' },
    ]);
    expect(store.pendingBatch(10).map((o) => o.uuid)).toEqual([batch[1]!.uuid]);
  });

  it('the device id is generated once and survives reopening the file', () => {
    const id = stationDeviceId(db);
    db.close();
    db = openStationDb(dir);
    expect(stationDeviceId(db)).toBe(id);
    expect(id).toMatch(/^station-/);
  });

  it('name and total: a bare update (no name/total, as from a realtime event) keeps what the last pull stored', () => {
    expect(store.quota(1)).toMatchObject({ name: null, total: null, remaining: 3 });
    store.applyServerQuotas([{ client_id: 1, name: 'Acme', remaining: 3, total: 10 }]);
    store.applyServerQuotas([{ client_id: 1, remaining: 2 }]);
    expect(store.quota(1)).toMatchObject({ name: 'Acme', total: 10, remaining: 2, server_remaining: 2 });
  });

  it('a station.db written before migration 2 (no name/total columns) upgrades in place and keeps its rows', () => {
    const old = mkdtempSync(join(tmpdir(), 'outpost-station-v1-'));
    try {
      const v1 = new Database(join(old, 'station.db'));
      migrateStation(
        v1,
        STATION_MIGRATIONS.filter((m) => m.version === 1),
      );
      v1.prepare(
        "INSERT INTO quotas (client_id, remaining, server_remaining, updated_at) VALUES (4, 6, 6, '2026-01-01')",
      ).run();
      v1.close();
      const upgraded = openStationDb(old);
      try {
        const s = new StationStore(upgraded);
        expect(s.quota(4)).toMatchObject({ client_id: 4, name: null, total: null, remaining: 6 });
        s.applyServerQuotas([{ client_id: 4, name: 'Initech', remaining: 6, total: 8 }]);
        expect(s.quotas()).toEqual([expect.objectContaining({ client_id: 4, name: 'Initech', total: 8 })]);
      } finally {
        upgraded.close();
      }
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('pruning forgets settled queue rows older than the window, never pending or failed ones', () => {
    for (let i = 0; i < 3; i++) store.recordCopy(1, '04AB12CD');
    const batch = store.pendingBatch(10);
    store.applyResults(batch.slice(0, 2), [
      { id: batch[0]!.seq, status: 'synced' },
      { id: batch[1]!.seq, status: 'failed', error: 'QUOTA_EXCEEDED' },
    ]);
    db.prepare("UPDATE sync_queue SET created_at = '2000-01-01T00:00:00.000Z'").run();
    expect(store.pruneSynced(7)).toBe(1);
    expect(store.queue()).toMatchObject({ counts: { pending: 1, synced: 0, failed: 1 } });
    expect((db.prepare('SELECT COUNT(*) AS n FROM copies').get() as { n: number }).n).toBe(3);
  });
});
