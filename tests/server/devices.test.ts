import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_STORE, type TestServer } from '../helpers/server.js';
import {
  admin,
  bearer,
  createDevice,
  editDeviceRow,
  enrolled,
  readDeviceRow,
  register,
} from './devices-helpers.js';

describe('seed 004 devices: admin, registration, heartbeat, details', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_TOKEN_TTL_SEC: '60' } });
  });
  afterAll(async () => {
    await srv.dispose();
  });

  describe('POST /api/admin/devices', () => {
    it('creates a device with the given key and a 6-hex upper-case one-time token', async () => {
      const r = await srv.api(
        'POST',
        '/api/admin/devices',
        { device_key: 'kiosk.01', note: 'lobby' },
        admin(srv),
      );
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ ok: true, device_key: 'kiosk.01' });
      expect(r.body.token_code).toMatch(/^[0-9A-F]{6}$/);
      // OUTPOST_TOKEN_TTL_SEC=60: the token expires a minute from now.
      const ttl = Date.parse(r.body.token_expires_at) - Date.now();
      expect(ttl).toBeGreaterThan(30_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('makes a device-<8 hex> key when none is given (also with no body at all)', async () => {
      const a = await srv.api('POST', '/api/admin/devices', {}, admin(srv));
      const b = await srv.api('POST', '/api/admin/devices', undefined, admin(srv));
      for (const r of [a, b]) {
        expect(r.status).toBe(200);
        expect(r.body.device_key).toMatch(/^device-[0-9a-f]{8}$/);
      }
      expect(a.body.device_key).not.toBe(b.body.device_key);
    });

    it('answers 409 CONFLICT for an existing key', async () => {
      await createDevice(srv, { device_key: 'dup-key' });
      const r = await srv.api('POST', '/api/admin/devices', { device_key: 'dup-key' }, admin(srv));
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ ok: false, code: 'CONFLICT' });
    });

    it.each([
      ['too short "ab"', 'ab'],
      ['65 characters', 'x'.repeat(65)],
      ['a space', 'a b c'],
      ['a slash', 'a/b/c'],
      ['a number instead of a string', 12345],
    ])('rejects a device_key with %s (400 VALIDATION_ERROR)', async (_name, key) => {
      const r = await srv.api('POST', '/api/admin/devices', { device_key: key }, admin(srv));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ ok: false, code: 'VALIDATION_ERROR' });
      expect(r.body.details[0].field).toContain('device_key');
    });

    it.each([
      ['no X-API-Key', {}],
      ['a wrong X-API-Key', { 'x-api-key': 'wrong-key' }],
    ])('refuses %s with 401 UNAUTHORIZED on every admin route', async (_name, headers) => {
      const calls: [string, string][] = [
        ['POST', '/api/admin/devices'],
        ['GET', '/api/admin/devices'],
        ['POST', '/api/admin/devices/kiosk.01/token'],
        ['DELETE', '/api/admin/devices/kiosk.01'],
      ];
      for (const [method, path] of calls) {
        const r = await srv.api(method, path, method === 'POST' ? {} : undefined, headers);
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(r.body).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
      }
    });
  });

  describe('GET /api/admin/devices', () => {
    it('lists status, presence, token expiry and device info, never hashes', async () => {
      const pending = await createDevice(srv, { device_key: 'list-pending', note: 'not yet' });
      const { key, secret } = await enrolled(srv, 'list-registered');
      await srv.api('POST', `/api/devices/${key}/online`, { mac: '00:1A:2B:3C:4D:5E' }, bearer(secret));

      const r = await srv.api('GET', '/api/admin/devices?search=list-&limit=100', undefined, admin(srv));
      expect(r.status).toBe(200);
      expect(r.body.success).toBe(true);
      expect(r.body.data.pagination.total).toBe(r.body.data.devices.length);
      const byKey = Object.fromEntries(
        r.body.data.devices.map((d: { device_key: string }) => [d.device_key, d]),
      );
      expect(byKey['list-pending']).toMatchObject({
        status: 'pending',
        online: false,
        last_seen: null,
        note: 'not yet',
        has_ssh_key: false,
      });
      expect(byKey['list-pending'].token_expires_at).toBeTruthy();
      expect(byKey['list-registered']).toMatchObject({
        status: 'registered',
        online: true,
        mac: '00:1A:2B:3C:4D:5E',
        ip_address: '127.0.0.1',
        token_expires_at: null,
      });
      expect(r.text).not.toMatch(/hash|secret/);
      expect(r.text).not.toContain(secret);
      expect(r.text).not.toContain(pending.token_code + '"');
    });
  });

  describe('POST /api/devices/:key/register', () => {
    it('burns the token and returns a device secret of at least 32 bytes', async () => {
      const d = await createDevice(srv, { device_key: 'reg-ok' });
      const r = await srv.api('POST', '/api/devices/reg-ok/register', {
        token_code: d.token_code,
        ip_lan: '10.0.0.50',
        ip_public: '203.0.113.42',
        mac: '00:1A:2B:3C:4D:5E',
        note: 'Updates Manager Tool',
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ ok: true, device_key: 'reg-ok', next_heartbeat_sec: 60 });
      expect(typeof r.body.message).toBe('string');
      expect(Buffer.from(r.body.device_secret, 'base64url').length).toBeGreaterThanOrEqual(32);
      // Stored only as hashes: neither the secret nor the token is in the database row.
      const row = (await readDeviceRow(srv, 'reg-ok'))!;
      expect(JSON.stringify(row)).not.toContain(r.body.device_secret);
      expect(JSON.stringify(row)).not.toContain(d.token_code);
      expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.token_hash).toBeNull();
    });

    it('accepts the token in lower case', async () => {
      const d = await createDevice(srv);
      await register(srv, d.device_key, d.token_code.toLowerCase());
    });

    it('accepts the token as pasted from print ("ab-cd-ef", "AB CD EF"), refuses 7 hex digits with 400', async () => {
      const d = await createDevice(srv);
      const t = d.token_code;
      const seven = await srv.api('POST', `/api/devices/${d.device_key}/register`, { token_code: `${t}0` });
      expect(seven.status).toBe(400);
      await register(srv, d.device_key, `${t.slice(0, 2)}-${t.slice(2, 4)}-${t.slice(4)}`.toLowerCase());
      const e = await createDevice(srv);
      const u = e.token_code;
      await register(srv, e.device_key, `${u.slice(0, 3)} ${u.slice(3)}`);
    });

    it('strips unknown fields instead of storing them', async () => {
      const d = await createDevice(srv, { device_key: 'reg-strip' });
      const r = await srv.api('POST', '/api/devices/reg-strip/register', {
        token_code: d.token_code,
        is_admin: true,
        secret_hash: 'ff'.repeat(32),
      });
      expect(r.status).toBe(200);
      const row = (await readDeviceRow(srv, 'reg-strip'))!;
      expect(row).not.toHaveProperty('is_admin');
      expect(row.secret_hash).not.toBe('ff'.repeat(32));
    });

    it('answers 404 DEVICE_NOT_FOUND for an unknown device', async () => {
      const r = await srv.api('POST', '/api/devices/no-such-device/register', { token_code: 'ABC123' });
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ ok: false, message: expect.any(String), code: 'DEVICE_NOT_FOUND' });
    });

    it('answers 401 TOKEN_INVALID for a wrong token', async () => {
      const d = await createDevice(srv);
      const wrong = d.token_code === '000000' ? '000001' : '000000';
      const r = await srv.api('POST', `/api/devices/${d.device_key}/register`, { token_code: wrong });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ ok: false, code: 'TOKEN_INVALID' });
    });

    it('answers 401 TOKEN_INVALID when the used token is replayed', async () => {
      const d = await createDevice(srv);
      await register(srv, d.device_key, d.token_code);
      const r = await srv.api('POST', `/api/devices/${d.device_key}/register`, { token_code: d.token_code });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('TOKEN_INVALID');
    });

    it('answers 409 ALREADY_REGISTERED for another token once registered', async () => {
      const d = await createDevice(srv);
      await register(srv, d.device_key, d.token_code);
      const other = d.token_code === 'ABCDEF' ? 'ABCDE0' : 'ABCDEF';
      const r = await srv.api('POST', `/api/devices/${d.device_key}/register`, { token_code: other });
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ ok: false, code: 'ALREADY_REGISTERED' });
    });

    it('answers 401 TOKEN_INVALID for an expired token, and a new token from the admin works', async () => {
      const d = await createDevice(srv, { device_key: 'reg-expired' });
      await editDeviceRow(srv, 'reg-expired', {
        token_expires_at: new Date(Date.now() - 1000).toISOString(),
      });
      const r = await srv.api('POST', '/api/devices/reg-expired/register', { token_code: d.token_code });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('TOKEN_INVALID');

      const list = await srv.api('GET', '/api/admin/devices?search=reg-expired', undefined, admin(srv));
      const row = list.body.data.devices.find((x: { device_key: string }) => x.device_key === 'reg-expired');
      expect(row.token_expires_at).toBeNull(); // an expired token is not shown as outstanding

      const t = await srv.api('POST', '/api/admin/devices/reg-expired/token', undefined, admin(srv));
      expect(t.status).toBe(200);
      expect(t.body.token_code).toMatch(/^[0-9A-F]{6}$/);
      await register(srv, 'reg-expired', t.body.token_code);
    });

    it.each([
      ['a missing token_code', {}],
      ['a 5-character token', { token_code: 'ABC12' }],
      ['a non-hex token', { token_code: 'XYZ123' }],
      ['a numeric token', { token_code: 123456 }],
      ['a 501-character note', { token_code: 'ABC123', note: 'n'.repeat(501) }],
      ['a 65-character mac', { token_code: 'ABC123', mac: 'm'.repeat(65) }],
    ])('rejects %s with 400 VALIDATION_ERROR', async (_name, body) => {
      const d = await createDevice(srv);
      const r = await srv.api('POST', `/api/devices/${d.device_key}/register`, body);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ ok: false, code: 'VALIDATION_ERROR' });
    });

    it('rejects a malformed JSON body with 400 INVALID_JSON in the ok envelope', async () => {
      const d = await createDevice(srv);
      const r = await srv.api('POST', `/api/devices/${d.device_key}/register`, '{"token_code": ');
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ ok: false, code: 'INVALID_JSON' });
    });
  });

  describe('POST /api/devices/:key/online', () => {
    it('accepts a heartbeat with the seed payload and answers server time and next interval', async () => {
      const { key, secret } = await enrolled(srv);
      const r = await srv.api(
        'POST',
        `/api/devices/${key}/online`,
        { ip_address: '192.168.1.100', ip_lan: '10.0.0.50', ip_public: '203.0.113.42', mac: 'AA', note: 'x' },
        bearer(secret),
      );
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        ok: true,
        message: expect.any(String),
        server_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        next_heartbeat_sec: 60,
      });
      const g = await srv.api('GET', `/api/devices/${key}`, undefined, bearer(secret));
      expect(g.body.device).toMatchObject({
        ip_address: '192.168.1.100',
        ip_lan: '10.0.0.50',
        ip_public: '203.0.113.42',
        last_seen: r.body.server_time, // acknowledged → visible at once (write-behind is overlaid)
        online: true,
      });
    });

    it('takes ip_address from the connection when the body has none, and accepts no body at all', async () => {
      const { key, secret } = await enrolled(srv);
      const a = await srv.api('POST', `/api/devices/${key}/online`, undefined, bearer(secret));
      expect(a.status).toBe(200);
      const b = await srv.api('POST', `/api/devices/${key}/online`, { ip_lan: '10.1.1.1' }, bearer(secret));
      expect(b.status).toBe(200);
      const g = await srv.api('GET', `/api/devices/${key}`, undefined, bearer(secret));
      expect(g.body.device).toMatchObject({ ip_address: '127.0.0.1', ip_lan: '10.1.1.1' });
    });

    it('keeps fields a later heartbeat leaves out', async () => {
      const { key, secret } = await enrolled(srv);
      await srv.api('POST', `/api/devices/${key}/online`, { mac: 'M1', note: 'first' }, bearer(secret));
      await srv.api('POST', `/api/devices/${key}/online`, { note: 'second', mac: null }, bearer(secret));
      const g = await srv.api('GET', `/api/devices/${key}`, undefined, bearer(secret));
      expect(g.body.device).toMatchObject({ mac: 'M1', note: 'second' });
    });

    it.each([
      ['no Authorization header', {}],
      ['an empty Bearer', { authorization: 'Bearer ' }],
      ['a Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['a made-up secret', { authorization: 'Bearer not-the-secret' }],
    ])('refuses %s with 401 INVALID_DEVICE_SECRET', async (_name, headers) => {
      const { key } = await enrolled(srv);
      const r = await srv.api('POST', `/api/devices/${key}/online`, {}, headers);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ ok: false, code: 'INVALID_DEVICE_SECRET' });
    });

    it("refuses another device's secret with 401", async () => {
      const a = await enrolled(srv);
      const b = await enrolled(srv);
      const r = await srv.api('POST', `/api/devices/${a.key}/online`, {}, bearer(b.secret));
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('INVALID_DEVICE_SECRET');
    });

    it('refuses a pending (unregistered) and an unknown device with 401', async () => {
      const d = await createDevice(srv);
      const a = await srv.api('POST', `/api/devices/${d.device_key}/online`, {}, bearer(d.token_code));
      const b = await srv.api('POST', '/api/devices/nobody-here/online', {}, bearer('x'.repeat(43)));
      for (const r of [a, b]) {
        expect(r.status).toBe(401);
        expect(r.body.code).toBe('INVALID_DEVICE_SECRET');
      }
    });

    it.each([
      ['a 65-character ip_address', { ip_address: '1'.repeat(65) }],
      ['a numeric mac', { mac: 42 }],
      ['a JSON array body', [1, 2]],
    ])('rejects %s with 400 VALIDATION_ERROR', async (_name, body) => {
      const { key, secret } = await enrolled(srv);
      const r = await srv.api('POST', `/api/devices/${key}/online`, body, bearer(secret));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ ok: false, code: 'VALIDATION_ERROR' });
    });

    it('rejects an invalid device key in the path with 400', async () => {
      const r = await srv.api('POST', '/api/devices/a%20b/online', {}, bearer('x'));
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_ERROR');
    });

    it('counts accepted and rejected heartbeats in /metrics', async () => {
      const { key, secret } = await enrolled(srv);
      await srv.api('POST', `/api/devices/${key}/online`, {}, bearer(secret));
      await srv.api('POST', `/api/devices/${key}/online`, {}, bearer('wrong'));
      const m = await srv.api('GET', '/metrics');
      expect(Number(/^outpost_device_heartbeats_total (\d+)/m.exec(m.text)?.[1])).toBeGreaterThan(0);
      expect(Number(/^outpost_heartbeats_rejected_total (\d+)/m.exec(m.text)?.[1])).toBeGreaterThan(0);
    });
  });

  describe('GET /api/devices/:key', () => {
    it('returns the device without secret or token hashes', async () => {
      const { key, secret } = await enrolled(srv, 'details-1');
      const r = await srv.api('GET', `/api/devices/${key}`, undefined, bearer(secret));
      expect(r.status).toBe(200);
      expect(r.body.ok).toBe(true);
      expect(r.body.device).toMatchObject({
        device_key: 'details-1',
        status: 'registered',
        heartbeat_interval_sec: 60,
        ssh_pubkey: null,
      });
      expect(r.body.device.registered_at).toBeTruthy();
      expect(r.text).not.toMatch(/hash/);
      expect(r.text).not.toContain(secret);
    });

    it("refuses no secret and another device's secret with 401", async () => {
      const a = await enrolled(srv);
      const b = await enrolled(srv);
      const none = await srv.api('GET', `/api/devices/${a.key}`);
      const other = await srv.api('GET', `/api/devices/${a.key}`, undefined, bearer(b.secret));
      for (const r of [none, other]) {
        expect(r.status).toBe(401);
        expect(r.body.code).toBe('INVALID_DEVICE_SECRET');
      }
    });
  });

  describe('revocation and re-registration', () => {
    it('a revoked device is refused with 401 DEVICE_REVOKED on every device route', async () => {
      const { key, secret } = await enrolled(srv, 'revoke-me');
      const del = await srv.api('DELETE', '/api/admin/devices/revoke-me', undefined, admin(srv));
      expect(del.status).toBe(200);
      expect(del.body).toMatchObject({ ok: true, device_key: 'revoke-me' });

      const hb = await srv.api('POST', `/api/devices/${key}/online`, {}, bearer(secret));
      const get = await srv.api('GET', `/api/devices/${key}`, undefined, bearer(secret));
      const ssh = await srv.api('PUT', `/api/devices/${key}/ssh-key`, { pubkey: ED25519 }, bearer(secret));
      for (const r of [hb, get, ssh]) {
        expect(r.status).toBe(401);
        expect(r.body).toMatchObject({ ok: false, code: 'DEVICE_REVOKED' });
      }
      // A wrong secret does not learn that the device was revoked.
      const wrong = await srv.api('POST', `/api/devices/${key}/online`, {}, bearer('guess'));
      expect(wrong.body.code).toBe('INVALID_DEVICE_SECRET');

      const list = await srv.api('GET', '/api/admin/devices?search=revoke-me', undefined, admin(srv));
      const row = list.body.data.devices.find((d: { device_key: string }) => d.device_key === 'revoke-me');
      expect(row).toMatchObject({ status: 'revoked', online: false });
      expect(row.revoked_at).toBeTruthy();
    });

    it('revoking a pending device kills its token', async () => {
      const d = await createDevice(srv);
      await srv.api('DELETE', `/api/admin/devices/${d.device_key}`, undefined, admin(srv));
      const r = await srv.api('POST', `/api/devices/${d.device_key}/register`, { token_code: d.token_code });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('TOKEN_INVALID');
    });

    it('a new token re-registers a revoked device with a new secret; the old one stays refused', async () => {
      const { key, secret: old } = await enrolled(srv);
      await srv.api('DELETE', `/api/admin/devices/${key}`, undefined, admin(srv));
      const t = await srv.api('POST', `/api/admin/devices/${key}/token`, undefined, admin(srv));
      const fresh = await register(srv, key, t.body.token_code);
      expect(fresh).not.toBe(old);
      expect((await srv.api('POST', `/api/devices/${key}/online`, {}, bearer(fresh))).status).toBe(200);
      expect((await srv.api('POST', `/api/devices/${key}/online`, {}, bearer(old))).status).toBe(401);
    });

    it('a new token re-registers a registered device; the old secret works until then', async () => {
      const { key, secret: old } = await enrolled(srv);
      const t = await srv.api('POST', `/api/admin/devices/${key}/token`, undefined, admin(srv));
      expect((await srv.api('POST', `/api/devices/${key}/online`, {}, bearer(old))).status).toBe(200);
      const fresh = await register(srv, key, t.body.token_code);
      expect((await srv.api('POST', `/api/devices/${key}/online`, {}, bearer(old))).status).toBe(401);
      expect((await srv.api('POST', `/api/devices/${key}/online`, {}, bearer(fresh))).status).toBe(200);
    });

    it.each([
      ['POST', '/api/admin/devices/ghost-device/token'],
      ['DELETE', '/api/admin/devices/ghost-device'],
    ])('%s %s for an unknown device answers 404 DEVICE_NOT_FOUND', async (method, path) => {
      const r = await srv.api(method, path, undefined, admin(srv));
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ ok: false, code: 'DEVICE_NOT_FOUND' });
    });
  });

  describe('presence', () => {
    it('is offline after 3 missed intervals and online again after a heartbeat', async () => {
      const p = await startTestServer({ env: { OUTPOST_HEARTBEAT_INTERVAL_SEC: '1' } });
      try {
        const { key, secret } = await enrolled(p, 'presence-1');
        const hb = await p.api('POST', `/api/devices/${key}/online`, {}, bearer(secret));
        expect(hb.body.next_heartbeat_sec).toBe(1);
        const online = async () => {
          const l = await p.api('GET', `/api/admin/devices?search=${key}`, undefined, admin(p));
          return l.body.data.devices.find((d: { device_key: string }) => d.device_key === key)
            .online as boolean;
        };
        expect(await online()).toBe(true);
        // Last heartbeat 3.5 intervals ago (set in the database instead of sleeping).
        await editDeviceRow(p, key, { last_seen: new Date(Date.now() - 3500).toISOString() });
        expect(await online()).toBe(false);
        const g = await p.api('GET', `/api/devices/${key}`, undefined, bearer(secret));
        expect(g.body.device.online).toBe(false);
        // Just inside 3 intervals still counts as online.
        await editDeviceRow(p, key, { last_seen: new Date(Date.now() - 2000).toISOString() });
        expect(await online()).toBe(true);
        await p.api('POST', `/api/devices/${key}/online`, {}, bearer(secret));
        expect(await online()).toBe(true);
      } finally {
        await p.dispose();
      }
    });
  });

  describe('SSH keys', () => {
    it.each([
      ['ssh-ed25519', ED25519, 'SHA256:6CMnVptWbchHq7lt4WLcmiSmDC6RPSfXtp1FKyo2inw'],
      ['ssh-rsa 2048', RSA2048, 'SHA256:rYLrriH1iUvRfLwilkLPveOY9NMbVkMNfnZGqLntKZI'],
      ['ecdsa nistp256', EC256, 'SHA256:LBr8b6Z0ucRwBdpUd2eLzWjGG8YW/CBiH8MrIYNgMxc'],
      ['ecdsa nistp384', EC384, 'SHA256:Ur2xX5eordLbnKWPFzsAaD9QO7m7SkX55lj/VegTiFw'],
      ['ecdsa nistp521', EC521, 'SHA256:Zh6LmUekf5835CPBGWP79MI/Aby3oEa9EOkCBFL20kA'],
    ])('PUT ssh-key accepts %s with the fingerprint ssh-keygen prints', async (_name, line, fp) => {
      const { key, secret } = await enrolled(srv);
      const r = await srv.api(
        'PUT',
        `/api/devices/${key}/ssh-key`,
        { pubkey: `  ${line}\n` },
        bearer(secret),
      );
      expect(r.status, r.text).toBe(200);
      expect(r.body).toMatchObject({ ok: true, key_type: line.split(' ')[0], fingerprint: fp });
      const g = await srv.api('GET', `/api/devices/${key}`, undefined, bearer(secret));
      expect(g.body.device.ssh_pubkey).toBe(line);
    });

    const ed25519Blob = Buffer.from(ED25519.split(' ')[1]!, 'base64');
    it.each([
      ['an RSA key of 1024 bits', RSA1024],
      ['ssh-dss (DSA)', DSA],
      ['an ssh-rsa line carrying an ed25519 blob', `ssh-rsa ${ED25519.split(' ')[1]}`],
      ['an ecdsa-sha2-nistp384 line carrying a nistp256 blob', `ecdsa-sha2-nistp384 ${EC256.split(' ')[1]}`],
      ['a truncated ed25519 blob', `ssh-ed25519 ${ed25519Blob.subarray(0, 40).toString('base64')}`],
      [
        'trailing bytes after the key',
        `ssh-ed25519 ${Buffer.concat([ed25519Blob, Buffer.from([0])]).toString('base64')}`,
      ],
      ['invalid base64', 'ssh-ed25519 AAAA$$$$'],
      ['only the type', 'ssh-ed25519'],
      ['two keys on two lines', `${ED25519}\n${ED25519}`],
      ['a private key', '-----BEGIN OPENSSH PRIVATE KEY-----'],
      ['an empty string', ''],
      ['a number', 42],
    ])('PUT ssh-key rejects %s with 400 VALIDATION_ERROR', async (_name, pubkey) => {
      const { key, secret } = await enrolled(srv);
      const r = await srv.api('PUT', `/api/devices/${key}/ssh-key`, { pubkey }, bearer(secret));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ ok: false, code: 'VALIDATION_ERROR' });
    });

    it('PUT ssh-key without the device secret answers 401', async () => {
      const { key } = await enrolled(srv);
      const r = await srv.api('PUT', `/api/devices/${key}/ssh-key`, { pubkey: ED25519 });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('INVALID_DEVICE_SECRET');
    });

    it('GET /api/ssh-hostkey serves the ed25519 host key as one OpenSSH line, private key kept 0600', async () => {
      const a = await srv.api('GET', '/api/ssh-hostkey');
      expect(a.status).toBe(200);
      expect(a.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(a.text).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} outpost$/);
      const b = await srv.api('GET', '/api/ssh-hostkey');
      expect(b.text).toBe(a.text);
      // On PostgreSQL the fleet's host key is a row of the runtime's key table, not a file in the data dir.
      if (TEST_STORE === 'sqlite') {
        expect(statSync(join(srv.dataDir, 'ssh_host_ed25519_key')).mode & 0o777).toBe(0o600);
      }
    });
  });

  it('documents every device route in the OpenAPI document', async () => {
    const r = await srv.api('GET', '/api/openapi.json');
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/admin/devices',
        '/api/admin/devices/{key}/token',
        '/api/admin/devices/{key}',
        '/api/devices/{key}/register',
        '/api/devices/{key}/online',
        '/api/devices/{key}',
        '/api/devices/{key}/ssh-key',
        '/api/ssh-hostkey',
      ]),
    );
    expect(r.body.paths['/api/devices/{key}/online'].post.responses['200']).toBeTruthy();
  });
});

// Public keys made with ssh-keygen (OpenSSH 9.2); fingerprints from `ssh-keygen -lf`.
const ED25519 =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB914LYbHfQmI7BoWeUsG+g1mK+zqQm26+dIDl2a3Jbn dev@outpost';
const RSA2048 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCX4+6tglpNWVFoFMcPP3Hh4a8XLU7lJXB99QZsCMt14cNe58E62wTpuqJA4srmFY+6fu1XWAI1aP9c0WNjnB+l7ANNGJ3gva7090wT5gXSrAhsgpbrPZc/0FcygQ1vw4WvarHmnLfUcJY2USu4ZPUPnLk9C+UZKX+fsnvYiGj1ltMf6enqdQvTFYbe574TefKM4yo424mfh/Jz7QWta6zBcLGdsK+FqrPg2+Mt/nD4JydC7pMQYNBE9hhxzTS2qWQbEu3Z7G96NhJ38xNu25SI9wObCNVcL/M/tbbEiNNX/SloEZgyLhxgZfB0yTPkhII1O+nPrSwSso5nE2J05+IX rsa2048';
const RSA1024 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDoMerIRmDGCKmlfUeT6oerpSAdeFfBB6dB4eP0uKYEcTr1nB8IaCJnmXN8xDveJ2eQIxoP0nDx1aU3crIN6Tr6fQ1yj67EyTmgRCyKNXfkh+DUUoddRb5RZD+6EOP1vgqP3YfF4+HBKkPBcnROeQOCRnp9pJn/aJxQ7lfK+TXK4w== rsa1024';
const EC256 =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIxhyJ5FfRn6SJ3GQXDXqWw/mKfihCpwD2ofFxsiOADtoSJfltxtAg9SXjFP5F35UBcIIoAfllD894wR8Trcz9Y= ec256';
const EC384 =
  'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBMUFJTuEeDzLbnDYgVWte19utUI4XFdY1NeTPZvgpOxhLTUygt5Eeq5RZrfagOxrxbXeINC15kYfZ81wak+D962GWXsjlLQieYdn9W0Re4viwb0ufUopewIPfIfBw8jvrA== ec384';
const EC521 =
  'ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAEawTc+xuq6rw0wXYnvDkYGnieyoMd6eb5BvRyyEDVoyfdyR0GqMa+SpbMZW3TPIvO9gQfThELDLgaKF+xmVsVLRwB5+vHeN+cX4YOijU/2c/L6xcVmcZd6CUmHzl+CrrCJ+wu6r+OT+4nUpLdO7FUPwJ/cSS58ct0Cd8NikIvNGQDx2A== ec521';
const DSA =
  'ssh-dss AAAAB3NzaC1kc3MAAACBAOTqCX9DEvshefQ8oBBCA94kQlmj1zN6kikwHBL6G1KVHdf8yz5zQAccr4ULqr8jobBAM370+HXtydufDoJxrxTx/xiws0pHsrJF8VUgOyKBSiW6qe66zSZF6jOe1QJ3IOk8AZ+NM2T7Toe8A/E+nmUAw/NJrevZt386VEGlD1F5AAAAFQDorJI6cJT3+Q671ReWpxXZdpO8kwAAAIARFXp1UYbTXkdB7M95GIEdBSO4m6EIFI8t6Et5KpV2EDL5eKu72ootqsvSpUmSkjsBSPGSB5QampZXMi7hE059tBK2BSqwE+zlmKpBrkBQlepxGQwYUy+ehZkdHdiD7I29arrhOWbfJUqpwGniHl1NMcyKQtOgMGdRJjJ1sECUUgAAAIB1gh+jrMIuI6rs3QiFu6Taj2hJfoZaTdItiGAPgqipP5ybzJBUAqXT3gvphIk8rZoNQftB9xK/C6R6JgULv9pQbALC0n1U524Ss31uebdEf/yNSCe8vjFEXZnP9Foh7moKeuYi/eFrOv/BwOH5t4f+YiD1FyYkdQni6yIXCPPJ4A== root@vm';
