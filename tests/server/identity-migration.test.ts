import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src-main/server/store/sqlite/db.js';
import { createSqliteStore } from '../../src-main/server/store/sqlite/index.js';
import { migrations } from '../../src-main/server/store/sqlite/migrations.js';
import type { Store } from '../../src-main/server/store/store.js';
import { opKey, type ApplyOp } from '../../src-main/server/store/sync-repo.js';

/** Migration 8 on a real database file written by the previous schema, and the repos it backs. */
describe('identity migration: users.disabled, station bindings, per-device op keys', () => {
  let dir: string;
  let store: Store | undefined;
  const now = '2026-12-01T10:00:00.000Z';
  const copy = (deviceId: string, uuid: string | null, id: string, clientId: number): ApplyOp => ({
    type: 'copy',
    key: opKey(deviceId, uuid, id),
    uuid,
    opId: id,
    clientId,
    uid: '04AB12CD',
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-ident-'));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A database as version 7 left it: two station users, ops keyed by the old global `u:<uuid>`. */
  function seedVersion7(): void {
    const db = openDatabase(join(dir, 'server.db'));
    migrate(
      db,
      migrations.filter((m) => m.version <= 7),
    );
    const user = db.prepare(
      `INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES (?, 'station', 'x', ?, ?)`,
    );
    user.run('st-a', now, now);
    user.run('st-b', now, now);
    db.prepare(
      `INSERT INTO clients (name, remaining, used, created_at, updated_at) VALUES ('c', 10, 2, ?, ?)`,
    ).run(now, now);
    const op = db.prepare(
      `INSERT INTO sync_ops (op_key, device_id, user_id, op_id, uuid, type, status, client_id, uid, created_at)
       VALUES (?, ?, ?, ?, ?, 'copy', 'synced', 1, '04AB12CD', ?)`,
    );
    op.run('u:uuid-0001', 'DEV-A', 1, '1', 'uuid-0001', now);
    op.run('d:DEV-B 7', 'DEV-B', 2, '7', null, now);
    // A device whose first op came from a user deleted since: left unbound.
    op.run('u:uuid-0009', 'DEV-GONE', 99, '1', 'uuid-0009', now);
    db.close();
  }

  it('keeps each stored op a replay for its own device only, and binds devices to their first user', async () => {
    seedVersion7();
    store = createSqliteStore(dir);
    const by = (deviceId: string, userId: number) => ({ deviceId, userId, now });

    // The same device replaying its op: still the stored result, nothing applied.
    const replay = await store.sync.applyBatch(by('DEV-A', 1), [copy('DEV-A', 'uuid-0001', '1', 1)]);
    expect(replay.results).toEqual([{ status: 'synced', error: null, duplicate: true }]);
    const replayNoUuid = await store.sync.applyBatch(by('DEV-B', 2), [copy('DEV-B', null, '7', 1)]);
    expect(replayNoUuid.results[0]!.duplicate).toBe(true);

    // Another device reusing that uuid: a new op, counted.
    const other = await store.sync.applyBatch(by('DEV-B', 2), [copy('DEV-B', 'uuid-0001', '1', 1)]);
    expect(other.results).toEqual([{ status: 'synced', error: null, duplicate: false }]);
    expect(other.changedClients).toEqual([{ id: 1, name: 'c', remaining: 9, used: 3 }]);
    const { total } = await store.sync.listCopies({ limit: 10 });
    expect(total).toBe(4);

    expect(await store.bindings.ownerOf('DEV-A')).toBe(1);
    expect(await store.bindings.ownerOf('DEV-B')).toBe(2);
    expect(await store.bindings.ownerOf('DEV-GONE')).toBeUndefined();
    const users = await store.users.list();
    expect(users.map((u) => u.disabled)).toEqual([false, false]);
  });

  it('claim keeps the first owner; release frees the id; deleting a user drops its bindings', async () => {
    store = createSqliteStore(dir);
    const a = await store.users.create({ username: 'a', password_hash: 'x', role: 'station' });
    const b = await store.users.create({ username: 'b', password_hash: 'x', role: 'station' });
    expect(await store.bindings.claim('S1', a.id, now)).toBe(a.id);
    expect(await store.bindings.claim('S1', b.id, now)).toBe(a.id);
    expect(await store.bindings.claim('S2', a.id, now)).toBe(a.id);
    expect(await store.bindings.list()).toEqual([
      { device_id: 'S1', user_id: a.id, username: 'a', created_at: now },
      { device_id: 'S2', user_id: a.id, username: 'a', created_at: now },
    ]);
    expect(await store.bindings.release('S1')).toBe(true);
    expect(await store.bindings.release('S1')).toBe(false);
    expect(await store.bindings.claim('S1', b.id, now)).toBe(b.id);

    expect((await store.users.setDisabled(b.id, true))?.disabled).toBe(true);
    expect((await store.users.findById(b.id))?.disabled).toBe(true);
    expect((await store.users.findByUsername('b'))?.disabled).toBe(true);
    expect(await store.users.setDisabled(12345, true)).toBeUndefined();

    expect(await store.users.remove(a.id)).toBe(true);
    expect(await store.users.remove(a.id)).toBe(false);
    expect(await store.bindings.ownerOf('S2')).toBeUndefined();
    expect((await store.bindings.list()).map((x) => x.device_id)).toEqual(['S1']);
  });
});
