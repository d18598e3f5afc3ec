import type { LicenseStatus } from '../../../src-shared/api/licenses.js';

/** Seed 002 `systems`: one row per (license, machine), refreshed by each report. */
export interface SystemRecord {
  id: string;
  license_id: string;
  fingerprint_hash: string;
  system_data: Record<string, unknown>;
  last_seen: string;
  created_at: string;
  license: {
    id: string;
    license_key: string;
    status: LicenseStatus;
    expires_at: string | null;
    user_email: string | null;
    user_name: string | null;
  } | null;
}

export interface SystemReport {
  id: string;
  license_id: string;
  fingerprint_hash: string;
  system_data: Record<string, unknown>;
  now: string;
}

export interface SystemsRepo {
  /**
   * Inserts or refreshes the system (last_seen, system_data). Only a fingerprint activated on that license may
   * report: otherwise `forbidden` and nothing is written; `not_found` when the license does not exist.
   */
  report(
    report: SystemReport,
  ): Promise<{ kind: 'ok'; system: SystemRecord } | { kind: 'forbidden' } | { kind: 'not_found' }>;
  /** Most recently seen first. */
  list(opts: { license_id?: string; limit: number; offset: number }): Promise<SystemRecord[]>;
}
