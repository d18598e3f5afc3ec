import type { PgMigration } from '../db.js';

/**
 * Seed 002: license users, licenses, activations (seats) and systems. `rid` orders rows created in the same
 * millisecond as SQLite's rowid does. Search (a literal, ASCII-case-insensitive substring of license_key or
 * description) is served by pg_trgm GIN indexes on the ASCII-lowercased columns: a LIKE '%term%' of 3+
 * characters becomes a bitmap index scan whose candidates PostgreSQL re-checks exactly.
 */
export const licensesMigration: PgMigration = {
  version: 5,
  name: 'licenses: seed 002 licenses, activations, systems; trigram search',
  up: `
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE TABLE license_users (
      id text PRIMARY KEY,
      email text NOT NULL UNIQUE CHECK (email = lower(email)),
      name text,
      created_at timestamptz NOT NULL
    );
    CREATE TABLE licenses (
      rid bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      id text PRIMARY KEY,
      license_key text NOT NULL UNIQUE,
      duration_days integer NOT NULL CHECK (duration_days BETWEEN 1 AND 3650),
      max_machines integer NOT NULL DEFAULT 1 CHECK (max_machines BETWEEN 1 AND 100),
      status text NOT NULL CHECK (status IN ('generated','activated','active','expired','revoked')),
      description text,
      user_id text REFERENCES license_users (id) ON DELETE SET NULL,
      activated_at timestamptz,
      expires_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    );
    CREATE INDEX licenses_created_at ON licenses (created_at, rid);
    CREATE INDEX licenses_updated_at ON licenses (updated_at, rid);
    CREATE INDEX licenses_expires_at ON licenses (expires_at, rid);
    CREATE INDEX licenses_status_created ON licenses (status, created_at);
    CREATE INDEX licenses_user ON licenses (user_id, created_at);
    CREATE INDEX licenses_key_trgm ON licenses USING gin (outpost_ascii_lower(license_key) gin_trgm_ops);
    CREATE INDEX licenses_description_trgm ON licenses USING gin (outpost_ascii_lower(description) gin_trgm_ops);

    CREATE TABLE activations (
      license_id text NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
      fingerprint text NOT NULL,
      user_id text REFERENCES license_users (id) ON DELETE SET NULL,
      activated_at timestamptz NOT NULL,
      PRIMARY KEY (license_id, fingerprint)
    );

    CREATE TABLE systems (
      id text PRIMARY KEY,
      license_id text NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
      fingerprint_hash text NOT NULL,
      system_data text NOT NULL DEFAULT '{}',
      last_seen timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      UNIQUE (license_id, fingerprint_hash)
    );
    CREATE INDEX systems_last_seen ON systems (last_seen);
  `,
};
