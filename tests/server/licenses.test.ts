import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSql } from '../helpers/pg.js';
import { startTestServer, TEST_STORE, type TestServer } from '../helpers/server.js';
import { activate, admin, fp, generate } from './licenses-helpers.js';

const KEY_RE = /^PROGRAN3-\d{4}-[A-HJKMNP-Z2-9]{6}-[A-HJKMNP-Z2-9]{6}$/;

describe('licenses: seed 002 example requests', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it('curl POST /api/licenses/generate {duration_days:365, description:"Annual license"} → the seed response', async () => {
    const r = await srv.api(
      'POST',
      '/api/licenses/generate',
      { duration_days: 365, description: 'Annual license' },
      admin(srv),
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      success: true,
      data: { duration_days: 365, description: 'Annual license', status: 'generated', max_machines: 1 },
      message: 'License generated successfully',
    });
    expect(r.body.data.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.data.license_key).toMatch(KEY_RE);
    expect(r.body.data.license_key.slice(9, 13)).toBe(String(new Date().getUTCFullYear()));
    expect(Date.parse(r.body.data.created_at)).not.toBeNaN();
  });

  it('curl GET /api/licenses?page=1&limit=10&status=active → licenses with users + pagination', async () => {
    const lic = await generate(srv);
    expect((await activate(srv, lic.license_key, fp('list-1'), 'John@Example.com')).status).toBe(200);
    const r = await srv.api('GET', '/api/licenses?page=1&limit=10&status=active', undefined, admin(srv));
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.data.pagination).toEqual({ page: 1, limit: 10, total: 1, totalPages: 1 });
    const [row] = r.body.data.licenses;
    expect(row).toMatchObject({
      id: lic.id,
      license_key: lic.license_key,
      duration_days: 365,
      status: 'active',
      users: { email: 'john@example.com', name: null },
    });
    for (const f of ['description', 'activated_at', 'expires_at', 'created_at'])
      expect(row).toHaveProperty(f);
  });

  it('curl GET /api/licenses/:id → the license', async () => {
    const lic = await generate(srv, { duration_days: 30, description: 'one' });
    const r = await srv.api('GET', `/api/licenses/${lic.id}`, undefined, admin(srv));
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({
      id: lic.id,
      license_key: lic.license_key,
      duration_days: 30,
      status: 'generated',
    });
    expect(r.body.data.users).toBeNull();
  });

  it("curl GET /api/licenses/123e4567-e89b-12d3-a456-426614174000 (the seed's id, unknown here) → 404 NOT_FOUND", async () => {
    const r = await srv.api(
      'GET',
      '/api/licenses/123e4567-e89b-12d3-a456-426614174000',
      undefined,
      admin(srv),
    );
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ success: false, error: 'License not found', code: 'NOT_FOUND' });
  });

  it("curl POST /api/licenses/activate with the seed's 60-character fingerprint → 400 (its own rule: 64 hex)", async () => {
    const r = await srv.api('POST', '/api/licenses/activate', {
      license_key: 'PROGRAN3-2025-A1B2C3-XYZ789',
      user_email: 'user@example.com',
      system_fingerprint: 'a1b2c3d4e5f6789012345678901234567890123456789012345678901234',
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_ERROR');
    expect(r.body.details).toEqual([
      { field: 'body.system_fingerprint', message: 'must be a 64-character SHA-256 hex hash' },
    ]);
  });

  it("the seed's activation example with a 64-hex fingerprint → 404 (no such key here)", async () => {
    const r = await activate(srv, 'PROGRAN3-2025-A1B2C3-XYZ789', fp('seed'));
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ success: false, error: 'License not found', code: 'NOT_FOUND' });
  });

  it('activation of a generated key → seed response + certificate; first activation starts the clock', async () => {
    const lic = await generate(srv, { duration_days: 365 });
    const r = await activate(srv, lic.license_key, fp('act-1'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      success: true,
      data: {
        license_id: lic.id,
        license_key: lic.license_key,
        user_email: 'user@example.com',
        duration_days: 365,
        status: 'active',
      },
      message: 'License activated successfully',
    });
    const d = r.body.data;
    expect(Date.parse(d.expires_at) - Date.parse(d.activated_at)).toBe(365 * 86_400_000);
    expect(d.certificate.split('.')).toHaveLength(3);
  });

  it('curl PUT /api/licenses/:id {duration_days:730, status:"active"} → updated license', async () => {
    const lic = await generate(srv);
    const r = await srv.api(
      'PUT',
      `/api/licenses/${lic.id}`,
      { duration_days: 730, status: 'active' },
      admin(srv),
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      success: true,
      data: { id: lic.id, license_key: lic.license_key, duration_days: 730, status: 'active' },
      message: 'License updated successfully',
    });
  });

  it('PUT on an activated license moves expires_at to activated_at + new duration', async () => {
    const lic = await generate(srv, { duration_days: 10 });
    const a = (await activate(srv, lic.license_key, fp('put-dur'))).body.data;
    const r = await srv.api('PUT', `/api/licenses/${lic.id}`, { duration_days: 20 }, admin(srv));
    expect(Date.parse(r.body.data.expires_at) - Date.parse(a.activated_at)).toBe(20 * 86_400_000);
  });

  it('curl DELETE /api/licenses/:id → {id}; then GET → 404 and DELETE again → 404', async () => {
    const lic = await generate(srv);
    await activate(srv, lic.license_key, fp('del'));
    const r = await srv.api('DELETE', `/api/licenses/${lic.id}`, undefined, admin(srv));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, data: { id: lic.id }, message: 'License deleted successfully' });
    expect((await srv.api('GET', `/api/licenses/${lic.id}`, undefined, admin(srv))).status).toBe(404);
    expect((await srv.api('DELETE', `/api/licenses/${lic.id}`, undefined, admin(srv))).status).toBe(404);
  });

  it('curl POST /api/systems then GET /api/systems → joined to license and user', async () => {
    const lic = await generate(srv);
    await activate(srv, lic.license_key, fp('sys-1'), 'sys@example.com');
    const body = { license_id: lic.id, fingerprint_hash: fp('sys-1'), system_data: { os: 'Windows 10' } };
    const r = await srv.api('POST', '/api/systems', body);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      success: true,
      data: { license_id: lic.id, fingerprint_hash: fp('sys-1'), system_data: { os: 'Windows 10' } },
      message: 'System information updated',
    });
    // Upsert: a second report refreshes the same row.
    const r2 = await srv.api('POST', '/api/systems', {
      ...body,
      system_data: { os: 'Windows 11', hostname: 'USER-PC' },
    });
    expect(r2.body.data.id).toBe(r.body.data.id);
    expect(Date.parse(r2.body.data.last_seen)).toBeGreaterThanOrEqual(Date.parse(r.body.data.last_seen));
    const list = await srv.api('GET', '/api/systems', undefined, admin(srv));
    expect(list.status).toBe(200);
    const row = list.body.data.find((s: { id: string }) => s.id === r.body.data.id);
    expect(row).toMatchObject({
      license_id: lic.id,
      system_data: { os: 'Windows 11', hostname: 'USER-PC' },
      licenses: {
        id: lic.id,
        license_key: lic.license_key,
        status: 'active',
        users: { email: 'sys@example.com', name: null },
      },
    });
  });

  it("the seed's POST /api/systems example (60-character fingerprint, unknown license) → 400", async () => {
    const r = await srv.api('POST', '/api/systems', {
      license_id: '123e4567-e89b-12d3-a456-426614174000',
      fingerprint_hash: 'a1b2c3d4e5f6789012345678901234567890123456789012345678901234',
      system_data: { os: 'Windows 10' },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_ERROR');
  });

  it('POST /api/systems from a fingerprint not activated on that license → 403 FORBIDDEN; unknown license → 404', async () => {
    const lic = await generate(srv);
    await activate(srv, lic.license_key, fp('sys-owner'));
    const r = await srv.api('POST', '/api/systems', {
      license_id: lic.id,
      fingerprint_hash: fp('intruder'),
      system_data: {},
    });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('FORBIDDEN');
    const u = await srv.api('POST', '/api/systems', {
      license_id: '123e4567-e89b-12d3-a456-426614174000',
      fingerprint_hash: fp('x'),
      system_data: {},
    });
    expect(u.status).toBe(404);
  });

  it('GET /api/licenses/public-key → Ed25519 public key (PEM + JWK), no API key needed', async () => {
    const r = await srv.api('GET', '/api/licenses/public-key');
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ alg: 'EdDSA', crv: 'Ed25519', jwk: { kty: 'OKP', crv: 'Ed25519' } });
    expect(r.body.data.public_key_pem).toContain('BEGIN PUBLIC KEY');
    expect(r.body.data.key_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the signing key is created once on first start: a 0600 file in the data dir, or the fleet row on PostgreSQL', async () => {
    if (TEST_STORE === 'sqlite') {
      const mode = statSync(join(srv.dataDir, 'license-signing-key.pem')).mode & 0o777;
      expect(mode).toBe(0o600);
    } else {
      // One row for the whole fleet (multi-instance-postgres checks every instance signs with it), no file.
      const rows = await serverSql(srv, 'SELECT value FROM runtime_keys WHERE name = ?', [
        'license-signing-key',
      ]);
      expect(rows).toHaveLength(1);
      expect(String(rows[0]!.value)).toContain('BEGIN PRIVATE KEY');
      expect(existsSync(join(srv.dataDir, 'license-signing-key.pem'))).toBe(false);
    }
  });
});

describe('licenses: authentication (X-API-Key on admin and list routes)', () => {
  let srv: TestServer;
  let id: string;
  beforeAll(async () => {
    srv = await startTestServer();
    id = (await generate(srv)).id;
  });
  afterAll(async () => {
    await srv.dispose();
  });

  const cases: Array<[string, string, unknown?]> = [
    ['GET', '/api/licenses'],
    ['GET', '/api/licenses/ID'],
    ['POST', '/api/licenses/generate', { duration_days: 1 }],
    ['PUT', '/api/licenses/ID', { status: 'revoked' }],
    ['DELETE', '/api/licenses/ID'],
    ['GET', '/api/systems'],
  ];
  for (const [method, path, body] of cases) {
    it(`${method} ${path} without X-API-Key → 401 UNAUTHORIZED`, async () => {
      const r = await srv.api(method, path.replace('ID', id), body);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ success: false, error: 'Valid API key required', code: 'UNAUTHORIZED' });
    });
    it(`${method} ${path} with a wrong X-API-Key → 401 UNAUTHORIZED`, async () => {
      const r = await srv.api(method, path.replace('ID', id), body, { 'X-API-Key': 'wrong-key' });
      expect(r.status).toBe(401);
    });
  }

  it('several API keys are accepted (OUTPOST_API_KEYS=a,b)', async () => {
    const two = await startTestServer({
      env: { OUTPOST_API_KEYS: 'first-key-000000000000,second-key-00000000000' },
    });
    try {
      for (const k of ['first-key-000000000000', 'second-key-00000000000']) {
        expect((await two.api('GET', '/api/licenses', undefined, { 'X-API-Key': k })).status).toBe(200);
      }
    } finally {
      await two.dispose();
    }
  });

  it('OUTPOST_LICENSE_PREFIX changes the key prefix', async () => {
    const other = await startTestServer({ env: { OUTPOST_LICENSE_PREFIX: 'acme' } });
    try {
      const lic = await generate(other);
      expect(lic.license_key).toMatch(/^ACME-\d{4}-[A-Z2-9]{6}-[A-Z2-9]{6}$/);
      expect((await activate(other, lic.license_key.toLowerCase(), fp('acme'))).status).toBe(200);
    } finally {
      await other.dispose();
    }
  });
});

describe('licenses: validation (each bad input → 400 VALIDATION_ERROR with details)', () => {
  let srv: TestServer;
  let id: string;
  beforeAll(async () => {
    srv = await startTestServer();
    id = (await generate(srv)).id;
  });
  afterAll(async () => {
    await srv.dispose();
  });

  const gen: Array<[string, unknown, string]> = [
    ['duration_days 0', { duration_days: 0 }, 'Duration must be at least 1 day'],
    ['duration_days 3651', { duration_days: 3651 }, 'Duration must be at most 3650 days (10 years)'],
    ['duration_days 1.5', { duration_days: 1.5 }, 'duration_days must be a whole number'],
    ['duration_days "365" (string)', { duration_days: '365' }, 'duration_days must be a number'],
    ['duration_days missing', {}, 'duration_days must be a number'],
    [
      'description of 501 characters',
      { duration_days: 1, description: 'x'.repeat(501) },
      'description must be at most 500 characters',
    ],
    ['max_machines 0', { duration_days: 1, max_machines: 0 }, ''],
    ['max_machines 101', { duration_days: 1, max_machines: 101 }, 'max_machines must be at most 100'],
  ];
  for (const [name, body, message] of gen) {
    it(`generate with ${name} → 400`, async () => {
      const r = await srv.api('POST', '/api/licenses/generate', body, admin(srv));
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_ERROR');
      expect(r.body.error).toBe('Validation failed');
      if (message) expect(r.body.details.map((d: { message: string }) => d.message)).toContain(message);
    });
  }

  it('generate with duration_days 3650 and max_machines 100 (the bounds) → 201', async () => {
    const r = await srv.api(
      'POST',
      '/api/licenses/generate',
      { duration_days: 3650, max_machines: 100 },
      admin(srv),
    );
    expect(r.status).toBe(201);
    expect(r.body.data.max_machines).toBe(100);
  });

  const act: Array<[string, Record<string, unknown>]> = [
    ['license_key in the wrong format', { license_key: 'NOT-A-KEY' }],
    ['license_key missing', { license_key: undefined }],
    ['user_email not an email', { user_email: 'not-an-email' }],
    ['system_fingerprint of 63 hex', { system_fingerprint: 'a'.repeat(63) }],
    ['system_fingerprint of 65 hex', { system_fingerprint: 'a'.repeat(65) }],
    ['system_fingerprint with non-hex characters', { system_fingerprint: 'g'.repeat(64) }],
  ];
  for (const [name, patch] of act) {
    it(`activate with ${name} → 400`, async () => {
      const body = {
        license_key: 'PROGRAN3-2025-ABCDEF-GHJKMN',
        user_email: 'a@b.co',
        system_fingerprint: fp('v'),
        ...patch,
      };
      const r = await srv.api('POST', '/api/licenses/activate', body);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_ERROR');
      expect(Array.isArray(r.body.details)).toBe(true);
    });
  }

  it('GET /api/licenses/not-a-uuid → 400 VALIDATION_ERROR (params.id)', async () => {
    const r = await srv.api('GET', '/api/licenses/not-a-uuid', undefined, admin(srv));
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_ERROR');
    expect(r.body.details[0].field).toBe('params.id');
  });

  it('PUT with status "paused" (not in the seed enum) → 400', async () => {
    const r = await srv.api('PUT', `/api/licenses/${id}`, { status: 'paused' }, admin(srv));
    expect(r.status).toBe(400);
  });

  it('PUT with an empty body → 400', async () => {
    expect((await srv.api('PUT', `/api/licenses/${id}`, {}, admin(srv))).status).toBe(400);
  });

  it('PUT /api/licenses/not-a-uuid → 400; PUT on an unknown uuid → 404', async () => {
    expect((await srv.api('PUT', '/api/licenses/not-a-uuid', { status: 'revoked' }, admin(srv))).status).toBe(
      400,
    );
    const r = await srv.api(
      'PUT',
      '/api/licenses/123e4567-e89b-12d3-a456-426614174000',
      { status: 'revoked' },
      admin(srv),
    );
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('NOT_FOUND');
  });

  it('POST /api/systems with system_data of more than 16 KB → 400', async () => {
    const r = await srv.api('POST', '/api/systems', {
      license_id: id,
      fingerprint_hash: fp('big'),
      system_data: { blob: 'x'.repeat(20_000) },
    });
    expect(r.status).toBe(400);
  });

  it('activate with a body that is not JSON → 400 INVALID_JSON', async () => {
    const r = await srv.api('POST', '/api/licenses/activate', '{"license_key":');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INVALID_JSON');
  });
});
