import { createPublicKey } from 'node:crypto';
import { compactVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { serverSql } from '../helpers/pg.js';
import { activate, admin, fp, generate } from './licenses-helpers.js';

describe('license activation: seats, idempotency, states', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it('20 parallel activations of a max_machines:1 license with different fingerprints → exactly one wins', async () => {
    const lic = await generate(srv, { duration_days: 30, max_machines: 1 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => activate(srv, lic.license_key, fp(`race-${i}`))),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect(results.find((r) => r.status === 409)!.body.code).toBe('LICENSE_IN_USE');
    const [seats] = await serverSql(srv, 'SELECT COUNT(*) AS n FROM activations WHERE license_id = ?', [
      lic.id,
    ]);
    expect(seats!.n).toBe(1);
  });

  it('20 parallel activations of a max_machines:3 license → exactly three win', async () => {
    const lic = await generate(srv, { duration_days: 30, max_machines: 3 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => activate(srv, lic.license_key, fp(`race3-${i}`))),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
  });

  it('same fingerprint again → 200 idempotent: same activated_at/expires_at, no extra seat', async () => {
    const lic = await generate(srv, { duration_days: 30 });
    const first = await activate(srv, lic.license_key, fp('idem'));
    const again = await activate(srv, lic.license_key, fp('idem'));
    expect(again.status).toBe(200);
    expect(again.body.message).toBe('License already activated on this machine');
    expect(again.body.data.activated_at).toBe(first.body.data.activated_at);
    expect(again.body.data.expires_at).toBe(first.body.data.expires_at);
    expect(again.body.data.machines).toBe(1);
  });

  it('a new fingerprint beyond max_machines → 409 LICENSE_IN_USE', async () => {
    const lic = await generate(srv, { duration_days: 30, max_machines: 1 });
    await activate(srv, lic.license_key, fp('seat-a'));
    const r = await activate(srv, lic.license_key, fp('seat-b'));
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      success: false,
      code: 'LICENSE_IN_USE',
      details: { max_machines: 1, machines: 1 },
    });
  });

  it('deactivate frees the seat; activation on another fingerprint then works and keeps the original clock', async () => {
    const lic = await generate(srv, { duration_days: 30, max_machines: 1 });
    const first = (await activate(srv, lic.license_key, fp('move-a'))).body.data;
    const d = await srv.api('POST', '/api/licenses/deactivate', {
      license_key: lic.license_key,
      system_fingerprint: fp('move-a'),
    });
    expect(d.status).toBe(200);
    expect(d.body.data).toEqual({ license_id: lic.id, license_key: lic.license_key, machines: 0 });
    const second = await activate(srv, lic.license_key, fp('move-b'));
    expect(second.status).toBe(200);
    expect(second.body.data.expires_at).toBe(first.expires_at);
    // The old machine is now the one without a seat.
    expect((await activate(srv, lic.license_key, fp('move-a'))).status).toBe(409);
  });

  it('deactivate a fingerprint that holds no seat → 404; an unknown key → 404', async () => {
    const lic = await generate(srv);
    const r = await srv.api('POST', '/api/licenses/deactivate', {
      license_key: lic.license_key,
      system_fingerprint: fp('never'),
    });
    expect(r.status).toBe(404);
    const u = await srv.api('POST', '/api/licenses/deactivate', {
      license_key: 'PROGRAN3-2025-AAAAAA-BBBBBB',
      system_fingerprint: fp('never'),
    });
    expect(u.status).toBe(404);
  });

  it('revoked (PUT status revoked) → 403 LICENSE_REVOKED, also for a machine that already holds a seat', async () => {
    const lic = await generate(srv);
    await activate(srv, lic.license_key, fp('rev'));
    await srv.api('PUT', `/api/licenses/${lic.id}`, { status: 'revoked' }, admin(srv));
    for (const who of ['rev', 'rev-new']) {
      const r = await activate(srv, lic.license_key, fp(who));
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ success: false, error: 'License has been revoked', code: 'LICENSE_REVOKED' });
    }
  });

  it('expired (status expired set by the administrator) → 403 LICENSE_EXPIRED', async () => {
    const lic = await generate(srv);
    await srv.api('PUT', `/api/licenses/${lic.id}`, { status: 'expired' }, admin(srv));
    const r = await activate(srv, lic.license_key, fp('exp-1'));
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('LICENSE_EXPIRED');
  });

  it('expired (expires_at passed) → 403 LICENSE_EXPIRED even for the activated machine', async () => {
    const lic = await generate(srv);
    await activate(srv, lic.license_key, fp('exp-2'));
    await serverSql(srv, 'UPDATE licenses SET expires_at = ? WHERE id = ?', [
      '2020-01-01T00:00:00.000Z',
      lic.id,
    ]);
    const r = await activate(srv, lic.license_key, fp('exp-2'));
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('LICENSE_EXPIRED');
  });

  it('the user is created on first activation and linked by email (case-insensitive) on the next license', async () => {
    const a = await generate(srv);
    const b = await generate(srv);
    await activate(srv, a.license_key, fp('user-a'), 'Same.Person@Example.com');
    await activate(srv, b.license_key, fp('user-b'), 'same.person@example.com');
    const la = await srv.api('GET', `/api/licenses/${a.id}`, undefined, admin(srv));
    const lb = await srv.api('GET', `/api/licenses/${b.id}`, undefined, admin(srv));
    expect(la.body.data.user_id).toBeTruthy();
    expect(la.body.data.user_id).toBe(lb.body.data.user_id);
    expect(lb.body.data.users).toEqual({ email: 'same.person@example.com', name: null });
  });

  it('a lowercase key with spaces around it activates the same license', async () => {
    const lic = await generate(srv);
    const r = await activate(srv, `  ${lic.license_key.toLowerCase()} `, fp('case'));
    expect(r.status).toBe(200);
    expect(r.body.data.license_key).toBe(lic.license_key);
  });

  it('deleting a license removes its seats and systems', async () => {
    const lic = await generate(srv);
    await activate(srv, lic.license_key, fp('gone'));
    await srv.api('POST', '/api/systems', {
      license_id: lic.id,
      fingerprint_hash: fp('gone'),
      system_data: {},
    });
    await srv.api('DELETE', `/api/licenses/${lic.id}`, undefined, admin(srv));
    const left = {
      seats: (
        await serverSql(srv, 'SELECT COUNT(*) AS n FROM activations WHERE license_id = ?', [lic.id])
      )[0],
      systems: (await serverSql(srv, 'SELECT COUNT(*) AS n FROM systems WHERE license_id = ?', [lic.id]))[0],
    };
    expect(left).toEqual({ seats: { n: 0 }, systems: { n: 0 } });
  });
});

describe('license certificate (offline proof)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it('verifies with the served public key and signs {license_key, fingerprint, status, expires_at, issued_at}', async () => {
    const lic = await generate(srv);
    const a = (await activate(srv, lic.license_key, fp('cert'))).body.data;
    const pk = (await srv.api('GET', '/api/licenses/public-key')).body.data;
    const { payload, protectedHeader } = await compactVerify(
      a.certificate,
      createPublicKey(pk.public_key_pem),
    );
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: pk.key_id });
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(claims).toMatchObject({
      license_id: lic.id,
      license_key: lic.license_key,
      fingerprint: fp('cert'),
      status: 'active',
      expires_at: a.expires_at,
    });
    expect(Date.parse(claims.issued_at)).not.toBeNaN();
  });

  it('a payload edited by one character no longer verifies', async () => {
    const lic = await generate(srv);
    const a = (await activate(srv, lic.license_key, fp('cert-2'))).body.data;
    const pk = (await srv.api('GET', '/api/licenses/public-key')).body.data;
    const [h, p, s] = a.certificate.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.expires_at = '2099-01-01T00:00:00.000Z';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    await expect(compactVerify(forged, createPublicKey(pk.public_key_pem))).rejects.toThrow();
  });

  it('the signing key survives a restart (same public key, old certificates still verify)', async () => {
    const before = (await srv.api('GET', '/api/licenses/public-key')).body.data.key_id;
    await srv.stop();
    const again = await startTestServer({ dataDir: srv.dataDir });
    try {
      expect((await again.api('GET', '/api/licenses/public-key')).body.data.key_id).toBe(before);
    } finally {
      srv = again;
    }
  });
});

describe('license rate limits (seed 002 429 format)', () => {
  it('unknown keys count 10× on the per-IP budget: the 2nd unknown key is refused while known keys would pass', async () => {
    // OUTPOST_RATE_LIMIT_PER_MIN=3 → route limit 3/min, brute-force budget 15 per 15 min.
    const srv = await startTestServer({ env: { OUTPOST_RATE_LIMIT_PER_MIN: '3' } });
    try {
      const first = await activate(srv, 'PROGRAN3-2025-AAAAAA-BBBBBB', fp('bf'));
      expect(first.status).toBe(404);
      const second = await activate(srv, 'PROGRAN3-2025-CCCCCC-DDDDDD', fp('bf'));
      expect(second.status).toBe(429);
      expect(second.body).toMatchObject({
        success: false,
        error: 'Too many requests. Please try again later.',
        code: 'RATE_LIMIT_EXCEEDED',
      });
      expect(Date.parse(second.body.details.resetAt)).toBeGreaterThan(Date.now());
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
      // Now even a valid key from this IP waits (the budget is per IP).
      const lic = await generate(srv);
      expect((await activate(srv, lic.license_key, fp('bf'))).status).toBe(429);
    } finally {
      await srv.dispose();
    }
  });

  it('concurrent unknown keys: at most budget / 10 are looked up, each reserved before its lookup; known keys cost 1', async () => {
    // OUTPOST_RATE_LIMIT_PER_MIN=20 → route limit 20/min, brute-force budget 100 per 15 min.
    const srv = await startTestServer({ env: { OUTPOST_RATE_LIMIT_PER_MIN: '20' } });
    try {
      const lic = await generate(srv, { duration_days: 30, max_machines: 5 });
      for (const m of ['k1', 'k2']) expect((await activate(srv, lic.license_key, fp(m))).status).toBe(200);
      const unknown = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          activate(srv, `PROGRAN3-2025-AAAA${String(i).padStart(2, '0')}-BBBBBB`, fp('burst')),
        ),
      );
      const statuses = unknown.map((r) => r.status);
      expect(statuses.filter((s) => s !== 404 && s !== 429)).toEqual([]);
      // 100 - 2 (the two known keys) leaves room for 9 unknown keys of 10, however the 16 interleave.
      expect(statuses.filter((s) => s === 404)).toHaveLength(9);
      expect((await activate(srv, lic.license_key, fp('k3'))).status).toBe(429);
    } finally {
      await srv.dispose();
    }
  });

  it('activations per IP per minute: the 4th request with OUTPOST_RATE_LIMIT_PER_MIN=3 → 429 RATE_LIMIT_EXCEEDED', async () => {
    const srv = await startTestServer({ env: { OUTPOST_RATE_LIMIT_PER_MIN: '3' } });
    try {
      const lic = await generate(srv);
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await activate(srv, lic.license_key, fp('same'))).status);
      expect(codes).toEqual([200, 200, 200, 429]);
    } finally {
      await srv.dispose();
    }
  });

  it('deactivations are limited per license: the 11th within the hour → 429 with Retry-After', async () => {
    const srv = await startTestServer();
    try {
      const lic = await generate(srv);
      const codes: number[] = [];
      for (let i = 0; i < 11; i++) {
        await activate(srv, lic.license_key, fp('bounce'));
        const r = await srv.api('POST', '/api/licenses/deactivate', {
          license_key: lic.license_key,
          system_fingerprint: fp('bounce'),
        });
        codes.push(r.status);
        if (r.status === 429) {
          expect(r.body.code).toBe('RATE_LIMIT_EXCEEDED');
          expect(r.headers.get('retry-after')).toBeTruthy();
        }
      }
      expect(codes).toEqual([...Array(10).fill(200), 429]);
      // Another license is not affected.
      const other = await generate(srv);
      await activate(srv, other.license_key, fp('bounce'));
      const ok = await srv.api('POST', '/api/licenses/deactivate', {
        license_key: other.license_key,
        system_fingerprint: fp('bounce'),
      });
      expect(ok.status).toBe(200);
    } finally {
      await srv.dispose();
    }
  });
});
