/**
 * The push side of seed 001's offline queue. One call applies one batch in ONE transaction: each op is keyed
 * by its device and its identity (`opKey` below) in a UNIQUE ops table, so a replayed op returns its first
 * stored result and applies nothing, while another device's op that happens to reuse a uuid is a new op.
 */

/**
 * The idempotency key of one op: `u:<device_id> <uuid>` when the op has a uuid, else `d:<device_id> <id>`.
 * A device_id never contains a space, so the first space separates it from the rest unambiguously.
 */
export function opKey(deviceId: string, uuid: string | null, opId: string): string {
  return uuid !== null ? `u:${deviceId} ${uuid}` : `d:${deviceId} ${opId}`;
}

export interface CopyOp {
  type: 'copy';
  /** `opKey(device, uuid, id)`. */
  key: string;
  uuid: string | null;
  opId: string;
  clientId: number;
  uid: string;
}

export interface WriteOp {
  type: 'write';
  key: string;
  uuid: string | null;
  opId: string;
  /** JSON text of the payload. */
  payload: string;
}

export type ApplyOp = CopyOp | WriteOp;

export interface AppliedResult {
  status: 'synced' | 'failed';
  error: 'QUOTA_EXCEEDED' | 'CLIENT_NOT_FOUND' | null;
  /** The result was stored by an earlier push (or earlier in this batch); nothing was applied now. */
  duplicate: boolean;
}

export interface BatchOutcome {
  /** One per op, same order. */
  results: AppliedResult[];
  /** Clients whose remaining changed in this batch, with their final figures. */
  changedClients: { id: number; name: string; remaining: number; used: number }[];
  /** The batch's realtime events were inserted into the fleet's outbox in its own transaction (see PushEvents). */
  eventsStored?: boolean;
}

/**
 * What a push announces, for a Store whose database also holds the fleet's event outbox: it may insert the
 * push's `quota_updated` (per changed client), `copy_completed` (the new copies) and `sync_completed` rows in
 * the batch's own transaction, so an acknowledged push always has its events stored. A Store without one
 * ignores this and the route publishes the events itself.
 */
export interface PushEvents {
  /** The outbox rows' origin (the instance) and their `at` stamp. */
  origin: string;
  at: number;
  /** `quota_updated.ts` (ms) and its ISO form, also `sync_completed.server_time`. */
  ts: number;
  stamp: string;
  /** The queue's length, malformed ops included (they count as failed). */
  total: number;
  /** Per op, same order: the JSON text of its `copy_completed` entry, null for a tag write. */
  copies: (string | null)[];
}

export interface CopyRecord {
  id: number;
  client_id: number;
  device_id: string;
  user_id: number;
  uid: string;
  op_uuid: string | null;
  op_id: string;
  created_at: string;
}

export interface CopyQuery {
  deviceId?: string;
  clientId?: number;
  afterId?: number;
  limit: number;
}

export interface SyncRepo {
  applyBatch(
    by: { deviceId: string; userId: number; now: string },
    ops: ApplyOp[],
    events?: PushEvents,
  ): Promise<BatchOutcome>;
  listCopies(q: CopyQuery): Promise<{ total: number; copies: CopyRecord[] }>;
}
