import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src-main/server/auth/secret-hash.js';
import { DeviceAuthCache } from '../../src-main/server/devices/auth-cache.js';
import { resolveServerConfig } from '../../src-main/server/config.js';
import { createSqliteRuntime, type SqliteRuntime } from '../../src-main/server/runtime/sqlite/index.js';
import type { DevicesRepo } from '../../src-main/server/store/devices-repo.js';
import { createSqliteStore } from '../../src-main/server/store/sqlite/index.js';
import type { Store } from '../../src-main/server/store/store.js';

/**
 * The device auth cache of two instances (one store, two runtimes on one data dir), as the plugin wires it: each
 * cache subscribes to its runtime's bus. Store reads are counted to show what a wrong secret costs.
 */
describe('device auth cache across instances', () => {
  let dir: string;
  let store: Store;
  let a: SqliteRuntime;
  let b: SqliteRuntime;
  let reads: number;
  const now = () => 1_000_000;

  const counted = (repo: DevicesRepo): DevicesRepo =>
    Object.assign(Object.create(repo) as DevicesRepo, {
      authState: (k: string) => {
        reads++;
        return repo.authState(k);
      },
    });

  const register = async (secret: string, token: string) => {
    await store.devices.issueToken('d-1', token, new Date(Date.now() + 3600_000).toISOString());
    expect(
      await store.devices.register('d-1', {
        token_hash: token,
        secret_hash: sha256Hex(secret),
        now: new Date().toISOString(),
        info: {},
      }),
    ).toBe(true);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-cache-rt-'));
    store = createSqliteStore(dir);
    const { config } = resolveServerConfig({ dataDir: dir, env: { OUTPOST_API_KEYS: 'k-0123456789abcdef' } });
    a = createSqliteRuntime(config, { pollMs: 3_600_000 });
    b = createSqliteRuntime(config, { pollMs: 3_600_000 });
    reads = 0;
    await store.devices.create({
      device_key: 'd-1',
      note: null,
      token_hash: 't0',
      token_expires_at: new Date(Date.now() + 3600_000).toISOString(),
    });
    await register('old-secret', 't0');
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cacheOn = (rt: SqliteRuntime) => {
    const cache = new DeviceAuthCache(counted(store.devices), 600_000, 100, now);
    rt.authEvents.subscribe((k) => cache.invalidate(k));
    return cache;
  };

  it('revoked through A: B refuses the cached secret after its next poll, not before', async () => {
    const ca = cacheOn(a);
    const cb = cacheOn(b);
    expect(await cb.check('d-1', 'old-secret')).toBe('ok');
    await store.devices.revoke('d-1', new Date().toISOString());
    await a.authEvents.announce('d-1');
    expect(await ca.check('d-1', 'old-secret')).toBe('revoked');
    expect(cb.check('d-1', 'old-secret')).toBe('ok'); // still cached: the staleness the poll bounds
    b.poll();
    expect(await cb.check('d-1', 'old-secret')).toBe('revoked');
  });

  it('re-registered through A: B accepts the new secret before any poll and refuses the old one after it', async () => {
    const cb = cacheOn(b);
    expect(await cb.check('d-1', 'old-secret')).toBe('ok');
    await register('new-secret', 't1');
    expect(await cb.check('d-1', 'new-secret')).toBe('ok');
    expect(await cb.check('d-1', 'old-secret')).toBe('invalid');
  });

  it('wrong secrets cost one store read each, shared by concurrent attempts; the right one stays memory-only', async () => {
    const cb = cacheOn(b);
    expect(await cb.check('d-1', 'old-secret')).toBe('ok');
    expect(reads).toBe(1);
    expect(cb.check('d-1', 'old-secret')).toBe('ok');
    expect(reads).toBe(1);
    const burst = await Promise.all(Array.from({ length: 20 }, () => cb.check('d-1', 'guess')));
    expect(burst.every((v) => v === 'invalid')).toBe(true);
    expect(reads).toBe(2);
    expect(await cb.check('d-1', 'guess-2')).toBe('invalid');
    expect(reads).toBe(3);
  });
});
