/**
 * Service results → channel output shapes. The services' own types are the source; these functions pick the
 * fields the UI contract names, so an extra field on a service (or a secret) never reaches the UI, and a
 * service shape that moves breaks here, in one place, with a typed error rather than in the renderer.
 */
import type {
  CopyReceipt,
  LicenseStatus,
  QueueItem,
  QueueSnapshot,
  Quota,
  StationStatus,
  SyncProgress,
  SyncResult,
} from '../../../src-shared/ipc/channels.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const int = (v: unknown, d = 0): number => Math.trunc(num(v) ?? d);
const bool = (v: unknown): boolean => v === true;

export function toStationStatus(raw: unknown): StationStatus {
  const s = obj(raw);
  const user = obj(s.user);
  const lastSync = obj(s.last_sync);
  const lastError = obj(s.last_error);
  const finished = str(lastSync.finished_at);
  return {
    online: bool(s.online),
    logged_in: bool(s.logged_in),
    login_needed: bool(s.login_needed),
    username: str(user.username) ?? str(s.username),
    syncing: bool(s.syncing),
    last_sync_at: str(s.last_completed_sync_at),
    last_attempt: finished
      ? {
          finished_at: finished,
          ok: lastSync.error === undefined || lastSync.error === null,
          synced: int(lastSync.synced),
          failed: int(lastSync.failed),
        }
      : null,
    last_error: str(lastError.message),
    pending: int(s.pending),
    failed: int(s.failed),
    server_url: str(s.server_url) ?? '',
  };
}

export function toQueueItem(raw: unknown): QueueItem {
  const q = obj(raw);
  const status = q.status === 'synced' || q.status === 'failed' ? q.status : 'pending';
  return {
    uuid: str(q.uuid) ?? '',
    type: str(q.type) ?? 'copy',
    client_id: num(q.client_id),
    uid: str(q.uid),
    status,
    error: str(q.error),
    attempts: int(q.attempts),
    created_at: str(q.created_at) ?? '',
  };
}

export function toQueueSnapshot(raw: unknown): QueueSnapshot {
  const q = obj(raw);
  const counts = obj(q.counts);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(toQueueItem) : []);
  return {
    counts: {
      pending: int(q.pending ?? counts.pending),
      synced: int(q.synced ?? counts.synced),
      failed: int(q.failed ?? counts.failed),
    },
    failed: list(q.failed_items ?? (Array.isArray(q.failed) ? q.failed : [])),
    pending: list(q.pending_items ?? (Array.isArray(q.pending) ? q.pending : [])),
  };
}

export function toQuotas(raw: unknown): { quotas: Quota[] } {
  const rows = Array.isArray(raw)
    ? raw
    : Array.isArray(obj(raw).quotas)
      ? (obj(raw).quotas as unknown[])
      : [];
  return {
    quotas: rows.map((r) => {
      const q = obj(r);
      return {
        client_id: int(q.client_id),
        name: str(q.name),
        remaining: int(q.remaining),
        total: num(q.total) === null ? null : int(q.total),
        updated_at: str(q.updated_at),
      };
    }),
  };
}

export function toCopyReceipt(raw: unknown): CopyReceipt {
  const c = obj(raw);
  return {
    uuid: str(c.uuid) ?? '',
    client_id: int(c.client_id),
    uid: str(c.uid) ?? '',
    remaining: int(c.remaining),
  };
}

export function toSyncResult(raw: unknown): SyncResult {
  const r = obj(raw);
  return {
    pushed: int(r.pushed),
    synced: int(r.synced),
    failed: int(r.failed),
    quotas_updated: num(r.pulled) !== null ? int(r.pulled) > 0 : bool(r.quotas_updated),
  };
}

export function toSyncProgress(raw: unknown): SyncProgress | null {
  const p = obj(raw);
  if (p.phase !== 'push' && p.phase !== 'pull' && p.phase !== 'done' && p.phase !== 'error') return null;
  const total = int(p.pending_before ?? p.total);
  return { phase: p.phase, done: Math.min(int(p.pushed ?? p.done), Math.max(total, 0)), total };
}

const LICENSE_STATES = new Set(['none', 'active', 'expiring', 'expired', 'revoked', 'invalid']);

export function toLicenseStatus(raw: unknown): LicenseStatus {
  const l = obj(raw);
  const rawState = str(l.state) ?? str(l.status) ?? 'none';
  const state = (LICENSE_STATES.has(rawState) ? rawState : 'invalid') as LicenseStatus['state'];
  const expires = str(l.expires_at);
  const daysLeft =
    num(l.days_left) ??
    (expires && Number.isFinite(Date.parse(expires))
      ? Math.floor((Date.parse(expires) - Date.now()) / 86_400_000)
      : null);
  return {
    state,
    license_key: str(l.license_key),
    email: str(l.email) ?? str(l.user_email),
    activated_at: str(l.activated_at),
    expires_at: expires,
    days_left: daysLeft === null ? null : Math.trunc(daysLeft),
    last_validated_at: str(l.last_validated_at) ?? str(l.validated_at),
    message: str(l.message) ?? defaultLicenseMessage(state, daysLeft),
  };
}

function defaultLicenseMessage(state: LicenseStatus['state'], daysLeft: number | null): string {
  switch (state) {
    case 'none':
      return 'No license activated: enter your license key and email.';
    case 'active':
      return daysLeft === null ? 'License active.' : `License active, expires in ${daysLeft} days.`;
    case 'expiring':
      return `License expires in ${daysLeft ?? 'a few'} days: renew it soon.`;
    case 'expired':
      return 'License expired: renew it or activate another key.';
    case 'revoked':
      return 'License revoked by the administrator: contact them for a new key.';
    case 'invalid':
      return 'License is not valid on this machine: activate it again here.';
  }
}
