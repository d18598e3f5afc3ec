import type { PgMigration } from '../db.js';

/**
 * Bulk-enrollment batches. A member row keeps the hash of the token the batch issued, so revoking "the batch's
 * unused tokens" touches exactly those still live, not a token issued to the device later. Members go with
 * their device (ON DELETE CASCADE).
 */
export const deviceBatchesMigration: PgMigration = {
  version: 12,
  name: 'devices: bulk enrollment batches',
  up: `
    CREATE TABLE device_batches (
      batch_id text PRIMARY KEY,
      created_at timestamptz NOT NULL,
      created_by text NOT NULL,
      token_expires_at timestamptz NOT NULL,
      group_id integer,
      device_count integer NOT NULL,
      revoked_at timestamptz
    );
    CREATE TABLE device_batch_members (
      batch_id text NOT NULL REFERENCES device_batches (batch_id),
      device_key text NOT NULL REFERENCES devices (device_key) ON DELETE CASCADE,
      token_hash text NOT NULL,
      PRIMARY KEY (batch_id, device_key)
    );
  `,
};
