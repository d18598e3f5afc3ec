import type { DeviceStatus } from '../../../src-shared/api/devices.js';

export type { DeviceStatus };

/** Device-reported fields (seed 004). `null`/absent = keep what is stored. */
export interface DeviceInfoFields {
  ip_address?: string | null;
  ip_lan?: string | null;
  ip_public?: string | null;
  mac?: string | null;
  cluster_ip?: string | null;
  note?: string | null;
}

export interface DeviceRecord {
  device_key: string;
  note: string | null;
  status: DeviceStatus;
  /** SHA-256 hex of `<device_key>:<TOKEN>` for the live one-time token; null when none is outstanding. */
  token_hash: string | null;
  token_expires_at: string | null;
  /** The last burned token's hash, so replaying it answers "used" (401) rather than "already registered". */
  used_token_hash: string | null;
  /** SHA-256 hex of the device secret; null until registered. */
  secret_hash: string | null;
  ssh_pubkey: string | null;
  ip_address: string | null;
  ip_lan: string | null;
  ip_public: string | null;
  mac: string | null;
  cluster_ip: string | null;
  created_at: string;
  registered_at: string | null;
  revoked_at: string | null;
  last_seen: string | null;
  updated_at: string;
}

export interface DeviceAuthState {
  secret_hash: string | null;
  status: DeviceStatus;
}

export interface NewDevice {
  device_key: string;
  note: string | null;
  token_hash: string;
  token_expires_at: string;
}

export interface RegistrationWrite {
  token_hash: string;
  secret_hash: string;
  /** ISO time: the token must expire after it, and it becomes registered_at and last_seen. */
  now: string;
  info: DeviceInfoFields;
}

export interface HeartbeatWrite {
  last_seen: string;
  info: DeviceInfoFields;
}

export interface DevicesRepo {
  /** Throws a CONFLICT AppError when the key exists. */
  create(device: NewDevice): Promise<DeviceRecord>;
  /** Reads include every heartbeat already acknowledged (buffered ones too). */
  get(deviceKey: string): Promise<DeviceRecord | undefined>;
  list(): Promise<DeviceRecord[]>;
  /** Just what bearer authentication needs; does not wait for buffered heartbeats. */
  authState(deviceKey: string): Promise<DeviceAuthState | undefined>;
  /** Replaces any outstanding token. False when the device does not exist. */
  issueToken(deviceKey: string, tokenHash: string, expiresAt: string): Promise<boolean>;
  /**
   * Burns the token and stores the new secret in ONE conditional update (token matches and has not expired), so
   * of many concurrent attempts exactly one returns true.
   */
  register(deviceKey: string, write: RegistrationWrite): Promise<boolean>;
  /** Marks revoked and drops any outstanding token. False when the device does not exist. */
  revoke(deviceKey: string, now: string): Promise<boolean>;
  setSshKey(deviceKey: string, pubkey: string, now: string): Promise<boolean>;
  /**
   * Records a heartbeat of an authenticated device. Synchronous and never throws, because it is the hot path
   * (≥17k/s): implementations buffer in memory (write-behind) and persist at least every 500 ms, on reads that
   * need it, and on close, so an acknowledged heartbeat is visible at once and durable within 1 s.
   */
  recordHeartbeat(deviceKey: string, hb: HeartbeatWrite): void;
  /** Persists buffered heartbeats now. */
  flush(): Promise<void>;
  /** This instance's write-behind buffer, read-only, for /metrics. */
  heartbeatBacklog(): HeartbeatBacklog;
  /**
   * Registered devices whose last heartbeat is older than `cutoff` (ISO) and whose silence has not been raised
   * yet, marked raised in the same statement and returned (at most `limit`, by key). "Raised" is kept per
   * last_seen, so a device that beats again and falls silent again is returned again, and the heartbeat path
   * writes nothing extra. One conditional update: of several sweepers racing, each device goes to exactly one.
   * This process's buffered heartbeats are written first, so a device that just beat here is not returned.
   */
  claimOffline(cutoff: string, limit: number): Promise<OfflineDevice[]>;
}

export interface HeartbeatBacklog {
  /** Acknowledged heartbeats not yet written (one per device: newer ones overwrite older). */
  queued: number;
  /** Write attempts that failed since start; their entries were kept and retried. */
  failed_writes: number;
}

export interface OfflineDevice {
  device_key: string;
  last_seen: string;
}
