import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rareProbe } from '../../src-main/server/store/sqlite/licenses-list.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { admin, withDb } from './licenses-helpers.js';

/**
 * Search plans that only kick in with enough rows: a phrase made of common and rare trigrams is probed with its
 * rare trigrams and re-checked whole; a 1-2 character term with more than 2,000 matches falls back from the
 * one-scan plan to COUNT + a sort-index walk. Every answer is compared with a plain substring filter in JS.
 */
describe('licenses search plans at 2,600 rows', () => {
  let srv: TestServer;
  const rows: Array<{ id: string; key: string; desc: string; created: string; status: string }> = [];
  const list = (qs: string) => srv.api('GET', `/api/licenses${qs}`, undefined, admin(srv));

  beforeAll(async () => {
    srv = await startTestServer();
    const special: Record<number, string> = {
      100: 'Zebra license for Quux',
      900: 'Zebra license for Quux, renewed',
      1500: 'Quux license for Zebra', // both rare words, not the phrase
      1700: 'Zebra license for Quuxx',
      2000: 'Zebra 100% license for Quux',
      2100: 'Zebra 1x0% license for Quux',
      2200: 'Zebra license for Müller',
    };
    for (let i = 0; i < 2600; i++) {
      rows.push({
        id: randomUUID(),
        key: `TEST-${String(i).padStart(5, '0')}`,
        desc: special[i] ?? `Standard license for Nobody customer ${i} (order #${(i * 7919) % 100_000})`,
        created: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
        status: i % 3 === 0 ? 'revoked' : 'generated',
      });
    }
    withDb(srv, (db) => {
      const ins = db.prepare(
        `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at,
           updated_at) VALUES (?, ?, 30, 1, ?, ?, ?, ?)`,
      );
      db.transaction(() => {
        for (const r of rows) ins.run(r.id, r.key, r.status, r.desc, r.created, r.created);
      })();
    });
  });
  afterAll(async () => {
    await srv.dispose();
  });

  /** The page and total a literal, ASCII-case-insensitive substring search must return (newest first). */
  const expected = (term: string, page: number, limit: number, status?: string) => {
    const t = term.toLowerCase();
    const hits = rows
      .filter((r) => (r.key + '\u0000' + r.desc).toLowerCase().includes(t))
      .filter((r) => !status || r.status === status)
      .sort((a, b) => b.created.localeCompare(a.created));
    return { total: hits.length, ids: hits.slice((page - 1) * limit, page * limit).map((r) => r.id) };
  };
  const check = async (term: string, page = 1, limit = 50, status?: string) => {
    const qs = `?search=${encodeURIComponent(term)}&page=${page}&limit=${limit}${status ? `&status=${status}` : ''}`;
    const r = await list(qs);
    expect(r.status).toBe(200);
    const want = expected(term, page, limit, status);
    expect(r.body.data.pagination.total).toBe(want.total);
    expect(r.body.data.licenses.map((l: { id: string }) => l.id)).toEqual(want.ids);
    return want.total;
  };

  it('the probe plan: rarest, leftmost and rightmost rare trigrams; none when no trigram is common or none rare', () => {
    const df = (counts: Record<string, number>) => (t: string) => counts[t.toLowerCase()] ?? 2600;
    const term = [...'Zebra license for Quux'];
    expect(rareProbe(term, df({ zeb: 5, 'r q': 9, uux: 4 }), 2600)).toBe('"uux" AND "Zeb"');
    expect(rareProbe(term, () => 10, 2600)).toBeNull(); // every trigram rare: the phrase reads short lists
    expect(rareProbe(term, () => 2600, 2600)).toBeNull(); // every trigram common: nothing to probe with
    expect(rareProbe([...'Zebra'], df({ zeb: 5 }), 2600)).toBeNull(); // short terms keep the phrase
    // Re-checked in memory: the leftmost and rightmost rare trigrams, counted from each end; all rare is fine.
    const seen: string[] = [];
    const spy = (counts: Record<string, number>) => (t: string) => {
      seen.push(t);
      return counts[t.toLowerCase()] ?? 100_000;
    };
    expect(rareProbe([...'Enterprise'], spy({ ent: 900, erp: 800, ris: 950, ise: 990 }), 100_000, true)).toBe(
      '"Ent" AND "ise"',
    );
    expect(seen).toEqual(['Ent', 'ise']);
    seen.length = 0;
    expect(rareProbe(term, spy({ lic: 9 }), 100_000, true)).toBe('"lic"');
    expect(seen).toEqual(['Zeb', 'ra ', 'lic', 'uux', 'Quu', 'or ', 'e f', 'ens', 'lic']);
    expect(rareProbe(term, () => 2600, 2600, true)).toBeNull(); // no rare trigram: the phrase
  });

  it('a phrase of common and rare trigrams matches whole (not the rows holding both rare words apart)', async () => {
    expect(await check('Zebra license for Quux')).toBe(3); // 100, 900, 1700 (Quuxx); not 1500, 2000, 2100
    expect(await check('zebra LICENSE FOR quux')).toBe(3);
    expect(await check('Zebra license for Quux', 2, 2)).toBe(3);
    expect(await check('Zebra license for Quux', 1, 50, 'revoked')).toBe(1); // 900 (1500 is revoked, no match)
    expect(await check('Quux license for Zebra')).toBe(1);
    expect(await check('license for Quux, renewed')).toBe(1);
    // A non-ASCII cased letter: the phrase plan (Unicode case folding), or nothing when the probe finds nothing
    expect(await check('zebra license for MÜLLER')).toBe(1);
    expect(await check('Quux license for MÜLLER')).toBe(0);
    expect(await check('Zebra license for Müllers')).toBe(0);
  });

  it('a probed phrase with SQL metacharacters matches them literally (`100%` yes, `1_0%` and `1x0%` apart)', async () => {
    expect(await check('Zebra 100% license for Quux')).toBe(1);
    expect(await check('Zebra 1_0% license for Quux')).toBe(0);
    expect(await check('Zebra 1x0% license for Quux')).toBe(1);
  });

  it('a phrase of common trigrams only still matches everything (license for Nobody)', async () => {
    expect(await check('license for Nobody customer 12')).toBe(111); // 12, 120-129, 1200-1299
    expect(await check('Nobody customer 2599 (order')).toBe(1);
  });

  it('a 2-character term with few matches (one scan) and with more than 2,000 (COUNT + index walk)', async () => {
    expect(await check('#7')).toBeGreaterThan(0);
    expect(await check('#7', 2, 10)).toBeGreaterThan(10);
    expect(await check('ST', 1, 50)).toBe(2600);
    expect(await check('st', 40, 50)).toBe(2600);
    expect(await check('cu', 3, 100, 'revoked')).toBeGreaterThan(800);
  });
});
