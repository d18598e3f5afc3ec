import type { LicenseStatus } from '../../../src-shared/api/licenses.js';

/** One license joined with its user and seat count. Times are ISO 8601 UTC strings (sortable as text). */
export interface LicenseRecord {
  id: string;
  license_key: string;
  duration_days: number;
  max_machines: number;
  /** The stored status; `expired` is derived at read time by the route layer (see effectiveStatus). */
  status: LicenseStatus;
  description: string | null;
  user_id: string | null;
  activated_at: string | null;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  user_email: string | null;
  user_name: string | null;
  /** Activated fingerprints (seats in use). */
  machines: number;
}

export interface NewLicense {
  id: string;
  license_key: string;
  duration_days: number;
  max_machines: number;
  description: string | null;
  now: string;
}

export interface LicenseListFilter {
  limit: number;
  offset: number;
  sort: 'created_at' | 'updated_at' | 'expires_at';
  order: 'asc' | 'desc';
  /** Effective status: `expired` includes active licenses past expires_at; `active` excludes them. */
  status?: LicenseStatus;
  user_id?: string;
  /** Literal substring of license_key or description (case-insensitive); no wildcards. */
  search?: string;
  now: string;
}

export interface LicensePatch {
  duration_days?: number;
  status?: LicenseStatus;
  description?: string;
}

export interface ActivationInput {
  license_key: string;
  email: string;
  name?: string;
  fingerprint: string;
  now: string;
}

export type ActivationOutcome =
  | { kind: 'ok'; license: LicenseRecord; newSeat: boolean }
  | { kind: 'not_found' }
  | { kind: 'revoked' }
  | { kind: 'expired' }
  | { kind: 'in_use'; license: LicenseRecord };

export type DeactivationOutcome =
  { kind: 'ok'; license: LicenseRecord } | { kind: 'not_found' } | { kind: 'not_activated' };

export interface LicensesRepo {
  /** Throws a CONFLICT AppError when the key already exists (the caller draws a new one). */
  create(license: NewLicense): Promise<LicenseRecord>;
  findById(id: string): Promise<LicenseRecord | undefined>;
  findByKey(key: string): Promise<LicenseRecord | undefined>;
  list(filter: LicenseListFilter): Promise<{ rows: LicenseRecord[]; total: number }>;
  /** Changing duration_days of an activated license moves expires_at to activated_at + duration_days. */
  update(id: string, patch: LicensePatch, now: string): Promise<LicenseRecord | undefined>;
  /** Deletes the license with its activations and systems. */
  delete(id: string): Promise<boolean>;
  /**
   * Seat check and insert in one write transaction: of N concurrent activations on a license with one free
   * seat, exactly one wins. The first activation starts the clock and links the user (created by email).
   */
  activate(input: ActivationInput): Promise<ActivationOutcome>;
  deactivate(licenseKey: string, fingerprint: string, now: string): Promise<DeactivationOutcome>;
  isActivated(licenseId: string, fingerprint: string): Promise<boolean>;
}
