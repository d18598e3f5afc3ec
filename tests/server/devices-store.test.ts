import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSqliteStore } from '../../src-main/server/store/sqlite/index.js';
import type { Store } from '../../src-main/server/store/store.js';

/** The write-behind heartbeat path of the SQLite store, on a real database file. */
describe('devices store: write-behind heartbeats', () => {
  let dir: string;
  let store: Store;
  const N = 3000;
  const keys = Array.from({ length: N }, (_, i) => `wb-${i}`);
  const onDisk = (key: string) => {
    const db = new Database(join(dir, 'server.db'), { readonly: true });
    try {
      return db.prepare('SELECT last_seen, ip_lan, mac FROM devices WHERE device_key = ?').get(key) as {
        last_seen: string | null;
        ip_lan: string | null;
        mac: string | null;
      };
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-wb-'));
    store = createSqliteStore(dir);
    const exp = new Date(Date.now() + 3600_000).toISOString();
    for (const k of keys)
      await store.devices.create({ device_key: k, note: null, token_hash: 't', token_expires_at: exp });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads see buffered heartbeats at once; the timer persists all of them (in slices) within a second or so', async () => {
    const t = '2026-01-01T00:00:00.000Z';
    for (const k of keys)
      store.devices.recordHeartbeat(k, { last_seen: t, info: { ip_address: '1.2.3.4', ip_lan: k } });
    expect((await store.devices.get('wb-42'))?.last_seen).toBe(t);
    expect((await store.devices.list()).filter((d) => d.last_seen === t)).toHaveLength(N);
    await vi.waitFor(() => expect(onDisk(keys[N - 1]!).last_seen).toBe(t), { timeout: 5000, interval: 50 });
    expect(onDisk('wb-0')).toMatchObject({ last_seen: t, ip_lan: 'wb-0' });
  });

  it('a later heartbeat keeps the fields it leaves out (null or absent)', async () => {
    store.devices.recordHeartbeat('wb-1', {
      last_seen: '2026-01-01T00:00:01.000Z',
      info: { mac: 'M1', ip_lan: 'L1' },
    });
    store.devices.recordHeartbeat('wb-1', {
      last_seen: '2026-01-01T00:00:02.000Z',
      info: { mac: null, ip_lan: 'L2' },
    });
    const d = await store.devices.get('wb-1');
    expect(d).toMatchObject({ last_seen: '2026-01-01T00:00:02.000Z', mac: 'M1', ip_lan: 'L2' });
  });

  it('close() writes heartbeats the timer has not reached yet', async () => {
    for (const k of keys)
      store.devices.recordHeartbeat(k, { last_seen: '2026-02-02T00:00:00.000Z', info: { mac: 'C' } });
    await store.close();
    expect(onDisk(keys[N - 1]!)).toMatchObject({ last_seen: '2026-02-02T00:00:00.000Z', mac: 'C' });
    store = createSqliteStore(dir); // afterEach closes this one
  });

  it('flush() writes everything now', async () => {
    store.devices.recordHeartbeat('wb-7', { last_seen: '2026-03-03T00:00:00.000Z', info: {} });
    await store.devices.flush();
    expect(onDisk('wb-7').last_seen).toBe('2026-03-03T00:00:00.000Z');
  });
});
