/**
 * The console's session and inventory against the real server over loopback HTTP: signing in with a pasted API
 * key or a username and password, the credential kept only in the SecretStore, sign-out, a credential the server
 * stops accepting ("Signed out: sign in again"), a server that does not answer, and the inventory's paged,
 * filtered list and CSV export through the same session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminHttp } from '../../src-main/agent/admin/admin-http.js';
import { CONSOLE_ACCOUNT_PREFIX, ConsoleSession } from '../../src-main/agent/admin/console-session.js';
import { InventoryClient } from '../../src-main/agent/admin/inventory-client.js';
import { AgentError } from '../../src-main/agent/errors.js';
import { createMemorySecretStore, type SecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { freePort } from '../e2e/lib/free-port.js';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';

async function rejection(p: Promise<unknown>): Promise<AgentError> {
  const err: unknown = await p.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentError);
  return err as AgentError;
}

describe('operator console session against a real server', () => {
  let server: TestServer;
  let secrets: SecretStore;
  let target: string | null;
  let now = Date.now();
  let session: ConsoleSession;
  let inventory: InventoryClient;

  beforeAll(async () => {
    server = await startTestServer();
    for (let i = 1; i <= 7; i++) {
      const res = await server.api(
        'POST',
        '/api/admin/devices',
        { device_key: `shop-${i}`, note: i % 2 ? 'till' : 'door' },
        { 'x-api-key': server.apiKey },
      );
      expect(res.status).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const fresh = () => {
    secrets = createMemorySecretStore();
    target = server.url;
    session = new ConsoleSession({
      targetUrl: () => target,
      embedded: async () => null,
      secrets,
      now: () => now,
    });
    inventory = new InventoryClient(new AdminHttp(() => session.endpoint()));
  };

  it('signs in with a pasted API key, keeps it only in the secret store, and signs out', async () => {
    fresh();
    expect(await session.status()).toMatchObject({ state: 'signed_out', server_url: server.url });
    const before = await rejection(session.endpoint());
    expect(before.code).toBe('SIGNED_OUT');

    const s = await session.signIn({ api_key: server.apiKey });
    expect(s).toMatchObject({ state: 'signed_in', kind: 'api_key', role: 'admin' });
    expect(JSON.stringify(s)).not.toContain(server.apiKey);
    expect(await secrets.get(CONSOLE_ACCOUNT_PREFIX + server.url)).toContain(server.apiKey);

    const page = await inventory.list({ limit: 3, sort: 'device_key', order: 'asc' });
    expect(page.devices.map((d) => d.device_key)).toEqual(['shop-1', 'shop-2', 'shop-3']);
    expect(page.pagination).toMatchObject({ page: 1, limit: 3, total: 7, totalPages: 3 });
    const third = await inventory.list({ limit: 3, page: 3, sort: 'device_key', order: 'asc' });
    expect(third.devices.map((d) => d.device_key)).toEqual(['shop-7']);
    const doors = await inventory.list({ search: 'door', state: 'never', sort: 'device_key', order: 'asc' });
    expect(doors.devices.map((d) => d.device_key)).toEqual(['shop-2', 'shop-4', 'shop-6']);
    expect(doors.devices.every((d) => d.state === 'never')).toBe(true);
    expect((await inventory.list({ state: 'online' })).pagination.total).toBe(0);

    const csv = await inventory.exportCsv({ search: 'door' });
    expect(csv.rows).toBe(3);
    expect(csv.csv.split('\n')[0]).toContain('device_key');
    expect(csv.csv).toContain('shop-4');
    expect(csv.csv).not.toContain('shop-5');

    expect(await session.signOut()).toMatchObject({ state: 'signed_out' });
    expect(await secrets.get(CONSOLE_ACCOUNT_PREFIX + server.url)).toBeNull();
    expect((await rejection(inventory.list({}))).code).toBe('SIGNED_OUT');
  });

  it('refuses a wrong API key and a wrong password in words, keeping nothing', async () => {
    fresh();
    const key = await rejection(session.signIn({ api_key: 'not-the-key-0000000000' }));
    expect(key.code).toBe('UNAUTHORIZED');
    expect(key.message).toMatch(/does not accept this API key/);
    const pw = await rejection(session.signIn({ username: TEST_ADMIN.username, password: 'wrong-password' }));
    expect(pw.code).toBe('INVALID_CREDENTIALS');
    expect(pw.message).toBe('Wrong username or password: check both and try again');
    expect(await secrets.get(CONSOLE_ACCOUNT_PREFIX + server.url)).toBeNull();
    expect(await session.status()).toMatchObject({ state: 'signed_out' });
  });

  it('says "Signed out: sign in again" once the server refuses the kept credential, and forgets it', async () => {
    fresh();
    await session.signIn({ api_key: server.apiKey });
    // The key is revoked on the server's side: here, the keyring holds one the server never issued.
    await secrets.set(
      CONSOLE_ACCOUNT_PREFIX + server.url,
      JSON.stringify({
        kind: 'api_key',
        secret: 'revoked-key-000000000',
        name: 'API key',
        role: 'admin',
        expires_at: null,
      }),
    );
    const err = await rejection(inventory.list({}));
    expect(err.code).toBe('SIGNED_OUT');
    expect(err.message).toMatch(/^Signed out: sign in again/);
    expect(await session.status()).toMatchObject({ state: 'expired' });
    expect(await secrets.get(CONSOLE_ACCOUNT_PREFIX + server.url)).toBeNull();
    expect((await rejection(session.endpoint())).message).toBe('Signed out: sign in again');
    // Signing in again clears it.
    expect(await session.signIn({ api_key: server.apiKey })).toMatchObject({ state: 'signed_in' });
  });

  it('treats a sign-in past its expiry as signed out, by the injected clock', async () => {
    fresh();
    await secrets.set(
      CONSOLE_ACCOUNT_PREFIX + server.url,
      JSON.stringify({
        kind: 'user',
        secret: 'x.y.z',
        name: 'ops',
        role: 'operator',
        expires_at: new Date(now + 60_000).toISOString(),
      }),
    );
    expect(await session.status()).toMatchObject({ state: 'signed_in', name: 'ops', role: 'operator' });
    now += 61_000;
    expect(await session.status()).toMatchObject({ state: 'expired' });
    expect(await secrets.get(CONSOLE_ACCOUNT_PREFIX + server.url)).toBeNull();
  });

  it('names the server that does not answer', async () => {
    fresh();
    target = `http://127.0.0.1:${await freePort()}`;
    const err = await rejection(session.signIn({ api_key: server.apiKey }));
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.message).toContain(`The server at ${target} did not answer`);
    const pw = await rejection(session.signIn({ username: 'a', password: 'b' }));
    expect(pw.code).toBe('NETWORK_ERROR');
  });

  it('administers the embedded server with its own key, without a sign-in', async () => {
    fresh();
    session = new ConsoleSession({
      targetUrl: () => `${server.url}/`,
      embedded: async () => ({ url: server.url, apiKey: server.apiKey }),
      secrets,
    });
    inventory = new InventoryClient(new AdminHttp(() => session.endpoint()));
    expect(await session.status()).toMatchObject({ state: 'embedded', kind: 'embedded', role: 'admin' });
    expect((await inventory.list({ limit: 1 })).pagination.total).toBe(7);
  });

  it('signs in with a username and password (the JWT in the secret store) and shows the role', async () => {
    fresh();
    const s = await session.signIn({ username: TEST_ADMIN.username, password: TEST_ADMIN.password });
    expect(s).toMatchObject({ state: 'signed_in', kind: 'user', name: TEST_ADMIN.username, role: 'admin' });
    expect(s.expires_at).toEqual(expect.any(String));
    expect(JSON.stringify(s)).not.toContain(TEST_ADMIN.password);
    const kept = await secrets.get(CONSOLE_ACCOUNT_PREFIX + server.url);
    expect(kept).not.toContain(TEST_ADMIN.password);
    expect((await inventory.list({ limit: 1 })).pagination.total).toBeGreaterThanOrEqual(7);
  });

  it('a viewer sees the inventory, and the server refuses what the role may not do', async () => {
    fresh();
    const made = await server.api(
      'POST',
      '/api/admin/users',
      { username: 'watcher', password: 'watcher-password-1', role: 'viewer' },
      { 'x-api-key': server.apiKey },
    );
    expect(made.status).toBeLessThan(300);
    expect(await session.signIn({ username: 'watcher', password: 'watcher-password-1' })).toMatchObject({
      role: 'viewer',
    });
    expect((await inventory.list({ limit: 1 })).devices).toHaveLength(1);
    const refused = await rejection(
      inventory.createGroup({ name: 'nope', heartbeat_interval_sec: 60, silence_threshold_sec: 120 }),
    );
    expect(refused.code).toBe('FORBIDDEN');
  });

  it('groups: created, edited, refused in words, deleted; bulk enrollment into one answers tokens that register', async () => {
    fresh();
    await session.signIn({ api_key: server.apiKey });
    const bad = await rejection(inventory.updateGroup(1, { heartbeat_interval_sec: 1 }));
    expect(bad.code).toBe('VALIDATION_ERROR');
    expect(bad.message).toMatch(/heartbeat_interval_sec/);
    const g = await inventory.createGroup({
      name: 'lobby',
      heartbeat_interval_sec: 30,
      silence_threshold_sec: 90,
    });
    expect(g).toMatchObject({ name: 'lobby', device_count: 0, is_default: false });
    expect(await inventory.updateGroup(g.id, { silence_threshold_sec: 120 })).toMatchObject({
      silence_threshold_sec: 120,
    });

    const batch = await inventory.bulk({
      keys: ['lobby-001', 'lobby-002'],
      group: g.id,
      token_ttl_sec: 3600,
    });
    expect(batch.devices.map((d) => d.device_key)).toEqual(['lobby-001', 'lobby-002']);
    const first = batch.devices[0]!;
    const reg = await server.api('POST', `/api/devices/${first.device_key}/register`, {
      token_code: first.token_code,
    });
    expect(reg.status).toBe(200);
    const dev = await inventory.get('lobby-001');
    expect(dev).toMatchObject({ group: { id: g.id, name: 'lobby' }, heartbeat_interval_sec: 30 });
    expect(dev.transitions.registered_at).toEqual(expect.any(String));
    expect((await inventory.timeline('lobby-001')).events.map((e) => e.type)).toContain('registered');
    expect((await inventory.heartbeats('lobby-001')).buckets).toHaveLength(168);
    expect(await inventory.update('lobby-002', { note: 'spare' })).toMatchObject({ note: 'spare' });
    expect((await inventory.list({ group: g.id })).pagination.total).toBe(2);

    expect(await inventory.deleteGroup(g.id)).toEqual({ id: g.id });
    expect((await inventory.get('lobby-001')).group.name).not.toBe('lobby');
  });
});
