import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src-main/server/auth/secret-hash.js';
import { DeviceAuthCache, bearerSecret } from '../../src-main/server/devices/auth-cache.js';
import { createSqliteStore } from '../../src-main/server/store/sqlite/index.js';
import type { Store } from '../../src-main/server/store/store.js';

/** The device auth cache over a real SQLite store, with a hand-driven clock for its TTL. */
describe('DeviceAuthCache', () => {
  let dir: string;
  let store: Store;
  let now = 1_000_000;
  const secret = 's'.repeat(43);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-cache-'));
    store = createSqliteStore(dir);
    const exp = new Date(Date.now() + 3600_000).toISOString();
    await store.devices.create({ device_key: 'c-1', note: null, token_hash: 't', token_expires_at: exp });
    await store.devices.register('c-1', {
      token_hash: 't',
      secret_hash: sha256Hex(secret),
      now: new Date().toISOString(),
      info: {},
    });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const resolve = async (v: string | Promise<string>) => v;

  it('accepts the right secret, refuses a wrong one and an unknown device', async () => {
    const cache = new DeviceAuthCache(store.devices, 60_000, 10, () => now);
    expect(await resolve(cache.check('c-1', secret))).toBe('ok');
    expect(cache.check('c-1', secret)).toBe('ok'); // second time: answered synchronously from memory
    expect(await resolve(cache.check('c-1', 'wrong'))).toBe('invalid');
    expect(await resolve(cache.check('nobody', secret))).toBe('invalid');
  });

  it('sees a change made behind its back (another node) only after the TTL, or at once when invalidated', async () => {
    const cache = new DeviceAuthCache(store.devices, 60_000, 10, () => now);
    expect(await resolve(cache.check('c-1', secret))).toBe('ok');
    await store.devices.revoke('c-1', new Date().toISOString());
    expect(await resolve(cache.check('c-1', secret))).toBe('ok');
    now += 60_001;
    expect(await resolve(cache.check('c-1', secret))).toBe('revoked');
    await store.devices.issueToken('c-1', 't2', new Date(Date.now() + 3600_000).toISOString());
    await store.devices.register('c-1', {
      token_hash: 't2',
      secret_hash: sha256Hex('new-secret'),
      now: new Date().toISOString(),
      info: {},
    });
    cache.invalidate('c-1');
    expect(await resolve(cache.check('c-1', 'new-secret'))).toBe('ok');
    expect(await resolve(cache.check('c-1', secret))).toBe('invalid');
  });

  it('a load that raced with an invalidation does not put stale state back', async () => {
    const cache = new DeviceAuthCache(store.devices, 60_000, 10, () => now);
    const pending = cache.check('c-1', secret); // starts a load
    cache.invalidate('c-1'); // e.g. revoked meanwhile
    await store.devices.revoke('c-1', new Date().toISOString());
    expect(await resolve(pending)).toBe('ok'); // the answer of the load itself
    expect(await resolve(cache.check('c-1', secret))).toBe('revoked'); // but it was not cached
  });

  it.each([
    ['Bearer abc', 'abc'],
    ['bearer   abc  ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
    [`Bearer ${'x'.repeat(2000)}`, undefined],
  ])('bearerSecret(%j) → %j', (header, expected) => {
    expect(bearerSecret(header)).toBe(expected);
  });
});
