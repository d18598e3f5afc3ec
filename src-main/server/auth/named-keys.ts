import type { AuthInvalidationBus, RuntimeLog } from '../runtime/runtime.js';
import type { ApiKeyRecord, ApiKeysRepo } from '../store/api-keys-repo.js';

interface Entry {
  /** undefined: no such key (yet). */
  key: ApiKeyRecord | undefined;
  loadedAt: number;
}

/** How often a key's last_used_at is written: a console polling every second must not write every second. */
export const TOUCH_EVERY_MS = 60_000;
const PREFIX = 'api-key:';

/**
 * Named admin API keys by the SHA-256 digest of the presented key: one indexed read, then cached for `ttlMs`
 * (a console polls several routes a second). A revoke goes out on the runtime's invalidation bus, so every
 * instance drops the key at once; a creation clears the cached misses, so a key made on one instance works on
 * the others at once too. The TTL stays as the bound for a change made by something that does not announce.
 * Names on the bus are `api-key:…`, which never collide with a device key (no ':') or a principal change.
 */
export class NamedKeys {
  private readonly cache = new Map<string, Entry>();
  private readonly touched = new Map<number, number>();
  /** Bumped by every invalidation, so a read that raced with one does not re-insert what it dropped. */
  private generation = 0;

  constructor(
    private readonly repo: ApiKeysRepo,
    private readonly opts: {
      ttlMs: number;
      now?: () => number;
      bus?: AuthInvalidationBus;
      log?: () => RuntimeLog | undefined;
      maxEntries?: number;
    },
  ) {
    opts.bus?.subscribe((name) => {
      if (!name.startsWith(PREFIX)) return;
      const rest = name.slice(PREFIX.length);
      if (rest === 'created') this.dropMisses();
      else if (/^revoked:\d{1,15}$/.test(rest)) this.drop(Number(rest.slice('revoked:'.length)));
    });
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** The live key with this digest, or undefined. Records the use (at most once a minute per key). */
  async find(digest: string): Promise<ApiKeyRecord | undefined> {
    const hit = this.cache.get(digest);
    let key: ApiKeyRecord | undefined;
    if (hit && this.now() - hit.loadedAt < this.opts.ttlMs) {
      key = hit.key;
    } else {
      const gen = this.generation;
      key = await this.repo.findByDigest(digest);
      if (gen === this.generation) this.put(digest, { key, loadedAt: this.now() });
      // An invalidation arrived during the read, which may predate it: read once more, and cache nothing.
      else key = await this.repo.findByDigest(digest);
    }
    if (key) this.touch(key.id);
    return key;
  }

  /** Called after a key was deleted: every instance forgets it before the caller answers. */
  async announceRevoked(id: number): Promise<void> {
    if (this.opts.bus) await this.opts.bus.announce(`${PREFIX}revoked:${id}`);
    else this.drop(id);
  }

  async announceCreated(): Promise<void> {
    if (this.opts.bus) await this.opts.bus.announce(`${PREFIX}created`);
    else this.dropMisses();
  }

  private drop(id: number): void {
    this.generation++;
    for (const [digest, e] of this.cache) if (e.key?.id === id) this.cache.delete(digest);
    this.touched.delete(id);
  }

  private dropMisses(): void {
    this.generation++;
    for (const [digest, e] of this.cache) if (!e.key) this.cache.delete(digest);
  }

  private put(digest: string, e: Entry): void {
    this.cache.delete(digest);
    if (this.cache.size >= (this.opts.maxEntries ?? 1000)) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(digest, e);
  }

  /**
   * A use is written behind, not awaited: it must not slow the request or fail it. The store's conditional
   * UPDATE keeps several instances to about one write a minute between them.
   */
  private touch(id: number): void {
    const now = this.now();
    const last = this.touched.get(id);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    const iso = new Date(now).toISOString();
    const notBefore = new Date(now - TOUCH_EVERY_MS).toISOString();
    this.repo.touch(id, iso, notBefore).catch((err: unknown) => {
      this.opts.log?.()?.warn({ err, api_key_id: id }, 'could not record an API key use');
    });
  }
}
