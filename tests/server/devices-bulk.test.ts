import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSql } from '../helpers/pg.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { admin, bearer, createDevice, readDeviceRow, register } from './devices-helpers.js';

/** Bulk enrollment over real HTTP, on the store the project picks (SQLite, or PostgreSQL in server-postgres). */
describe('bulk enrollment', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_TOKEN_TTL_SEC: '3600' } });
  });
  afterAll(async () => {
    await srv.dispose();
  });

  const bulk = (body: unknown, headers: Record<string, string> = {}) =>
    srv.api('POST', '/api/admin/devices/bulk', body, { ...admin(srv), ...headers });
  const revokeBatch = (batchId: string) =>
    srv.api('DELETE', `/api/admin/devices/bulk/${batchId}/tokens`, undefined, admin(srv));
  const countKeys = async (keys: string[]) =>
    Number(
      (
        await serverSql(
          srv,
          `SELECT count(*) AS n FROM devices WHERE device_key IN (${keys.map(() => '?').join(',')})`,
          keys,
        )
      )[0]!.n,
    );
  const online = (key: string, secret: string) =>
    srv.api('POST', `/api/devices/${key}/online`, {}, bearer(secret));

  it('generates count keys from the prefix, numbered above those that exist', async () => {
    const before = Date.now();
    const r = await bulk({ count: 3, prefix: 'kiosk-' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.data.batch_id).toMatch(/^[0-9a-f-]{36}$/);
    const devices = r.body.data.devices as Array<Record<string, string>>;
    expect(devices.map((d) => d.device_key)).toEqual(['kiosk-00001', 'kiosk-00002', 'kiosk-00003']);
    for (const d of devices) {
      expect(d.token_code).toMatch(/^[0-9A-F]{6}$/);
      // The server's default lifetime (OUTPOST_TOKEN_TTL_SEC) when the batch names none.
      const ttl = Date.parse(d.token_expires_at!) - before;
      expect(ttl).toBeGreaterThanOrEqual(3600_000 - 1000);
      expect(ttl).toBeLessThanOrEqual(3600_000 + 60_000);
    }
    // A single device numbered further up: the next batch starts above it, never on an existing key.
    await createDevice(srv, { device_key: 'kiosk-00042' });
    const next = await bulk({ count: 2, prefix: 'kiosk-' });
    expect(next.status, next.text).toBe(200);
    expect(next.body.data.devices.map((d: { device_key: string }) => d.device_key)).toEqual([
      'kiosk-00043',
      'kiosk-00044',
    ]);
  });

  it('creates the given keys with a per-batch token lifetime, storing only token hashes', async () => {
    const before = Date.now();
    const keys = ['lobby-a', 'lobby-b', 'lobby-c'];
    const r = await bulk({ keys, token_ttl_sec: 600 });
    expect(r.status, r.text).toBe(200);
    const devices = r.body.data.devices as Array<Record<string, string>>;
    expect(devices.map((d) => d.device_key)).toEqual(keys);
    for (const d of devices) {
      const ttl = Date.parse(d.token_expires_at!) - before;
      expect(ttl).toBeGreaterThanOrEqual(599_000);
      expect(ttl).toBeLessThanOrEqual(660_000);
      const row = await readDeviceRow(srv, d.device_key!);
      expect(row?.status).toBe('pending');
      const hash = createHash('sha256').update(`${d.device_key}:${d.token_code}`).digest('hex');
      expect(row?.token_hash).toBe(hash);
      expect(JSON.stringify(row)).not.toContain(`"${d.token_code}"`);
    }
  });

  it('answers CSV with Accept: text/csv, the batch id in X-Batch-Id', async () => {
    const r = await bulk({ count: 4, prefix: 'csv-' }, { accept: 'text/csv' });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('x-batch-id')).toMatch(/^[0-9a-f-]{36}$/);
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('device_key,token_code,token_expires_at');
    expect(lines).toHaveLength(5);
    const [key, token, expires] = lines[1]!.split(',');
    expect(key).toBe('csv-00001');
    expect(token).toMatch(/^[0-9A-F]{6}$/);
    expect(Number.isNaN(Date.parse(expires!))).toBe(false);
    // The CSV's tokens are the real ones.
    const secret = await register(srv, key!, token!);
    expect((await online(key!, secret)).status).toBe(200);
  });

  it('refuses over 10,000 devices, both or neither of count and keys, and bad keys with 400', async () => {
    const keys = Array.from({ length: 10_001 }, (_, i) => `over-${i}`);
    for (const body of [
      { count: 10_001 },
      { keys },
      { count: 0 },
      { count: 2, keys: ['a-1', 'a-2'] },
      {},
      { keys: ['ok-key', 'bad key'] },
      { count: 2, prefix: 'bad prefix' },
      { count: 2, token_ttl_sec: 5 },
    ]) {
      const r = await bulk(body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
    expect(await countKeys(['over-0', 'over-10000'])).toBe(0);
  });

  it('answers 409 with the offending keys and creates nothing when a key exists or repeats', async () => {
    await createDevice(srv, { device_key: 'taken-2' });
    const keys = ['taken-1', 'taken-2', 'taken-3'];
    const r = await bulk({ keys });
    expect(r.status, r.text).toBe(409);
    expect(r.body).toMatchObject({ success: false, code: 'DEVICE_KEYS_TAKEN' });
    expect(r.body.details).toEqual({ keys: ['taken-2'], total: 1 });
    expect(await countKeys(['taken-1', 'taken-3'])).toBe(0);

    const rep = await bulk({ keys: ['rep-1', 'rep-2', 'rep-1'] });
    expect(rep.status).toBe(409);
    expect(rep.body.details).toEqual({ keys: ['rep-1'], total: 1 });
    expect(await countKeys(['rep-1', 'rep-2'])).toBe(0);
  });

  it('gives tokens that register real devices, once each', async () => {
    const r = await bulk({ count: 2, prefix: 'real-' });
    const [a] = r.body.data.devices as Array<{ device_key: string; token_code: string }>;
    const secret = await register(srv, a!.device_key, a!.token_code, { ip_address: '10.0.0.7' });
    expect((await online(a!.device_key, secret)).status).toBe(200);
    const again = await srv.api('POST', `/api/devices/${a!.device_key}/register`, {
      token_code: a!.token_code,
    });
    expect(again.status).toBe(401);
    // The device is listed like any other.
    const list = await srv.api('GET', '/api/admin/devices', undefined, admin(srv));
    const listed = (list.body.devices ?? list.body.data?.devices) as Array<{ device_key: string }>;
    expect(listed.some((d) => d.device_key === a!.device_key)).toBe(true);
  });

  it("revokes a batch's unused tokens and leaves registered devices alone", async () => {
    const r = await bulk({ count: 4, prefix: 'rv-' });
    const batch = r.body.data.batch_id as string;
    const [a, b, c, d] = r.body.data.devices as Array<{ device_key: string; token_code: string }>;
    const secret = await register(srv, a!.device_key, a!.token_code);
    // A token issued to one device since is not the batch's any more: it stays.
    const fresh = await srv.api('POST', `/api/admin/devices/${d!.device_key}/token`, undefined, admin(srv));
    expect(fresh.status).toBe(200);

    const rv = await revokeBatch(batch);
    expect(rv.status, rv.text).toBe(200);
    expect(rv.body).toEqual({
      success: true,
      data: { batch_id: batch, devices: 4, revoked: 2, registered: 1 },
    });

    for (const x of [b!, c!]) {
      const reg = await srv.api('POST', `/api/devices/${x.device_key}/register`, {
        token_code: x.token_code,
      });
      expect(reg.status).toBe(401);
      expect((await readDeviceRow(srv, x.device_key))?.token_hash).toBeNull();
    }
    expect((await online(a!.device_key, secret)).status).toBe(200);
    await register(srv, d!.device_key, fresh.body.token_code as string);

    const twice = await revokeBatch(batch);
    expect(twice.body.data).toMatchObject({ revoked: 0, registered: 2 });
    const unknown = await revokeBatch('no-such-batch');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ success: false, code: 'BATCH_NOT_FOUND' });
  });

  it('accepts a full batch of 10,000 generated devices in one request', async () => {
    const r = await bulk({ count: 10_000, prefix: 'fleet-' }, { accept: 'text/csv' });
    expect(r.status, r.text.slice(0, 200)).toBe(200);
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines).toHaveLength(10_001);
    expect(lines[10_000]!.startsWith('fleet-10000,')).toBe(true);
    const n = await serverSql(srv, "SELECT count(*) AS n FROM devices WHERE device_key LIKE 'fleet-%'");
    expect(Number(n[0]!.n)).toBe(10_000);
  });

  it('needs operator credentials and says so in OpenAPI', async () => {
    const r = await srv.api('POST', '/api/admin/devices/bulk', { count: 1 });
    expect(r.status).toBe(401);
    const d = await srv.api('DELETE', '/api/admin/devices/bulk/x/tokens');
    expect(d.status).toBe(401);
    const doc = await srv.api('GET', '/api/openapi.json');
    expect(doc.body.paths['/api/admin/devices/bulk'].post).toBeDefined();
    expect(doc.body.paths['/api/admin/devices/bulk/{batch_id}/tokens'].delete).toBeDefined();
  });
});
