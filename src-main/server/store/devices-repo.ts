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
  hostname?: string | null;
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
  hostname: string | null;
  /** The device's group (1 = the default group). */
  group_id: number;
  created_at: string;
  registered_at: string | null;
  revoked_at: string | null;
  last_seen: string | null;
  updated_at: string;
}

export interface DeviceAuthState {
  secret_hash: string | null;
  status: DeviceStatus;
  group_id: number;
  /** Last known address and MAC (buffered heartbeats included), to notice a change without a write per beat. */
  ip_address: string | null;
  mac: string | null;
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
  /** Heartbeats coalesced into this entry (absent = 1), added to the hour's count by the flush. */
  beats?: number;
}

export interface DevicesRepo extends InventoryDevicesRepo {
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
  /**
   * Registered devices silent under `p` (each by its own group's threshold) and whose silence has not been raised
   * yet, marked raised in the same statement and returned (at most `limit`, by key). "Raised" is kept per
   * last_seen, so a device that beats again and falls silent again is returned again, and the heartbeat path
   * writes nothing extra. One conditional update: of several sweepers racing, each device goes to exactly one.
   * This process's buffered heartbeats are written first, so a device that just beat here is not returned.
   */
  claimOffline(p: SilencePolicy, limit: number): Promise<OfflineDevice[]>;
}

/** Silent means: last heartbeat older than the device's group threshold plus `marginMs`, at `now` (ms). */
export interface SilencePolicy extends PresencePolicy {
  marginMs: number;
}

export interface OfflineDevice {
  device_key: string;
  last_seen: string;
}

// ---- inventory (lists at fleet scale, moves, heartbeats per hour) ----

export type DeviceState = 'online' | 'offline' | 'never' | 'revoked';

/** What a device list or a bulk move selects. `search` is literal text (no wildcards), case-insensitive. */
export interface DeviceFilter {
  search?: string;
  state?: DeviceState;
  group?: number;
}

/**
 * How presence is judged for a read: a registered device is online while its last heartbeat is at most its
 * group's silence threshold old at `now` (ms); the default group without its own policy uses `defaultThresholdSec`.
 */
export interface PresencePolicy {
  now: number;
  defaultThresholdSec: number;
}

export interface DevicePageQuery extends DeviceFilter {
  sort: 'last_seen' | 'device_key' | 'created_at';
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export interface InventoryRow extends DeviceRecord {
  state: DeviceState;
  group_name: string;
}

/** The fields an operator edits (`undefined` = unchanged). */
export interface DeviceEdit {
  note?: string | null;
  group_id?: number;
}

export interface HourCount {
  hour: string;
  beats: number;
}

export interface InventoryDevicesRepo {
  /** One page of the filtered, sorted inventory and the filter's total. */
  listPage(q: DevicePageQuery, p: PresencePolicy): Promise<{ rows: InventoryRow[]; total: number }>;
  /** The filter's devices after `afterKey` in key order, at most `limit` (keyset paging for exports). */
  scan(f: DeviceFilter, p: PresencePolicy, afterKey: string, limit: number): Promise<InventoryRow[]>;
  /**
   * Sets note and/or group in one statement and writes `note_changed` / `group_changed` events for what really
   * changed. `undefined`: no such device; `'no-group'`: the group does not exist.
   */
  edit(deviceKey: string, e: DeviceEdit, now: string): Promise<DeviceRecord | undefined | 'no-group'>;
  /** Moves the listed devices, or every device matching `filter`, to `groupId` (one statement), with events. */
  move(
    groupId: number,
    sel: { keys: string[] } | { filter: DeviceFilter },
    p: PresencePolicy,
    now: string,
  ): Promise<number | 'no-group'>;
  /** Heartbeats per hour since `since` (ISO, an hour boundary), oldest first; buffered heartbeats written first. */
  heartbeatHours(deviceKey: string, since: string): Promise<HourCount[]>;
  /** Drops hourly counts older than `before` (ISO); returns how many rows. */
  pruneHeartbeatHours(before: string): Promise<number>;
  /**
   * Registered devices whose silence (raised by claimOffline) ended with a newer heartbeat, un-marked in the
   * same statement and returned (at most `limit`): each comeback goes to exactly one sweeper.
   */
  claimReturned(limit: number): Promise<OfflineDevice[]>;
}
