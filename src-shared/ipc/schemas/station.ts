import { z } from 'zod';
import { NoInput, NullableTimestamp, Timestamp } from './common.js';

export const StationStatus = z.object({
  /** Server reachable (health check / socket state). */
  online: z.boolean(),
  /** A JWT is held and valid; false + login_needed after a 401. */
  logged_in: z.boolean(),
  login_needed: z.boolean(),
  username: z.string().nullable(),
  syncing: z.boolean(),
  /** The last sync that ran to the end; an attempt that stopped early (server unreachable…) does not move it. */
  last_sync_at: NullableTimestamp,
  /** The latest attempt, whatever its outcome (null before the first). */
  last_attempt: z
    .object({
      finished_at: Timestamp,
      ok: z.boolean(),
      synced: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
    })
    .nullable(),
  /** Why the latest attempt stopped early, while still true (never "server unreachable" while online). */
  last_error: z.string().nullable(),
  pending: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  server_url: z.string(),
});
export type StationStatus = z.infer<typeof StationStatus>;

export const QueueItem = z.object({
  uuid: z.string(),
  type: z.string(),
  client_id: z.number().int().nullable(),
  uid: z.string().nullable(),
  status: z.enum(['pending', 'synced', 'failed']),
  error: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  created_at: Timestamp,
});
export type QueueItem = z.infer<typeof QueueItem>;

export const QueueSnapshot = z.object({
  counts: z.object({
    pending: z.number().int().nonnegative(),
    synced: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
  }),
  /** Failed ops with their reasons (retry / dismiss), oldest first. */
  failed: z.array(QueueItem),
  /** The oldest pending ops (bounded; the count above is the truth). */
  pending: z.array(QueueItem),
});
export type QueueSnapshot = z.infer<typeof QueueSnapshot>;

export const Quota = z.object({
  client_id: z.number().int(),
  name: z.string().nullable(),
  /** Local remaining = server remaining − local pending ops. */
  remaining: z.number().int(),
  total: z.number().int().nullable(),
  updated_at: NullableTimestamp,
});
export type Quota = z.infer<typeof Quota>;

export const CopyReceipt = z.object({
  uuid: z.string(),
  client_id: z.number().int(),
  uid: z.string(),
  remaining: z.number().int(),
});
export type CopyReceipt = z.infer<typeof CopyReceipt>;

export const SyncResult = z.object({
  pushed: z.number().int().nonnegative(),
  synced: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  quotas_updated: z.boolean(),
});
export type SyncResult = z.infer<typeof SyncResult>;

export const SyncProgress = z.object({
  phase: z.enum(['push', 'pull', 'done', 'error']),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  message: z.string().optional(),
});
export type SyncProgress = z.infer<typeof SyncProgress>;

const Uuid = z.strictObject({ uuid: z.string().min(1).max(64) });

export const station = {
  'station.login': {
    input: z.strictObject({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
    output: StationStatus,
  },
  'station.logout': { input: NoInput, output: StationStatus },
  /** NFC UID as typed by a keyboard-wedge reader; the agent validates hex 4/7/10 bytes. */
  'station.recordCopy': {
    input: z.strictObject({ client_id: z.number().int().positive(), uid: z.string().trim().min(1).max(64) }),
    output: CopyReceipt,
  },
  'station.syncNow': { input: NoInput, output: SyncResult },
  'station.queue': { input: NoInput, output: QueueSnapshot },
  'station.quotas': { input: NoInput, output: z.object({ quotas: z.array(Quota) }) },
  'station.retry': { input: Uuid, output: QueueSnapshot },
  /** Hides a failed op: it is never sent, so never billed. Undoable until the next sync. */
  'station.dismiss': { input: Uuid, output: QueueSnapshot },
  'station.undoDismiss': { input: Uuid, output: QueueSnapshot },
  'station.status': { input: NoInput, output: StationStatus },
} as const;
