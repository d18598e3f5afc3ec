/**
 * Registered devices in bulk for the fleet benches, written straight into the store's own tables (the schema is
 * created first by opening the store, so its migrations run): set-based SQL on PostgreSQL (generate_series, one
 * statement per table), one prepared statement in one transaction on SQLite. A million devices take seconds
 * instead of the hours the routes would. Device i has key `bench-<i, 7 digits>` and the bearer secret
 * `s<i>-<salt>`; every device is registered, silent for an hour and already reported offline (so the offline
 * sweep has nothing to raise, as in a fleet's steady state), except that heartbeats will move the active ones on.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';
import { sha256Hex } from '../src-main/server/auth/secret-hash.js';
import { createPostgresStore } from '../src-main/server/store/postgres/index.js';
import { createSqliteStore } from '../src-main/server/store/sqlite/index.js';

export const deviceKey = (i: number): string => `bench-${String(i).padStart(7, '0')}`;
export const deviceSecret = (i: number, salt: string): string => `s${i}-${salt}`;
export const newSalt = (): string => randomBytes(8).toString('hex');

/** Creates the store's schema in `url` and inserts `n` registered devices with set-based SQL. */
export async function insertDevicesPg(url: string, n: number, salt: string): Promise<void> {
  const store = await createPostgresStore({ url });
  await store.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const now = new Date().toISOString();
    const seen = new Date(Date.now() - 3600_000).toISOString();
    await c.query(
      `INSERT INTO devices (device_key, status, secret_hash, created_at, registered_at, updated_at)
       SELECT 'bench-' || lpad(i::text, 7, '0'), 'registered',
              encode(sha256(convert_to('s' || i || '-' || $2, 'UTF8')), 'hex'), $3, $3, $3
         FROM generate_series(0, $1::int - 1) AS i`,
      [n, salt, now],
    );
    await c.query(
      `INSERT INTO device_heartbeats (device_key, last_seen, offline_raised_for, mac, note)
       SELECT 'bench-' || lpad(i::text, 7, '0'), $2, $2, '00:1A:2B:3C:4D:5E', 'bench'
         FROM generate_series(0, $1::int - 1) AS i`,
      [n, seen],
    );
    await c.query('VACUUM ANALYZE devices');
    await c.query('VACUUM ANALYZE device_heartbeats');
  } finally {
    await c.end();
  }
}

/** Creates the store's schema in `dataDir` and inserts `n` registered devices in one prepared transaction. */
export async function insertDevicesSqlite(dataDir: string, n: number, salt: string): Promise<void> {
  const store = createSqliteStore(dataDir);
  await store.close();
  const db = new Database(join(dataDir, 'server.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const now = new Date().toISOString();
    const seen = new Date(Date.now() - 3600_000).toISOString();
    const insert = db.prepare(
      `INSERT INTO devices (device_key, note, status, secret_hash, mac, created_at, registered_at, last_seen,
                            offline_raised_for, updated_at)
       VALUES (?, 'bench', 'registered', ?, '00:1A:2B:3C:4D:5E', ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        insert.run(deviceKey(i), sha256Hex(deviceSecret(i, salt)), now, now, seen, seen, now);
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
}

/** autocannon requests: heartbeats of devices 0..active-1 in turn, each with its own key and secret. */
export function heartbeatRequests(active: number, salt: string): autocannon.Request[] {
  const prepared = Array.from({ length: active }, (_, i) => ({
    path: `/api/devices/${deviceKey(i)}/online`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceSecret(i, salt)}` },
    body: JSON.stringify({
      ip_lan: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      ip_public: '203.0.113.42',
      mac: '00:1A:2B:3C:4D:5E',
      note: 'Updates Manager Tool',
    }),
  }));
  let next = 0;
  return [
    {
      method: 'POST',
      setupRequest: (req) => {
        const p = prepared[next++ % prepared.length]!;
        return { ...req, method: 'POST', path: p.path, headers: p.headers, body: p.body };
      },
    },
  ];
}

export interface Load {
  rps: number;
  p99: number;
  ok: number;
  other: number;
  errors: number;
}

/** `seconds` of heartbeats at `connections` (pipelining 1), or exactly `amount` requests (a cold pass). */
export async function load(
  url: string,
  requests: autocannon.Request[],
  connections: number,
  seconds: number,
  amount?: number,
): Promise<Load> {
  const r = await autocannon({
    url,
    connections,
    pipelining: 1,
    requests,
    ...(amount ? { amount } : { duration: seconds }),
  });
  const total = r['2xx'] + r.non2xx;
  return {
    rps: total > 0 ? (r.requests.average * r['2xx']) / total : 0,
    p99: r.latency.p99,
    ok: r['2xx'],
    other: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}
