/**
 * The repositories behind people, keys and the audit trail, on both stores (two instances on one database), and
 * the pieces on top of them that need a clock or a log: the named-key cache (TTL, fleet-wide revoke, a use
 * written at most once a minute) and the audit's log line with secrets scrubbed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persistedAudit } from '../../src-main/server/audit/audit.js';
import { NamedKeys, TOUCH_EVERY_MS } from '../../src-main/server/auth/named-keys.js';
import { sha256Hex } from '../../src-main/server/auth/secret-hash.js';
import { LocalAuthBus } from '../../src-main/server/runtime/local.js';
import type { ApiKeysRepo } from '../../src-main/server/store/api-keys-repo.js';
import { migrate, openDatabase } from '../../src-main/server/store/sqlite/db.js';
import { createSqliteStore } from '../../src-main/server/store/sqlite/index.js';
import { migrations } from '../../src-main/server/store/sqlite/migrations.js';
import type { Store } from '../../src-main/server/store/store.js';
import { openFleet, STORE_KINDS, type StoreFleet } from './store-helpers.js';

describe.each(STORE_KINDS)('access repositories (%s)', (kind) => {
  let fleet: StoreFleet;
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    fleet = await openFleet(kind);
    a = await fleet.open();
    b = await fleet.open();
  });
  afterAll(async () => fleet?.dispose());

  it('api keys: unique names (any case), found by digest, touched conditionally, removed with their record', async () => {
    const now = '2026-12-01T10:00:00.000Z';
    const k = await a.apiKeys.create({
      name: 'Deploy',
      role: 'operator',
      key_digest: sha256Hex('k1'),
      created_by: 'environment',
      now,
    });
    expect(k).toMatchObject({
      name: 'Deploy',
      role: 'operator',
      created_at: now,
      last_used_at: null,
      created_by: 'environment',
    });
    await expect(
      b.apiKeys.create({ name: 'deploy', role: 'viewer', key_digest: sha256Hex('k2'), created_by: 'x', now }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await b.apiKeys.findByDigest(sha256Hex('k1')))?.id).toBe(k.id);
    expect(await b.apiKeys.findByDigest(sha256Hex('nope'))).toBeUndefined();

    // Two instances recording a use in the same minute: the first write wins, the second changes nothing.
    await a.apiKeys.touch(k.id, '2026-12-01T10:01:00.000Z', '2026-12-01T10:00:00.000Z');
    await b.apiKeys.touch(k.id, '2026-12-01T10:01:30.000Z', '2026-12-01T10:00:30.000Z');
    expect((await b.apiKeys.findByDigest(sha256Hex('k1')))?.last_used_at).toBe('2026-12-01T10:01:00.000Z');
    await b.apiKeys.touch(k.id, '2026-12-01T10:02:05.000Z', '2026-12-01T10:01:05.000Z');
    expect((await a.apiKeys.list()).find((x) => x.id === k.id)?.last_used_at).toBe(
      '2026-12-01T10:02:05.000Z',
    );

    expect((await b.apiKeys.remove(k.id))?.name).toBe('Deploy');
    expect(await a.apiKeys.remove(k.id)).toBeUndefined();
    expect(await a.apiKeys.findByDigest(sha256Hex('k1'))).toBeUndefined();
  });

  it('audit: newest first, exact and prefix action filters, actor and time filters, keyset pages', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 11, 1, 10, m)).toISOString();
    const base = { actor_kind: 'user' as const, ip: '10.0.0.1', target: null };
    await a.audit.insert({ ...base, at: at(0), actor: 'ann', action: 'license.generate', details: { n: 1 } });
    await b.audit.insert({ ...base, at: at(1), actor: 'bob', action: 'license.revoke', details: {} });
    await a.audit.insert({ ...base, at: at(2), actor: 'ann', action: 'licensex', details: {} });
    await b.audit.insert({
      ...base,
      at: at(3),
      actor: 'ann',
      action: 'user.create',
      details: { nested: { a: [1] } },
    });

    const page = await b.audit.list({}, { limit: 2, offset: 0 });
    expect(page.total).toBe(4);
    expect(page.rows.map((r) => r.action)).toEqual(['user.create', 'licensex']);
    expect(page.rows[0]!.details).toEqual({ nested: { a: [1] } });
    expect(
      (await a.audit.list({ action: 'license.' }, { limit: 10, offset: 0 })).rows.map((r) => r.action),
    ).toEqual(['license.revoke', 'license.generate']);
    expect((await a.audit.list({ action: 'licensex' }, { limit: 10, offset: 0 })).total).toBe(1);
    expect((await a.audit.list({ actor: 'ann', since: at(1) }, { limit: 10, offset: 0 })).total).toBe(2);

    const first = await a.audit.after({ actor: 'ann' }, null, 2);
    const rest = await a.audit.after({ actor: 'ann' }, first[first.length - 1]!.id, 2);
    expect([...first, ...rest].map((r) => r.action)).toEqual(['user.create', 'licensex', 'license.generate']);
  });

  it('users: the viewer role is stored, roles outside the four are refused, update changes only what it names', async () => {
    const u = await a.users.create({ username: 'viewer-1', password_hash: 'h', role: 'viewer' });
    expect(u.role).toBe('viewer');
    const up = await b.users.update(u.id, { role: 'operator' });
    expect(up).toMatchObject({ role: 'operator', disabled: false, password_hash: 'h' });
    const off = await a.users.update(u.id, { disabled: true, password_hash: 'h2' });
    expect(off).toMatchObject({ role: 'operator', disabled: true, password_hash: 'h2' });
    expect(await a.users.update(999_999, { role: 'viewer' })).toBeUndefined();
    await expect(
      a.users.create({ username: 'root-1', password_hash: 'h', role: 'root' as 'admin' }),
    ).rejects.toThrow();
  });

  it('named keys: cached for the TTL, revoked at once through the bus, a use written at most once a minute', async () => {
    let clock = Date.UTC(2026, 11, 1, 12, 0);
    let reads = 0;
    const touches: string[] = [];
    const repo: ApiKeysRepo = {
      ...a.apiKeys,
      findByDigest: (d) => (reads++, a.apiKeys.findByDigest(d)),
      touch: async (id, now, notBefore) => {
        touches.push(now);
        await a.apiKeys.touch(id, now, notBefore);
      },
    };
    const bus = new LocalAuthBus();
    const keys = new NamedKeys(repo, { ttlMs: 60_000, now: () => clock, bus });
    const digest = sha256Hex('cached-key');
    const rec = await a.apiKeys.create({
      name: 'cached',
      role: 'viewer',
      key_digest: digest,
      created_by: 't',
      now: new Date(clock).toISOString(),
    });

    for (let i = 0; i < 30; i++) {
      expect((await keys.find(digest))?.id).toBe(rec.id);
      clock += 1000; // a console polling every second for 30 s
    }
    expect(reads).toBe(1);
    expect(touches).toHaveLength(1);
    clock += TOUCH_EVERY_MS;
    await keys.find(digest);
    expect(touches).toHaveLength(2);

    // A miss is cached too, until a key is created anywhere in the fleet.
    const later = sha256Hex('later-key');
    expect(await keys.find(later)).toBeUndefined();
    const made = await a.apiKeys.create({
      name: 'later',
      role: 'admin',
      key_digest: later,
      created_by: 't',
      now: new Date(clock).toISOString(),
    });
    await keys.announceCreated();
    expect((await keys.find(later))?.id).toBe(made.id);

    // Revoked: refused at once, well inside the TTL.
    await a.apiKeys.remove(rec.id);
    expect((await keys.find(digest))?.id).toBe(rec.id); // the cache alone does not know yet
    await keys.announceRevoked(rec.id);
    expect(await keys.find(digest)).toBeUndefined();
  });

  it('audit: one log line per event and one row, secrets scrubbed from both', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const request = {
      actor: { kind: 'api-key', name: 'ops', role: 'operator', id: 7 },
      ip: '192.0.2.9',
      log,
    };
    const trail = persistedAudit(b.audit, () => new Date('2026-12-02T08:00:00.000Z'));
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    await trail.record(request as unknown as FastifyRequest, {
      action: 'webhook.create',
      target: 'hook-1',
      details: {
        url: 'https://example.test/hook',
        secret: 'whsec-123456789',
        nested: { password: 'hunter2hunter2', api_key: 'opk_abcdefgh' },
        note: `forwarded Authorization: Bearer abc.def.ghi and ${jwt}`,
        token_ttl_sec: 3600,
      },
    });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { msg: string; audit: Record<string, unknown> };
    expect(line.msg).toBe('audit webhook.create');
    expect(line.audit).toMatchObject({
      action: 'webhook.create',
      target: 'hook-1',
      actor: 'ops',
      actor_kind: 'api-key',
      ip: '192.0.2.9',
    });
    const stored = (await a.audit.list({ action: 'webhook.create' }, { limit: 1, offset: 0 })).rows[0]!;
    expect(stored).toMatchObject({ actor: 'ops', ip: '192.0.2.9', at: '2026-12-02T08:00:00.000Z' });
    for (const text of [lines[0]!, JSON.stringify(stored)]) {
      for (const secret of ['whsec-123456789', 'hunter2hunter2', 'opk_abcdefgh', 'abc.def.ghi', jwt]) {
        expect(text).not.toContain(secret);
      }
      expect(text).toContain('[REDACTED]');
      expect(text).toContain('https://example.test/hook');
      expect(text).toContain('3600');
    }
  });
});

describe('SQLite migration 10 on a database version 9 wrote', () => {
  it('rebuilds users for the viewer role and keeps every user, its state and its station bindings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-access-mig-'));
    try {
      const db = openDatabase(join(dir, 'server.db'));
      migrate(
        db,
        migrations.filter((m) => m.version <= 9),
      );
      const now = '2026-12-01T10:00:00.000Z';
      const user = db.prepare(
        `INSERT INTO users (username, role, password_hash, created_at, updated_at, disabled) VALUES (?, ?, 'x', ?, ?, ?)`,
      );
      user.run('st-a', 'station', now, now, 0);
      user.run('op-b', 'operator', now, now, 1);
      db.prepare(`INSERT INTO station_bindings (device_id, user_id, created_at) VALUES ('DEV_1', 1, ?)`).run(
        now,
      );
      expect(() => user.run('v', 'viewer', now, now, 0)).toThrow(/CHECK/);
      db.close();

      const store = createSqliteStore(dir);
      try {
        expect((await store.users.list()).map((u) => [u.id, u.username, u.role, u.disabled])).toEqual([
          [1, 'st-a', 'station', false],
          [2, 'op-b', 'operator', true],
        ]);
        expect(await store.bindings.ownerOf('DEV_1')).toBe(1);
        const v = await store.users.create({ username: 'viewer', password_hash: 'x', role: 'viewer' });
        expect(v.id).toBe(3);
        expect(await store.users.findByUsername('ST-A')).toMatchObject({ id: 1 });
        // The foreign key still cascades from the rebuilt table.
        await store.users.remove(1);
        expect(await store.bindings.ownerOf('DEV_1')).toBeUndefined();
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
