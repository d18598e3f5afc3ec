import type { LicenseStatus, LicenseView, SystemView } from '../../../src-shared/api/licenses.js';
import type { LicenseRecord } from '../store/licenses-repo.js';
import type { SystemRecord } from '../store/systems-repo.js';

/**
 * The status a client sees: an active license whose expires_at has passed reads `expired`, without a background
 * job rewriting rows (the clock is the source of truth; revoked stays revoked).
 */
export function effectiveStatus(status: LicenseStatus, expiresAt: string | null, now: string): LicenseStatus {
  if ((status === 'active' || status === 'activated') && expiresAt !== null && expiresAt <= now) {
    return 'expired';
  }
  return status;
}

export function licenseView(r: LicenseRecord, now: string): LicenseView {
  return {
    id: r.id,
    license_key: r.license_key,
    duration_days: r.duration_days,
    max_machines: r.max_machines,
    machines: r.machines,
    status: effectiveStatus(r.status, r.expires_at, now),
    description: r.description,
    user_id: r.user_id,
    activated_at: r.activated_at,
    expires_at: r.expires_at,
    created_at: r.created_at,
    updated_at: r.updated_at,
    users: r.user_email === null ? null : { email: r.user_email, name: r.user_name },
  };
}

export function systemView(s: SystemRecord, now: string): SystemView {
  return {
    id: s.id,
    license_id: s.license_id,
    fingerprint_hash: s.fingerprint_hash,
    system_data: s.system_data,
    last_seen: s.last_seen,
    created_at: s.created_at,
    licenses: s.license && {
      id: s.license.id,
      license_key: s.license.license_key,
      status: effectiveStatus(s.license.status, s.license.expires_at, now),
      users:
        s.license.user_email === null ? null : { email: s.license.user_email, name: s.license.user_name },
    },
  };
}
