import { hash, timingSafeEqual } from 'node:crypto';
import type { DeviceStatus, DevicesRepo } from '../store/devices-repo.js';

export interface CachedDevice {
  /** Raw SHA-256 of the device secret; null before registration. */
  hash: Buffer | null;
  status: DeviceStatus;
  loadedAt: number;
  /** The device's group, for the heartbeat answer's interval. */
  groupId: number;
  /** Last address and MAC this instance knows, so a change is noticed without reading or writing per beat. */
  ip: string | null;
  mac: string | null;
}

type Entry = CachedDevice;

export type BearerCheck = 'ok' | 'invalid' | 'revoked';

/**
 * Device bearer authentication without a database round trip per heartbeat: key → (secret hash, status), loaded
 * lazily and dropped when the runtime's invalidation bus announces a credential change (register / revoke / new
 * token) made by this or any other instance. Entries also expire after `ttlMs` (longer than a heartbeat
 * interval), a backstop should an announcement ever be lost.
 * A secret that does not match a cached entry is checked once more against the store before the answer is
 * 401: a device that re-registered through another instance presents its new secret before that instance's
 * announcement arrives here, and a 401 would stop its agent for good. The re-check costs one keyed read, the
 * same as a request for an unknown key, and concurrent re-checks of one key share it.
 * Unknown keys are not cached, so the map only ever holds real devices (bounded by `maxEntries`).
 */
export class DeviceAuthCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every invalidation, so a load that raced with one does not re-insert stale state. */
  private generation = 0;
  private readonly reloading = new Map<string, Promise<Entry | undefined>>();

  constructor(
    private readonly repo: DevicesRepo,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 1_000_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Checks `secret` against the device; sync when cached (the common case), one store read otherwise. */
  check(deviceKey: string, secret: string): BearerCheck | Promise<BearerCheck> {
    const hit = this.entries.get(deviceKey);
    if (hit && this.now() - hit.loadedAt < this.ttlMs) {
      const v = verdict(hit, secret);
      if (v !== 'invalid') return v;
    }
    return this.reload(deviceKey).then((e) => (e ? verdict(e, secret) : 'invalid'));
  }

  private reload(deviceKey: string): Promise<Entry | undefined> {
    const pending = this.reloading.get(deviceKey);
    if (pending) return pending;
    const p: Promise<Entry | undefined> = this.load(deviceKey).finally(() => {
      if (this.reloading.get(deviceKey) === p) this.reloading.delete(deviceKey);
    });
    this.reloading.set(deviceKey, p);
    return p;
  }

  /** The entry `check` just used (authenticated callers only), or undefined. */
  peek(deviceKey: string): CachedDevice | undefined {
    return this.entries.get(deviceKey);
  }

  /** Drops every entry (devices changed group in bulk); each is reloaded on its device's next request. */
  clear(): void {
    this.entries.clear();
    this.reloading.clear();
    this.generation++;
  }

  invalidate(deviceKey: string): void {
    this.entries.delete(deviceKey);
    // A read already in flight may predate the change: later callers must not share it.
    this.reloading.delete(deviceKey);
    this.generation++;
  }

  private async load(deviceKey: string): Promise<Entry | undefined> {
    const gen = this.generation;
    const state = await this.repo.authState(deviceKey);
    if (!state) return undefined;
    const entry: Entry = {
      hash: state.secret_hash ? Buffer.from(state.secret_hash, 'hex') : null,
      status: state.status,
      loadedAt: this.now(),
      groupId: state.group_id,
      ip: state.ip_address,
      mac: state.mac,
    };
    if (gen === this.generation) {
      if (this.entries.size >= this.maxEntries && !this.entries.has(deviceKey)) {
        // Oldest insertion first (Map order); it is simply reloaded on its next heartbeat.
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      this.entries.set(deviceKey, entry);
    }
    return entry;
  }
}

function verdict(entry: Entry, secret: string): BearerCheck {
  if (!entry.hash || entry.hash.length !== 32) return 'invalid';
  // One-shot hash: about half the cost of createHash().update().digest() on this hot path.
  const presented = hash('sha256', secret, 'buffer');
  if (!timingSafeEqual(presented, entry.hash)) return 'invalid';
  // Only a caller holding the right secret learns that the device was revoked.
  return entry.status === 'revoked' ? 'revoked' : 'ok';
}

/** The secret from `Authorization: Bearer <secret>`, or undefined. */
export function bearerSecret(header: string | undefined): string | undefined {
  if (!header || header.length > 1024) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1];
}
