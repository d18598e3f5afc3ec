import type { ApiKeyRole } from '../../../src-shared/api/auth.js';

/** A named admin API key as stored: its SHA-256 digest, never the key. */
export interface ApiKeyRecord {
  id: number;
  name: string;
  role: ApiKeyRole;
  key_digest: string;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
}

export interface NewApiKey {
  name: string;
  role: ApiKeyRole;
  key_digest: string;
  created_by: string;
  now: string;
}

export interface ApiKeysRepo {
  /** Throws a CONFLICT AppError when the name is taken. */
  create(key: NewApiKey): Promise<ApiKeyRecord>;
  /** One indexed lookup by digest (the digest of a 256-bit key gives nothing away). */
  findByDigest(digest: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Deletes the key; the deleted record, or undefined when there was none. */
  remove(id: number): Promise<ApiKeyRecord | undefined>;
  /**
   * Sets last_used_at to `now` unless it is already at or after `notBefore`: one conditional statement, so
   * instances racing to record a use write it once a minute between them, not once per request.
   */
  touch(id: number, now: string, notBefore: string): Promise<void>;
}
