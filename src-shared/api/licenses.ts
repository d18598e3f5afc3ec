import { z } from 'zod';

/**
 * Seed 002 (ProGran3 license API): licenses, activation, systems. Wire format as the seed; additions are
 * additive fields (`max_machines`, `machines`, `certificate`, …) and the public-key endpoint for offline proof.
 */

export const LICENSE_STATUSES = ['generated', 'activated', 'active', 'expired', 'revoked'] as const;
export const LicenseStatus = z.enum(LICENSE_STATUSES);
export type LicenseStatus = z.infer<typeof LicenseStatus>;

/** `PREFIX-YYYY-XXXXXX-XXXXXX`; accepted case-insensitively and normalised to upper case. */
export const LICENSE_KEY_RE = /^[A-Z][A-Z0-9]{1,15}-\d{4}-[A-Z0-9]{6}-[A-Z0-9]{6}$/;

export const LicenseKey = z
  .string()
  .trim()
  .max(64, 'license_key is too long')
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(LICENSE_KEY_RE, 'license_key must have the format PROGRAN3-YYYY-XXXXXX-XXXXXX'));

/** A SHA-256 hex digest: exactly 64 hex characters (the seed's own 60-character example is rejected). */
export const Fingerprint = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a 64-character SHA-256 hex hash')
  .transform((s) => s.toLowerCase());

const Uuid = z.uuid('must be a UUID');
const DurationDays = z
  .number('duration_days must be a number')
  .int('duration_days must be a whole number')
  .min(1, 'Duration must be at least 1 day')
  .max(3650, 'Duration must be at most 3650 days (10 years)');
const Description = z.string().max(500, 'description must be at most 500 characters');

export const LicenseIdParams = z.object({ id: Uuid });

export const LIST_SORT_FIELDS = ['created_at', 'updated_at', 'expires_at'] as const;
export const LIST_MAX_LIMIT = 100;

/** `GET /api/licenses`. A `limit` above 100 is refused (400), like any other out-of-contract value. */
export const LicenseListQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(LIST_MAX_LIMIT, `limit must be at most ${LIST_MAX_LIMIT}`)
    .default(50),
  sort: z.enum(LIST_SORT_FIELDS).default('created_at'),
  order: z.enum(['asc', 'desc']).default('desc'),
  status: LicenseStatus.optional(),
  user_id: Uuid.optional(),
  search: z.string().max(100, 'search must be at most 100 characters').optional(),
});
export type LicenseListQuery = z.infer<typeof LicenseListQuery>;

export const LicenseUser = z.object({ email: z.string(), name: z.string().nullable() });

export const LicenseView = z.object({
  id: z.string(),
  license_key: z.string(),
  duration_days: z.number().int(),
  max_machines: z.number().int(),
  /** Seats in use (activated fingerprints). */
  machines: z.number().int(),
  status: LicenseStatus,
  description: z.string().nullable(),
  user_id: z.string().nullable(),
  activated_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  users: LicenseUser.nullable(),
});
export type LicenseView = z.infer<typeof LicenseView>;

export const Pagination = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  totalPages: z.number().int(),
});

export const LicenseListResponse = z.object({
  success: z.literal(true),
  data: z.object({ licenses: z.array(LicenseView), pagination: Pagination }),
});
export type LicenseListResponse = z.infer<typeof LicenseListResponse>;

export const LicenseResponse = z.object({
  success: z.literal(true),
  data: LicenseView,
  message: z.string().optional(),
});

export const GenerateRequest = z.object({
  duration_days: DurationDays,
  description: Description.optional(),
  max_machines: z.number().int().min(1).max(100, 'max_machines must be at most 100').default(1),
});
export type GenerateRequest = z.infer<typeof GenerateRequest>;

export const GenerateResponse = z.object({
  success: z.literal(true),
  data: z.object({
    id: z.string(),
    license_key: z.string(),
    duration_days: z.number().int(),
    max_machines: z.number().int(),
    description: z.string().nullable(),
    status: LicenseStatus,
    created_at: z.string(),
  }),
  message: z.string(),
});

export const ActivateRequest = z.object({
  license_key: LicenseKey,
  user_email: z
    .email('user_email must be a valid email address')
    .max(254)
    .transform((s) => s.toLowerCase()),
  system_fingerprint: Fingerprint,
  /** Optional display name for a user created by this activation (seed 002 lists `users.name`). */
  user_name: z.string().trim().min(1).max(200).optional(),
});
export type ActivateRequest = z.infer<typeof ActivateRequest>;

/** What the Ed25519 certificate signs; the agent checks it offline. */
export const CertificatePayload = z.object({
  v: z.literal(1),
  license_id: z.string(),
  license_key: z.string(),
  fingerprint: z.string(),
  status: LicenseStatus,
  expires_at: z.string().nullable(),
  issued_at: z.string(),
});
export type CertificatePayload = z.infer<typeof CertificatePayload>;

export const ActivateData = z.object({
  license_id: z.string(),
  license_key: z.string(),
  user_email: z.string(),
  duration_days: z.number().int(),
  activated_at: z.string(),
  expires_at: z.string(),
  status: LicenseStatus,
  max_machines: z.number().int(),
  machines: z.number().int(),
  /** Compact JWS (alg EdDSA) over CertificatePayload; verify with GET /api/licenses/public-key. */
  certificate: z.string(),
});
export type ActivateData = z.infer<typeof ActivateData>;

export const ActivateResponse = z.object({
  success: z.literal(true),
  data: ActivateData,
  message: z.string(),
});

export const DeactivateRequest = z.object({
  license_key: LicenseKey,
  system_fingerprint: Fingerprint,
});

export const DeactivateResponse = z.object({
  success: z.literal(true),
  data: z.object({ license_id: z.string(), license_key: z.string(), machines: z.number().int() }),
  message: z.string(),
});

export const UpdateRequest = z
  .object({
    duration_days: DurationDays.optional(),
    status: LicenseStatus.optional(),
    description: Description.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'Provide at least one of duration_days, status, description',
  });
export type UpdateRequest = z.infer<typeof UpdateRequest>;

export const DeleteResponse = z.object({
  success: z.literal(true),
  data: z.object({ id: z.string() }),
  message: z.string(),
});

export const PublicKeyResponse = z.object({
  success: z.literal(true),
  data: z.object({
    alg: z.literal('EdDSA'),
    crv: z.literal('Ed25519'),
    /** First 16 hex of SHA-256 over the SPKI DER; also the certificate's `kid` header. */
    key_id: z.string(),
    public_key_pem: z.string(),
    jwk: z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string() }),
  }),
});
export type PublicKeyData = z.infer<typeof PublicKeyResponse>['data'];

/** `system_data` is free-form but bounded: at most 50 keys and 16 KB of JSON. */
export const SystemData = z
  .record(z.string().max(64), z.unknown())
  .refine((o) => Object.keys(o).length <= 50, 'system_data may have at most 50 keys')
  .refine((o) => JSON.stringify(o).length <= 16_384, 'system_data must be at most 16 KB of JSON');

export const SystemReportRequest = z.object({
  license_id: Uuid,
  fingerprint_hash: Fingerprint,
  system_data: SystemData.default({}),
});
export type SystemReportRequest = z.infer<typeof SystemReportRequest>;

export const SystemView = z.object({
  id: z.string(),
  license_id: z.string(),
  fingerprint_hash: z.string(),
  system_data: z.record(z.string(), z.unknown()),
  last_seen: z.string(),
  created_at: z.string(),
  licenses: z
    .object({
      id: z.string(),
      license_key: z.string(),
      status: LicenseStatus,
      users: LicenseUser.nullable(),
    })
    .nullable(),
});
export type SystemView = z.infer<typeof SystemView>;

export const SystemListQuery = z.object({
  license_id: Uuid.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
});

export const SystemListResponse = z.object({ success: z.literal(true), data: z.array(SystemView) });
export const SystemReportResponse = z.object({
  success: z.literal(true),
  data: SystemView,
  message: z.string(),
});
