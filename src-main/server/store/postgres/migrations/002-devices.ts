import type { PgMigration } from '../db.js';

/**
 * Devices (seed 004), split in two tables by how often they change:
 * - `devices`: identity and credentials, written on create, token issue, registration, revoke.
 * - `device_heartbeats`: what every heartbeat writes (last_seen and the device-reported fields), one narrow row
 *   per device. The only index is the primary key, which a heartbeat never changes, so a heartbeat update can be
 *   a HOT update (no index entries, a fraction of the WAL) when the page has room for the new row version.
 *   fillfactor 50 leaves that room even when one flush rewrites every row of a page in one transaction (the old
 *   versions are not prunable until it commits): measured with 10,000 rows all rewritten per flush, 93 % HOT at
 *   50 against 78 % at 70. Realistic flushes touch a few rows per page and are all HOT. Do not index last_seen here (that turns each heartbeat into a non-HOT update);
 *   online queries scan this table, which stays small.
 */
export const devicesMigration: PgMigration = {
  version: 2,
  name: 'devices (seed 004): identity, narrow heartbeat table',
  up: `
    CREATE TABLE devices (
      device_key text PRIMARY KEY,
      status text NOT NULL CHECK (status IN ('pending','registered','revoked')),
      token_hash text,
      token_expires_at timestamptz,
      used_token_hash text,
      secret_hash text,
      ssh_pubkey text,
      created_at timestamptz NOT NULL,
      registered_at timestamptz,
      revoked_at timestamptz,
      updated_at timestamptz NOT NULL
    );
    CREATE TABLE device_heartbeats (
      device_key text PRIMARY KEY REFERENCES devices (device_key) ON DELETE CASCADE,
      last_seen timestamptz,
      ip_address text,
      ip_lan text,
      ip_public text,
      mac text,
      cluster_ip text,
      note text
    ) WITH (fillfactor = 50);
  `,
};
