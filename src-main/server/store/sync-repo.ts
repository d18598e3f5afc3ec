/**
 * The push side of seed 001's offline queue. One call applies one batch in ONE transaction: each op is keyed
 * (`u:<uuid>` or `d:<device_id>:<id>`) in a UNIQUE ops table, so a replayed op returns its first stored result
 * and applies nothing.
 */
export interface CopyOp {
  type: 'copy';
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
  applyBatch(by: { deviceId: string; userId: number; now: string }, ops: ApplyOp[]): Promise<BatchOutcome>;
  listCopies(q: CopyQuery): Promise<{ total: number; copies: CopyRecord[] }>;
}
