import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LicenseListFilter, LicenseRecord } from '../../src-main/server/store/licenses-repo.js';
import { LICENSE_SELECT } from '../../src-main/server/store/postgres/licenses.js';
import {
  bind,
  pgLicenseLister,
  probePattern,
  spannedTrigrams,
} from '../../src-main/server/store/postgres/licenses-list.js';
import type { PostgresStore } from '../../src-main/server/store/postgres/index.js';
import type { Store } from '../../src-main/server/store/store.js';
import { openFleet, STORE_KINDS, type StoreFleet } from './store-helpers.js';

/**
 * `GET /api/licenses` gives the same rows, order and totals on PostgreSQL as on SQLite for the same licenses:
 * search terms of every kind (metacharacters, case, non-ASCII, 1-2 characters, whole keys, phrases of common and
 * rare words, the separator of PostgreSQL's search document), sorts with NULL expires_at and creation-time ties,
 * pages past the end, status and user filters. PostgreSQL answers through several plans (the trigram probe, a
 * scan of the search document, a walk of the sort index or a sort of the matches, totals from the status
 * counters); each plan is forced in turn and must agree. Each row's description is also checked against a
 * reference written in JS.
 */
const PLANS = ['Annual', 'Monthly', 'Trial', 'Enterprise', 'Studio'];
const NAMES = ['Smith', 'Müller', 'ÜBER', 'Rossi', "O'Brien"];
const ODD = [
  'Discount 100% off',
  '1_0% promo',
  'snake_case customer',
  'back\\slash and more',
  'say "hello"',
  'unit\x1fseparator inside',
  'Straße und Maß',
  null,
];
const ROWS = 640;
const NOW = '2026-06-01T00:00:00.000Z';

interface Row {
  id: string;
  key: string;
  description: string | null;
}

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const unicodeFold = (t: string) =>
  [...t].length >= 3 && [...t].some((c) => c > '\x7f' && c.toLowerCase() !== c.toUpperCase());
function matches(term: string, text: string | null): boolean {
  if (text === null) return false;
  if (unicodeFold(term)) return text.toLowerCase().includes(term.toLowerCase());
  return asciiLower(text).includes(asciiLower(term));
}

/** Deterministic key characters, so both stores get the same keys run after run. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const keyOf = (i: number) => {
  let x = (i + 1) * 2654435761;
  let s = '';
  for (let j = 0; j < 12; j++) {
    s += ALPHABET[x % 32];
    x = Math.floor(x / 32) + j * 7919 + i;
  }
  return `PROGRAN3-2026-${s.slice(0, 6)}-${s.slice(6)}`;
};

function dataset(): Array<Row & { at: string; activate?: string }> {
  const out: Array<Row & { at: string; activate?: string }> = [];
  for (let i = 0; i < ROWS; i++) {
    const description =
      i % 9 === 4
        ? ODD[((i / 9) | 0) % ODD.length]!
        : `${PLANS[i % PLANS.length]} license for ${NAMES[(i * 3) % NAMES.length]} customer ${i} (order #${(i * 7919) % 100_000})`;
    // Pairs of licenses created in the same millisecond: rid breaks the tie.
    const at = new Date(Date.parse('2026-01-01T00:00:00.000Z') + Math.floor(i / 2) * 60_000).toISOString();
    // Some activated long ago (lapsed: `expired` when read), some recently (active), most never.
    const activate =
      i % 7 === 0 ? '2020-01-01T00:00:00.000Z' : i % 5 === 0 ? '2026-05-20T00:00:00.000Z' : undefined;
    out.push({ id: randomUUID(), key: keyOf(i), description, at, activate });
  }
  return out;
}

const TERMS = [
  'annual',
  'ANNUAL LICENSE',
  'Annual license for Smith',
  'Monthly license for Rossi',
  'license for',
  'customer 12',
  'customer 123 (',
  '#4',
  'order #1',
  '100%',
  '1_0%',
  '%',
  '_',
  '\\',
  '\\s',
  'e_c',
  "o'b",
  "O'Brien customer",
  '"hello"',
  'MÜLLER',
  'müller',
  'über',
  'ÜBER',
  'ü',
  'Ü',
  'ß',
  'STRASSE',
  'straße',
  '\x1f',
  't\x1fs',
  'unit\x1fseparator',
  'PROGRAN3',
  'progran3-2026-',
  'zz-nothing',
  'a',
  'an',
  '7',
  '42',
  '(o',
];

type Lister = (f: LicenseListFilter) => Promise<{ rows: LicenseRecord[]; total: number }>;

describe.skipIf(!STORE_KINDS.includes('postgres'))('license lists agree: PostgreSQL plans vs SQLite', () => {
  let sqliteFleet: StoreFleet;
  let pgFleet: StoreFleet;
  let sqlite: Store;
  let pgStore: PostgresStore;
  let listers: Array<[string, Lister]>;
  const rows = dataset();
  const keys = new Map(rows.map((r) => [r.id, r]));
  let userId: string;
  let pgUserId: string;

  beforeAll(async () => {
    sqliteFleet = await openFleet('sqlite');
    pgFleet = await openFleet('postgres');
    sqlite = await sqliteFleet.open();
    pgStore = (await pgFleet.open()) as PostgresStore;
    for (const store of [sqlite, pgStore]) {
      for (const r of rows) {
        await store.licenses.create({
          id: r.id,
          license_key: r.key,
          duration_days: 30,
          max_machines: 2,
          description: r.description,
          now: r.at,
        });
        if (r.activate) {
          const out = await store.licenses.activate({
            license_key: r.key,
            email: `u${rows.indexOf(r) % 3}@example.com`,
            fingerprint: 'fp-1',
            now: r.activate,
          });
          expect(out.kind).toBe('ok');
        }
      }
      // A revoked license and an explicitly expired one.
      await store.licenses.update(rows[1]!.id, { status: 'revoked' }, NOW);
      await store.licenses.update(rows[2]!.id, { status: 'expired' }, NOW);
    }
    userId = (await sqlite.licenses.findById(rows[0]!.id))!.user_id!;
    pgUserId = (await pgStore.licenses.findById(rows[0]!.id))!.user_id!;
    listers = [
      ['default', (f) => pgStore.licenses.list(f)],
      ['walk', pgLicenseLister(pgStore.db, LICENSE_SELECT, { scanBudget: Infinity })],
      ['sorted', pgLicenseLister(pgStore.db, LICENSE_SELECT, { scanBudget: 0 })],
    ];
  }, 240_000);
  afterAll(async () => {
    await sqliteFleet?.dispose();
    await pgFleet?.dispose();
  });

  const shape = (out: { rows: LicenseRecord[]; total: number }) => ({
    total: out.total,
    ids: out.rows.map((r) => r.id),
  });
  const base: LicenseListFilter = { limit: 7, offset: 0, sort: 'created_at', order: 'desc', now: NOW };
  const sorts: Array<Pick<LicenseListFilter, 'sort' | 'order'>> = [
    { sort: 'created_at', order: 'desc' },
    { sort: 'created_at', order: 'asc' },
    { sort: 'expires_at', order: 'asc' },
    { sort: 'expires_at', order: 'desc' },
    { sort: 'updated_at', order: 'asc' },
  ];

  /** `pgF`: the same filter with PostgreSQL's ids (license users get an id per store). */
  async function agree(f: LicenseListFilter, pgF = f) {
    const want = shape(await sqlite.licenses.list(f));
    for (const [name, list] of listers) {
      expect({ plan: name, ...shape(await list(pgF)) }).toEqual({ plan: name, ...want });
    }
    return want;
  }

  it('every search term: same rows, order and total as SQLite under every plan, and the JS reference count', async () => {
    for (const term of TERMS) {
      const reference = rows.filter((r) => matches(term, r.key) || matches(term, r.description)).length;
      for (const s of sorts) {
        for (const offset of [0, 5]) {
          const got = await agree({ ...base, ...s, offset, search: term });
          expect({ term, total: got.total }).toEqual({ term, total: reference });
        }
      }
    }
  }, 240_000);

  it('whole keys and key fragments find their license', async () => {
    for (const r of [rows[3]!, rows[300]!, rows[639]!]) {
      for (const term of [r.key, r.key.toLowerCase(), r.key.slice(-6), r.key.slice(14, 20).toLowerCase()]) {
        const got = await agree({ ...base, search: term });
        expect(got.ids).toContain(r.id);
      }
    }
  });

  it('pages: the last partial page and past the end keep the total', async () => {
    for (const search of [undefined, 'annual', 'customer 1', 'an']) {
      const total = (await agree({ ...base, search })).total;
      expect(total).toBeGreaterThan(7);
      await agree({ ...base, search, offset: total - 3 });
      const past = await agree({ ...base, search, offset: total + 10 });
      expect(past).toEqual({ total, ids: [] });
    }
  });

  it('status and user filters, alone and with search, with totals from the counters or a count', async () => {
    for (const status of ['generated', 'active', 'activated', 'expired', 'revoked'] as const) {
      for (const s of sorts) {
        await agree({ ...base, ...s, status });
        await agree({ ...base, ...s, status, search: 'annual' });
        await agree({ ...base, ...s, status, search: 'Müller' });
      }
    }
    const expired = await agree({ ...base, status: 'expired', limit: 100 });
    // Lapsed activations (2020) are expired when read, plus the one stored as expired.
    expect(expired.total).toBe(rows.filter((r, i) => r.activate?.startsWith('2020') || i === 2).length);
    for (const s of sorts) {
      const f: LicenseListFilter = { ...base, ...s, user_id: userId };
      expect((await agree(f, { ...f, user_id: pgUserId })).total).toBeGreaterThan(7);
      const g: LicenseListFilter = { ...f, status: 'expired', search: 'customer' };
      expect((await agree(g, { ...g, user_id: pgUserId })).total).toBeGreaterThan(0);
    }
    expect(keys.size).toBe(ROWS);
  });
});

describe.skipIf(!STORE_KINDS.includes('postgres'))('PostgreSQL list totals follow every writer', () => {
  let fleet: StoreFleet;
  let a: PostgresStore;
  let b: PostgresStore;
  let admin: pg.Client;
  const base: LicenseListFilter = { limit: 10, offset: 0, sort: 'created_at', order: 'desc', now: NOW };

  beforeAll(async () => {
    fleet = await openFleet('postgres');
    a = (await fleet.open()) as PostgresStore;
    b = (await fleet.open()) as PostgresStore;
    admin = new pg.Client({ connectionString: fleet.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await fleet?.dispose();
  });

  /** Totals the lister reports for each status filter, against a plain count of the effective status. */
  async function expectTotalsExact() {
    const { rows } = await admin.query<{ s: string; n: string }>(
      `SELECT CASE WHEN status IN ('active','activated') AND expires_at <= $1 THEN 'expired' ELSE status END AS s,
              count(*) AS n FROM licenses GROUP BY 1`,
      [NOW],
    );
    const want = new Map(rows.map((r) => [r.s, Number(r.n)]));
    const all = [...want.values()].reduce((x, y) => x + y, 0);
    expect((await b.licenses.list(base)).total).toBe(all);
    for (const status of ['generated', 'active', 'activated', 'expired', 'revoked'] as const) {
      expect({ status, total: (await b.licenses.list({ ...base, status })).total }).toEqual({
        status,
        total: want.get(status) ?? 0,
      });
    }
    const docs = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM licenses l JOIN license_search s ON s.rid = l.rid
        WHERE s.doc = outpost_license_doc(l.license_key, l.description)`,
    );
    expect(Number(docs.rows[0]!.n)).toBe(all);
  }

  const create = (store: PostgresStore, i: number, now = NOW) =>
    store.licenses.create({
      id: randomUUID(),
      license_key: `PROGRAN3-2026-TOTALS-${String(i).padStart(6, '0')}`,
      duration_days: 10,
      max_machines: 1,
      description: `batch ${i}`,
      now,
    });

  it('concurrent creates on two instances, activations, edits, deletes, raw SQL and TRUNCATE', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => create(i % 2 ? a : b, i)));
    await expectTotalsExact();
    // Activations on both instances at once: generated → active, some lapsed by NOW.
    const keys = Array.from({ length: 12 }, (_, i) => `PROGRAN3-2026-TOTALS-${String(i).padStart(6, '0')}`);
    await Promise.all(
      keys.map((k, i) =>
        (i % 2 ? a : b).licenses.activate({
          license_key: k,
          email: 'x@example.com',
          fingerprint: 'fp',
          now: i < 4 ? '2020-01-01T00:00:00.000Z' : NOW,
        }),
      ),
    );
    await expectTotalsExact();
    const one = (await a.licenses.list({ ...base, search: 'batch 20' })).rows[0]!;
    await a.licenses.update(one.id, { status: 'revoked', description: 'renamed zebra' }, NOW);
    expect((await b.licenses.list({ ...base, search: 'zebra' })).rows.map((r) => r.id)).toEqual([one.id]);
    expect((await b.licenses.list({ ...base, search: 'batch 20' })).total).toBe(0);
    await expectTotalsExact();
    expect(await b.licenses.delete(one.id)).toBe(true);
    await expectTotalsExact();
    // Writers other than the repository: a bulk insert, a bulk status change, a key edit, a bulk delete.
    await admin.query(
      `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at, updated_at)
       SELECT 'raw-' || g, 'RAW-' || g, 5, 1, CASE WHEN g % 2 = 0 THEN 'generated' ELSE 'revoked' END, NULL, $1, $1
         FROM generate_series(1, 500) g`,
      [NOW],
    );
    await expectTotalsExact();
    await admin.query(`UPDATE licenses SET status = 'expired' WHERE id LIKE 'raw-1%'`);
    await admin.query(`UPDATE licenses SET license_key = 'RAW-RENAMED-' || id WHERE id LIKE 'raw-2%'`);
    expect((await a.licenses.list({ ...base, search: 'raw-renamed-raw-2' })).total).toBe(111);
    await expectTotalsExact();
    await admin.query(`DELETE FROM licenses WHERE id LIKE 'raw-3%'`);
    await expectTotalsExact();
    await admin.query('TRUNCATE licenses CASCADE');
    await expectTotalsExact();
    expect((await a.licenses.list(base)).total).toBe(0);
    await create(a, 99);
    await expectTotalsExact();
  });
});

describe('PostgreSQL search probe', () => {
  // Trigrams missing from the table are common: the cases below name the rare ones.
  const dfOf = (table: Record<string, number>) => (t: string) => table[t] ?? 100_000;

  it('trigrams pg_trgm extracts in any locale: ASCII words, padded only at boundaries it is sure of', () => {
    const term = 'ab1-müx_cd\x1fefg';
    expect(spannedTrigrams(term, false).map((g) => g.text)).toEqual([
      'ab1',
      'b1 ',
      '  m',
      '  c',
      ' cd',
      'cd ',
      '  e',
      ' ef',
      'efg',
    ]);
    // A stored document: its own start and end are word boundaries too.
    expect(spannedTrigrams('ab', true).map((g) => g.text)).toEqual(['  a', ' ab', 'ab ']);
    // Each trigram's span shows it to pg_trgm: `#0` for the start of the word `0`.
    expect(spannedTrigrams('#0', false)).toEqual([{ text: '  0', from: 0, to: 2 }]);
  });

  it('keeps the rarest, leftmost and rightmost rare trigrams in term order, merging overlaps', () => {
    // progran3-2026-84cfyj-6f83jz: the first words are in every row, the key's random part in few.
    const df = dfOf({ '84c': 30, '4cf': 20, cfy: 3, fyj: 25, '6f8': 40, f83: 30, '83j': 10, '3jz': 30 });
    expect(probePattern('progran3-2026-84cfyj-6f83jz', df, 100_000)).toBe('%84cfy%3jz%');
    // Overlapping picks become one segment: `%12345%`, not `%123%345%` (the text holds them overlapping).
    const d2 = dfOf({ '123': 800, '234': 500, '345': 700 });
    expect(probePattern('customer 12345', d2, 100_000)).toBe('%12345%');
    // No rare word trigram, but a rare word start: the boundary character comes along, escaped for LIKE.
    expect(probePattern('#0', dfOf({ '  0': 3000 }), 100_000)).toBe('%#0%');
    expect(probePattern('customer 0', dfOf({ '  0': 3000 }), 100_000)).toBe('% 0%');
    expect(probePattern('x_%9', dfOf({ '  9': 10 }), 100_000)).toBe('%\\%9%');
  });

  it('no probe when no trigram is rare, or the term has none pg_trgm would extract', () => {
    expect(probePattern('license for', () => 100_000, 100_000)).toBeNull();
    expect(probePattern('ab', () => 0, 100_000)).toBeNull();
    expect(probePattern('%_\\', () => 0, 100_000)).toBeNull();
    expect(probePattern('üa', () => 0, 100_000)).toBeNull();
  });

  it('binds named parameters once each, only those the statement uses', () => {
    expect(bind('SELECT @a, @b::int, @a', { a: 1, b: 2, c: 3 })).toEqual(['SELECT $1, $2::int, $1', [1, 2]]);
    expect(() => bind('SELECT @missing', {})).toThrow(/missing/);
  });
});
