import type { OpResult } from '../../../src-shared/api/sync.js';
import { opKey, type ApplyOp } from '../store/sync-repo.js';

/**
 * Per-op validation for `/api/sync/push`. Hand-written rather than zod: it runs for every op of 500-op batches
 * on the hot path, and one malformed op must fail alone without rejecting the batch around it.
 */
const UID = /^(?:[0-9A-Fa-f]{2}){4,10}$/;
const UUID = /^[\x21-\x7e]{8,128}$/;
const MAX_WRITE_PAYLOAD = 16 * 1024;

export type ParsedOp =
  { ok: true; op: ApplyOp; id: number | string; uuid?: string } | { ok: false; result: OpResult };

function validId(id: unknown): id is number | string {
  return (
    (typeof id === 'number' && Number.isSafeInteger(id)) ||
    (typeof id === 'string' && id.length > 0 && id.length <= 128)
  );
}

/**
 * A failed result for a malformed op. The op's id and uuid are answered only when they are well-formed, so the
 * station can match the result: anything else (a 100,000-deep array, a megabyte of text) is never echoed.
 */
function invalid(id: unknown, message: string, uuid?: unknown): ParsedOp {
  const result: OpResult = {
    id: validId(id) ? id : null,
    status: 'failed',
    error: 'VALIDATION_ERROR',
    message,
  };
  if (typeof uuid === 'string' && UUID.test(uuid)) result.uuid = uuid;
  return { ok: false, result };
}

function clientIdOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  if (typeof v === 'string' && /^[1-9][0-9]{0,15}$/.test(v)) return Number(v);
  return undefined;
}

export function parseOp(raw: unknown, deviceId: string): ParsedOp {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return invalid(null, 'op must be an object');
  const o = raw as Record<string, unknown>;
  const id = o.id;
  if (!validId(id)) return invalid(id, 'id must be an integer or a string of 1-128 characters', o.uuid);
  const uuid = o.uuid;
  if (uuid !== undefined && (typeof uuid !== 'string' || !UUID.test(uuid))) {
    return invalid(id, 'uuid must be 8-128 printable characters', uuid);
  }
  const p = o.payload;
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    return invalid(id, 'payload must be an object', uuid);
  const payload = p as Record<string, unknown>;
  const opId = String(id);
  const u = (uuid as string | undefined) ?? null;
  const key = opKey(deviceId, u, opId);
  if (o.type === 'copy') {
    const clientId = clientIdOf(payload.client_id);
    if (clientId === undefined) return invalid(id, 'payload.client_id must be a positive integer', uuid);
    if (typeof payload.uid !== 'string' || !UID.test(payload.uid)) {
      return invalid(id, 'payload.uid must be 4-10 bytes of hex', uuid);
    }
    return {
      ok: true,
      id,
      uuid: u ?? undefined,
      op: { type: 'copy', key, uuid: u, opId, clientId, uid: payload.uid.toUpperCase() },
    };
  }
  if (o.type === 'write') {
    const text = JSON.stringify(payload);
    if (text.length > MAX_WRITE_PAYLOAD) return invalid(id, 'payload too large (16 KB max)', uuid);
    return { ok: true, id, uuid: u ?? undefined, op: { type: 'write', key, uuid: u, opId, payload: text } };
  }
  return invalid(id, "type must be 'copy' or 'write'", uuid);
}
