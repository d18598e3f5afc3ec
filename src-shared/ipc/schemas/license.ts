import { z } from 'zod';
import { NoInput, NullableTimestamp } from './common.js';

export const LicenseState = z.enum(['none', 'active', 'expiring', 'expired', 'revoked', 'invalid']);
export type LicenseState = z.infer<typeof LicenseState>;

export const LicenseStatus = z.object({
  /** `expiring` = active with ≤ 14 days left; `invalid` = certificate for another machine or tampered. */
  state: LicenseState,
  license_key: z.string().nullable(),
  email: z.string().nullable(),
  activated_at: NullableTimestamp,
  expires_at: NullableTimestamp,
  days_left: z.number().int().nullable(),
  last_validated_at: NullableTimestamp,
  /** Operator-facing one-liner: what the state means / what to do. */
  message: z.string(),
});
export type LicenseStatus = z.infer<typeof LicenseStatus>;

export const license = {
  'license.activate': {
    input: z.strictObject({
      license_key: z.string().trim().min(1).max(100),
      email: z.string().trim().email().max(254),
    }),
    output: LicenseStatus,
  },
  'license.deactivate': { input: NoInput, output: LicenseStatus },
  'license.status': { input: NoInput, output: LicenseStatus },
  /** Validates with the server now (offline judgement when it is unreachable). */
  'license.checkNow': { input: NoInput, output: LicenseStatus },
} as const;
