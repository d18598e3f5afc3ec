import type { Migration } from './db.js';

/**
 * Version 11: device groups (heartbeat policy), the device timeline and heartbeats per hour.
 * - `device_groups`: group 1 is the default group. Its interval and threshold are NULL until an operator sets
 *   them, meaning "the server's configured interval, silent after 3 of them", so a server started with
 *   OUTPOST_HEARTBEAT_INTERVAL_SEC keeps its behaviour. The CHECKs hold the policy whatever writes the row.
 * - `devices.group_id`: no REFERENCES (SQLite refuses one on an added column with a default); deleting a group
 *   moves its devices in the same transaction instead. `hostname` is device-reported like the IPs.
 * - `device_events`: what happened to a device, newest read first by (device_key, id).
 * - `device_heartbeat_hours`: heartbeats per device and hour, added by the write-behind flush.
 * No index on last_seen: every heartbeat flush would have to maintain it.
 */
export const inventoryMigration: Migration = {
  version: 11,
  name: 'device groups, device events, heartbeats per hour',
  up: `
    CREATE TABLE device_groups (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL UNIQUE COLLATE NOCASE,
      description TEXT,
      heartbeat_interval_sec INTEGER CHECK (heartbeat_interval_sec BETWEEN 5 AND 3600),
      silence_threshold_sec INTEGER CHECK (silence_threshold_sec >= heartbeat_interval_sec),
      is_default INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL
    );
    INSERT INTO device_groups (id, name, description, is_default, created_at)
      VALUES (1, 'Default', 'Devices without another group', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
    ALTER TABLE devices ADD COLUMN group_id INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE devices ADD COLUMN hostname TEXT;
    CREATE INDEX devices_group ON devices (group_id, device_key);
    CREATE INDEX devices_created ON devices (created_at, device_key);
    CREATE TABLE device_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      device_key TEXT NOT NULL,
      at TEXT NOT NULL,
      type TEXT NOT NULL,
      details TEXT
    );
    CREATE INDEX device_events_key ON device_events (device_key, id);
    CREATE TABLE device_heartbeat_hours (
      device_key TEXT NOT NULL,
      hour TEXT NOT NULL,
      beats INTEGER NOT NULL,
      PRIMARY KEY (device_key, hour)
    ) WITHOUT ROWID;
  `,
};
