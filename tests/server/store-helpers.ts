/**
 * Store contract tests run every case on both stores. A "store kind" opens N independent instances on ONE
 * database, as N server processes would: for PostgreSQL N pools on one fresh test database, for SQLite N
 * connections to one server.db in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../src-main/server/store/postgres/index.js';
import { createSqliteStore } from '../../src-main/server/store/sqlite/index.js';
import type { Store } from '../../src-main/server/store/store.js';
import { createTestDatabase, pgMissing } from '../helpers/pg.js';

export interface StoreFleet {
  kind: 'sqlite' | 'postgres';
  /** Opens one more instance on the same database. */
  open(): Promise<Store>;
  /** PostgreSQL only: the database URL (for direct SQL in assertions). */
  url?: string;
  /** Closes every instance opened, drops the database / removes the dir. */
  dispose(): Promise<void>;
}

export async function openFleet(kind: 'sqlite' | 'postgres', opts: { heartbeatFlushMs?: number } = {}) {
  const opened: Store[] = [];
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-store-'));
    const fleet: StoreFleet = {
      kind,
      async open() {
        const s = createSqliteStore(dir);
        opened.push(s);
        return s;
      },
      async dispose() {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return fleet;
  }
  const db = await createTestDatabase();
  const fleet: StoreFleet = {
    kind,
    url: db.url,
    async open() {
      const s: PostgresStore = await createPostgresStore({
        url: db.url,
        poolMax: 4,
        heartbeatFlushMs: opts.heartbeatFlushMs,
      });
      opened.push(s);
      return s;
    },
    async dispose() {
      for (const s of opened) await s.close();
      await db.drop();
    },
  };
  return fleet;
}

/** The store kinds to run: both, or SQLite only (with a warning) when PostgreSQL is unreachable outside CI. */
export const STORE_KINDS: ('sqlite' | 'postgres')[] = (await pgMissing())
  ? ['sqlite']
  : ['sqlite', 'postgres'];

export const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

/** A device created and registered straight through the store, last seen at `lastSeen` (ms; time is injected). */
export async function registeredAt(store: Store, key: string, lastSeen: number): Promise<void> {
  const iso = (ms: number) => new Date(ms).toISOString();
  await store.devices.create({
    device_key: key,
    note: null,
    token_hash: `t-${key}`,
    token_expires_at: iso(lastSeen + 3600_000),
  });
  const ok = await store.devices.register(key, {
    token_hash: `t-${key}`,
    secret_hash: `s-${key}`,
    now: iso(lastSeen),
    info: {},
  });
  expect(ok).toBe(true);
}
