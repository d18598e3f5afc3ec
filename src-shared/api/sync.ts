import { z } from 'zod';
import { DeviceId } from './auth.js';

/**
 * Seed 001 clients, quotas and the offline queue's push/pull.
 *
 * Push semantics (exactly once): an op is identified by (device_id, uuid) when it has a uuid, otherwise by
 * (device_id, id); another device reusing a uuid sends a new op.
 * The first result stored for an identity is final: a replay answers it again (with `duplicate: true`) and
 * applies nothing. Failed results (QUOTA_EXCEEDED, CLIENT_NOT_FOUND) are stored too, so retrying a failed op
 * after the admin added quota needs a NEW uuid. Malformed ops fail with VALIDATION_ERROR and are not stored.
 */
export const MAX_PUSH_OPS = 1000;

export const ClientId = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,15}$/)]);

/** NFC UID: hex without separators, 4 to 10 bytes (stored upper-case). */
export const NfcUid = z.string().regex(/^(?:[0-9A-Fa-f]{2}){4,10}$/, 'uid must be 4-10 bytes of hex');

export const SyncOpId = z.union([z.number().int(), z.string().min(1).max(128)]);
export const OpUuid = z.string().min(8).max(128);

export const CopyPayload = z.object({ client_id: ClientId, uid: NfcUid }).passthrough();
export const WritePayload = z.record(z.string(), z.unknown());

/** One queued op as the station sends it (the server checks each op on its own). */
export const SyncOp = z.object({
  id: SyncOpId,
  uuid: OpUuid.optional(),
  type: z.enum(['copy', 'write']),
  payload: z.record(z.string(), z.unknown()),
});
export type SyncOp = z.infer<typeof SyncOp>;

/** The envelope is validated as a whole (≤ 1000 ops); each op inside is validated separately. */
export const PushRequest = z.object({
  device_id: DeviceId,
  queue: z.array(z.unknown()).max(MAX_PUSH_OPS),
});
export type PushRequest = z.infer<typeof PushRequest>;

export const OpResult = z.object({
  id: z.unknown(),
  uuid: z.string().optional(),
  status: z.enum(['synced', 'failed']),
  /** Error code: QUOTA_EXCEEDED | CLIENT_NOT_FOUND | VALIDATION_ERROR. */
  error: z.string().optional(),
  message: z.string().optional(),
  /** This op was already applied (or failed) by an earlier push; nothing changed now. */
  duplicate: z.boolean().optional(),
});
export type OpResult = z.infer<typeof OpResult>;

export const PushResponse = z.object({
  success: z.literal(true),
  data: z.array(OpResult),
  server_time: z.string(),
});
export type PushResponse = z.infer<typeof PushResponse>;

export const QuotaInfo = z.object({
  client_id: z.number().int(),
  name: z.string(),
  remaining: z.number().int(),
  total: z.number().int(),
  updated_at: z.string(),
});
export type QuotaInfo = z.infer<typeof QuotaInfo>;

export const PullResponse = z.object({
  success: z.literal(true),
  quotas: z.array(QuotaInfo),
  server_time: z.string(),
});
export type PullResponse = z.infer<typeof PullResponse>;

export const Client = z.object({
  id: z.number().int(),
  name: z.string(),
  remaining: z.number().int(),
  used: z.number().int(),
  total: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Client = z.infer<typeof Client>;

export const CreateClientRequest = z.object({
  name: z.string().trim().min(1).max(200),
  quota: z.number().int().min(0).max(1_000_000_000),
});

/** Exactly one of `quota` (set remaining) or `add` (change remaining; never below 0). */
export const UpdateClientRequest = z
  .object({
    quota: z.number().int().min(0).max(1_000_000_000).optional(),
    add: z.number().int().min(-1_000_000_000).max(1_000_000_000).optional(),
  })
  .refine((b) => (b.quota === undefined) !== (b.add === undefined), {
    message: 'send exactly one of quota or add',
  });

/** `POST /api/admin/clients/:id/top-up`: adds copies; only a positive whole number means anything here. */
export const TopUpClientRequest = z.strictObject({ add: z.number().int().min(1).max(1_000_000_000) });

/** `POST /api/admin/clients/:id/reduce`: takes copies away; refused (nothing changed) below 0. */
export const ReduceClientRequest = z.strictObject({ by: z.number().int().min(1).max(1_000_000_000) });

/** `PATCH /api/admin/clients/:id`: renames (names are unique, case-insensitively). */
export const RenameClientRequest = z.strictObject({ name: z.string().trim().min(1).max(200) });

export const ClientResponse = z.object({ success: z.literal(true), data: Client });
export const ClientListResponse = z.object({ success: z.literal(true), data: z.array(Client) });
