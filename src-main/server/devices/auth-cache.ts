import { hash, timingSafeEqual } from 'node:crypto';
import type { DeviceStatus, DevicesRepo } from '../store/devices-repo.js';

interface Entry {
  /** Raw SHA-256 of the device secret; null before registration. */
  hash: Buffer | null;
  status: DeviceStatus;
  loadedAt: number;
}

export type BearerCheck = 'ok' | 'invalid' | 'revoked';

/**
 * Device bearer authentication without a database round trip per heartbeat: key → (secret hash, status), loaded
 * lazily and dropped on register / revoke / new token. Entries also expire after `ttlMs` (longer than a heartbeat
 * interval), which bounds staleness if several server instances ever share one database (a revocation made on
 * another node takes effect within the TTL).
 * Unknown keys are not cached, so the map only ever holds real devices (bounded by `maxEntries`).
 */
export class DeviceAuthCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every invalidation, so a load that raced with one does not re-insert stale state. */
  private generation = 0;

  constructor(
    private readonly repo: DevicesRepo,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 1_000_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Checks `secret` against the device; sync when cached (the common case), one store read otherwise. */
  check(deviceKey: string, secret: string): BearerCheck | Promise<BearerCheck> {
    const hit = this.entries.get(deviceKey);
    if (hit && this.now() - hit.loadedAt < this.ttlMs) return verdict(hit, secret);
    return this.load(deviceKey).then((e) => (e ? verdict(e, secret) : 'invalid'));
  }

  invalidate(deviceKey: string): void {
    this.entries.delete(deviceKey);
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
