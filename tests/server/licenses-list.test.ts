import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { serverSql } from '../helpers/pg.js';
import { activate, admin, fp, generate } from './licenses-helpers.js';

/** GET /api/licenses: pagination edges, sorting, filters, and search that treats SQL metacharacters literally. */
describe('licenses list', () => {
  let srv: TestServer;
  const ids: string[] = [];
  const keys: string[] = [];
  const list = (qs: string) => srv.api('GET', `/api/licenses${qs}`, undefined, admin(srv));

  beforeAll(async () => {
    srv = await startTestServer();
    const descriptions = [
      'Annual license',
      'Discount 100% off',
      'snake_case customer',
      "O'Brien's studio",
      'say "hello"',
      'back\\slash',
      'Monthly plan; renew -- soon',
    ];
    for (let i = 0; i < 23; i++) {
      const lic = await generate(srv, {
        duration_days: 10 + i,
        description: descriptions[i % descriptions.length],
      });
      ids.push(lic.id);
      keys.push(lic.license_key);
    }
    // Distinct, known creation times so sorting is deterministic (generation within one ms would tie).
    for (const [i, id] of ids.entries()) {
      const t = new Date(Date.UTC(2025, 0, 1 + i)).toISOString();
      const u = new Date(Date.UTC(2025, 5, 30 - i)).toISOString();
      await serverSql(srv, 'UPDATE licenses SET created_at = ?, updated_at = ? WHERE id = ?', [t, u, id]);
    }
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it('defaults: page 1, limit 50, newest first', async () => {
    const r = await list('');
    expect(r.status).toBe(200);
    expect(r.body.data.pagination).toEqual({ page: 1, limit: 50, total: 23, totalPages: 1 });
    expect(r.body.data.licenses.map((l: { id: string }) => l.id)).toEqual([...ids].reverse());
  });

  it('pages of 10: first, last (partial) page, and an empty page past the end', async () => {
    const p1 = await list('?page=1&limit=10&order=asc');
    expect(p1.body.data.licenses.map((l: { id: string }) => l.id)).toEqual(ids.slice(0, 10));
    expect(p1.body.data.pagination).toEqual({ page: 1, limit: 10, total: 23, totalPages: 3 });
    const p3 = await list('?page=3&limit=10&order=asc');
    expect(p3.body.data.licenses.map((l: { id: string }) => l.id)).toEqual(ids.slice(20));
    const p4 = await list('?page=4&limit=10&order=asc');
    expect(p4.status).toBe(200);
    expect(p4.body.data.licenses).toEqual([]);
    expect(p4.body.data.pagination).toEqual({ page: 4, limit: 10, total: 23, totalPages: 3 });
  });

  it('limit 100 (the cap) is accepted; limit 101 → 400 VALIDATION_ERROR (refused, not clamped)', async () => {
    expect((await list('?limit=100')).body.data.pagination.limit).toBe(100);
    const r = await list('?limit=101');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_ERROR');
    expect(r.body.details[0].field).toBe('querystring.limit');
  });

  const bad: Array<[string, string]> = [
    ['sort=license_key (not a sort field)', '?sort=license_key'],
    ['sort=created_at;DROP TABLE licenses', '?sort=created_at%3BDROP%20TABLE%20licenses'],
    ['order=sideways', '?order=sideways'],
    ['page=0', '?page=0'],
    ['page=-1', '?page=-1'],
    ['page=abc', '?page=abc'],
    ['limit=0', '?limit=0'],
    ['limit=2.5', '?limit=2.5'],
    ['status=paused', '?status=paused'],
    ['user_id=not-a-uuid', '?user_id=not-a-uuid'],
    ['search of 101 characters', `?search=${'a'.repeat(101)}`],
  ];
  for (const [name, qs] of bad) {
    it(`${name} → 400 VALIDATION_ERROR`, async () => {
      const r = await list(qs);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_ERROR');
    });
  }

  it('sort=updated_at asc and sort=expires_at desc order by those fields', async () => {
    const byUpdated = await list('?sort=updated_at&order=asc&limit=100');
    // updated_at was set to decrease with i: ascending updated_at = reverse creation order.
    expect(byUpdated.body.data.licenses.map((l: { id: string }) => l.id)).toEqual([...ids].reverse());
    await activate(srv, keys[5]!, fp('sort-a'));
    await activate(srv, keys[7]!, fp('sort-b'));
    const byExpiry = await list('?sort=expires_at&order=desc&limit=2');
    // keys[7] has the longer duration (17 days vs 15), so it expires last.
    expect(byExpiry.body.data.licenses.map((l: { id: string }) => l.id)).toEqual([ids[7], ids[5]]);
  });

  it('status and user_id filters', async () => {
    await activate(srv, keys[9]!, fp('filter'), 'filter@example.com');
    const active = await list('?status=active&limit=100');
    expect(active.body.data.licenses.every((l: { status: string }) => l.status === 'active')).toBe(true);
    const one = active.body.data.licenses.find((l: { id: string }) => l.id === ids[9]);
    const byUser = await list(`?user_id=${one.user_id}`);
    expect(byUser.body.data.licenses.map((l: { id: string }) => l.id)).toEqual([ids[9]]);
    const generated = await list('?status=generated&limit=100');
    expect(generated.body.data.licenses.some((l: { id: string }) => l.id === ids[9])).toBe(false);
  });

  it('search by a whole key, a key fragment, and a description word (case-insensitive)', async () => {
    expect((await list(`?search=${keys[3]}`)).body.data.licenses.map((l: { id: string }) => l.id)).toEqual([
      ids[3],
    ]);
    expect((await list(`?search=${keys[3]!.toLowerCase()}`)).body.data.pagination.total).toBe(1);
    const frag = keys[4]!.slice(-6);
    expect((await list(`?search=${frag}`)).body.data.licenses.map((l: { id: string }) => l.id)).toContain(
      ids[4],
    );
    const annual = await list('?search=ANNUAL&limit=100');
    expect(annual.body.data.pagination.total).toBe(4); // i = 0, 7, 14, 21
    expect(
      annual.body.data.licenses.every((l: { description: string }) => l.description === 'Annual license'),
    ).toBe(true);
  });

  it('a long search term must match whole, not just its tail (two descriptions share the last 15 characters)', async () => {
    const a = await generate(srv, { duration_days: 5, description: 'Alpha team with shared tail words' });
    const b = await generate(srv, { duration_days: 5, description: 'Omega team with shared tail words' });
    const r = await list(`?search=${encodeURIComponent('Alpha team with shared tail words')}`);
    expect(r.body.data.licenses.map((l: { id: string }) => l.id)).toEqual([a.id]);
    const both = await list(`?search=${encodeURIComponent('team with shared tail words')}&limit=100`);
    expect(both.body.data.pagination.total).toBe(2);
    for (const id of [a.id, b.id]) await srv.api('DELETE', `/api/licenses/${id}`, undefined, admin(srv));
  });

  it('a whole key with another key’s random tail does not match (key-shaped terms are re-checked whole)', async () => {
    const fake = `PROGRAN3-1999-${keys[2]!.slice(-13)}`;
    expect((await list(`?search=${fake}`)).body.data.pagination.total).toBe(0);
    expect(
      (await list(`?search=${keys[2]!.slice(-13)}`)).body.data.licenses.map((l: { id: string }) => l.id),
    ).toEqual([ids[2]]);
  });

  it('search with fewer than 3 characters (no trigram) still matches substrings', async () => {
    const r = await list('?search=0%25&limit=100'); // "0%"
    expect(r.body.data.pagination.total).toBe(4);
    expect(
      r.body.data.licenses.every((l: { description: string }) => l.description === 'Discount 100% off'),
    ).toBe(true);
  });

  // Each metacharacter is matched literally: it finds the rows that contain it, and nothing else.
  const literal: Array<[string, string, string | null]> = [
    ['%', '%', 'Discount 100% off'],
    ['_', '_', 'snake_case customer'],
    ["'", "'", "O'Brien's studio"],
    ['"', '"', 'say "hello"'],
    ['--', '--', 'Monthly plan; renew -- soon'],
    [';', ';', 'Monthly plan; renew -- soon'],
    ['\\', '\\', 'back\\slash'],
    ['100%', '100%', 'Discount 100% off'],
    ["s'; DROP TABLE licenses; --", "s'; DROP TABLE licenses; --", null],
    ['" OR 1=1 --', '" OR 1=1 --', null],
    ['%%%', '%%%', null],
    ['___', '___', null],
    ['NEAR(a b)', 'NEAR(a b)', null],
    ['*', '*', null],
  ];
  for (const [name, term, expected] of literal) {
    it(`search=${name} matches literally (${expected === null ? 'nothing' : JSON.stringify(expected)}) and breaks nothing`, async () => {
      const r = await list(`?search=${encodeURIComponent(term)}&limit=100`);
      expect(r.status).toBe(200);
      const descs = new Set(r.body.data.licenses.map((l: { description: string }) => l.description));
      if (expected === null) expect(r.body.data.pagination.total).toBe(0);
      else expect([...descs]).toEqual([expected]);
      expect(r.body.data.pagination.total).toBe(r.body.data.licenses.length);
    });
  }

  it('1-2 character terms of any kind (gram index or LIKE fallback) answer 200, never an error', async () => {
    const raw = ['%ED%A0%80', '%FF', '%C3', 'Annual%00license', 'ab%ED%A0%80cd']; // invalid UTF-8, NUL, as sent
    const terms = [
      '\u0000',
      'a\u0000',
      '"*',
      '%_',
      '\\%',
      "''",
      '""',
      'ü',
      '😀',
      '*"',
      'x',
      'Disc\u0000ount',
    ];
    for (const q of [...terms.map(encodeURIComponent), ...raw]) {
      const r = await list(`?search=${q}&limit=100`);
      expect(r.status).toBe(200);
      expect(r.body.data.pagination.total).toBeGreaterThanOrEqual(r.body.data.licenses.length);
    }
  });

  it('after all that, the table is intact', async () => {
    expect((await list('')).body.data.pagination.total).toBe(23);
  });

  it('search index follows description edits and deletes', async () => {
    await srv.api('PUT', `/api/licenses/${ids[22]}`, { description: 'zebra unique words' }, admin(srv));
    expect((await list('?search=zebra')).body.data.licenses.map((l: { id: string }) => l.id)).toEqual([
      ids[22],
    ]);
    await srv.api('DELETE', `/api/licenses/${ids[22]}`, undefined, admin(srv));
    expect((await list('?search=zebra')).body.data.pagination.total).toBe(0);
  });

  it('status=expired includes active licenses whose expires_at has passed (derived at read time)', async () => {
    await activate(srv, keys[11]!, fp('expire-me'));
    await serverSql(srv, 'UPDATE licenses SET expires_at = ? WHERE id = ?', [
      '2020-01-01T00:00:00.000Z',
      ids[11],
    ]);
    const expired = await list('?status=expired');
    expect(expired.body.data.licenses.map((l: { id: string }) => l.id)).toEqual([ids[11]]);
    expect(expired.body.data.licenses[0].status).toBe('expired');
    const active = await list('?status=active&limit=100');
    expect(active.body.data.licenses.some((l: { id: string }) => l.id === ids[11])).toBe(false);
    const one = await srv.api('GET', `/api/licenses/${ids[11]}`, undefined, admin(srv));
    expect(one.body.data.status).toBe('expired');
  });
});
