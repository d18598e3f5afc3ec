import { z } from 'zod';

/**
 * Seed 001 login/refresh and the admin user route. A token is a JWT (HS256) with claims
 * `sub` (user id as a string), `username`, `role`, `device_id` (null when logged in without one), `iat`, `exp`.
 */
/**
 * admin: everything. operator: view and operate (devices, groups, tokens, quotas, alerts; no keys, no users).
 * viewer: view and export. station: sync only, no admin route at all.
 */
export const Role = z.enum(['admin', 'operator', 'station', 'viewer']);
export type Role = z.infer<typeof Role>;

/** Printable ASCII without spaces: seed 001 builds ids like `HOSTNAME_LQ2X3`. */
export const DeviceId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'device_id must be printable ASCII without spaces');

export const LoginRequest = z.object({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(1024),
  device_id: DeviceId.optional(),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const PublicUser = z.object({
  id: z.number().int(),
  username: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  role: Role,
});
export type PublicUser = z.infer<typeof PublicUser>;

/** Login and refresh both answer this. `expires_at` is the token's `exp` as ISO time. */
export const TokenResponse = z.object({
  success: z.literal(true),
  token: z.string(),
  expires_at: z.string(),
  user: PublicUser,
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const CreateUserRequest = z.object({
  username: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.@-]+$/, 'letters, digits and _ . @ - only'),
  password: z.string().min(8, 'password must be at least 8 characters').max(1024),
  role: Role,
  name: z.string().max(200).optional(),
  email: z.string().email().max(254).optional(),
});
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

export const UserResponse = z.object({ success: z.literal(true), data: PublicUser });

/** The decoded, verified claims of an Outpost JWT. */
export interface TokenClaims {
  sub: string;
  username: string;
  role: Role;
  device_id: string | null;
  iat: number;
  exp: number;
}

/** Admin view of a user: the public fields plus whether it may log in. */
export const AdminUser = PublicUser.extend({
  disabled: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type AdminUser = z.infer<typeof AdminUser>;

export const UserIdParams = z.object({ id: z.coerce.number().int().positive() });

/** Disabling a user refuses its logins and every token already issued to it (within the auth cache TTL). */
export const UpdateUserRequest = z.object({ disabled: z.boolean() });
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

/**
 * `PUT /api/admin/users/:id`: any of role, disabled, password (at least one). A role or password change, like
 * disabling, ends the tokens already issued to the user on every instance.
 */
export const EditUserRequest = z
  .object({
    role: Role.optional(),
    disabled: z.boolean().optional(),
    password: z.string().min(8, 'password must be at least 8 characters').max(1024).optional(),
  })
  .refine((b) => b.role !== undefined || b.disabled !== undefined || b.password !== undefined, {
    message: 'give at least one of role, disabled, password',
  });
export type EditUserRequest = z.infer<typeof EditUserRequest>;

export const AdminUserResponse = z.object({ success: z.literal(true), data: AdminUser });
export const AdminUserListResponse = z.object({ success: z.literal(true), data: z.array(AdminUser) });

/** A sync device_id and the account that owns it (the first to log in or push with it). */
export const StationBinding = z.object({
  device_id: DeviceId,
  user_id: z.number().int(),
  username: z.string(),
  created_at: z.string(),
});
export type StationBinding = z.infer<typeof StationBinding>;

export const StationBindingParams = z.object({ device_id: DeviceId });
export const StationBindingListResponse = z.object({
  success: z.literal(true),
  data: z.array(StationBinding),
});

/** Deleting a user or releasing a binding answers this. */
export const AdminDoneResponse = z.object({ success: z.literal(true), message: z.string() });

/** A named admin API key as listed: never the key itself (only its SHA-256 digest is stored). */
export const ApiKeyView = z.object({
  id: z.number().int(),
  name: z.string(),
  role: Role,
  created_at: z.string(),
  /** Updated at most once a minute per key. */
  last_used_at: z.string().nullable(),
  /** The user or key name that created it. */
  created_by: z.string(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;

/** Roles a named key may carry: a key is for scripts and consoles, never for a station's sync. */
export const ApiKeyRole = z.enum(['admin', 'operator', 'viewer']);
export type ApiKeyRole = z.infer<typeof ApiKeyRole>;

export const CreateApiKeyRequest = z.object({
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9 _.@-]+$/, 'letters, digits, spaces and _ . @ - only'),
  role: ApiKeyRole,
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

/** The key is in this answer only: it cannot be shown again. */
export const CreatedApiKeyResponse = z.object({
  success: z.literal(true),
  data: z.object({ id: z.number().int(), name: z.string(), role: Role, key: z.string() }),
});
export type CreatedApiKeyResponse = z.infer<typeof CreatedApiKeyResponse>;

export const ApiKeyListResponse = z.object({ success: z.literal(true), data: z.array(ApiKeyView) });
export type ApiKeyListResponse = z.infer<typeof ApiKeyListResponse>;

export const ApiKeyIdParams = z.object({ id: z.coerce.number().int().positive() });
