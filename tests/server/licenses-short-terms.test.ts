import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LicenseListFilter, LicensesRepo } from '../../src-main/server/store/licenses-repo.js';
import { migrate, openDatabase, type Db } from '../../src-main/server/store/sqlite/db.js';
import { asciiLower, gramQuery } from '../../src-main/server/store/sqlite/licenses-search.js';
import { sqliteLicenses } from '../../src-main/server/store/sqlite/licenses.js';
import { migrations } from '../../src-main/server/store/sqlite/migrations.js';

/**
 * Migration 6 (licenses-search.ts): 1-2 character terms served by the gram index, phrase re-checks against the
 * narrow licenses_text copy. Every answer is compared with the plain LIKE query the lister used before (the
 * reference semantics: literal substring of license_key or description, ASCII case folding only), for totals and
 * for the ids and order of the page.
 */
const NOW = '2026-06-01T00:00:00.000Z';
const SPECIAL = [
  'Discount 100% off',
  'snake_case customer',
  "O'Brien's studio",
  'say "hello"',
  'back\\slash and \\\\ double',
  'Müller GmbH',
  'MÜLLER AG',
  'été à Paris',
  'ÉTÉ',
  '😀 smile 😀',
  '日本語',
  'q',
  'Qz',
  '',
  'tab\there',
  'ends with #0',
  '#0 starts',
  'x'.repeat(500),
];

function insertRows(db: Db, n: number, offset = 0): void {
  const ins = db.prepare(
    `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at,
       updated_at) VALUES (?, ?, 30, 1, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = offset; i < offset + n; i++) {
      const desc =
        i % 7 === 3
          ? null
          : i % 50 < SPECIAL.length
            ? SPECIAL[i % 50]!
            : `Plan ${i % 9} for c${i} (#${i * 37})`;
      const created = new Date(Date.UTC(2025, 0, 1) + ((i * 7919) % 5000) * 60_000).toISOString();
      ins.run(
        randomUUID(),
        `TK-${i % 2 ? 'ab' : 'AB'}${i.toString(36).toUpperCase()}`,
        i % 3 ? 'generated' : 'revoked',
        desc,
        created,
        created,
      );
    }
  })();
}

/** The lister's answer and the reference (a LIKE scan) for one filter. */
function compare(db: Db, repo: LicensesRepo, f: Partial<LicenseListFilter> & { search: string }) {
  const filter: LicenseListFilter = {
    limit: 50,
    offset: 0,
    sort: 'created_at',
    order: 'desc',
    now: NOW,
    ...f,
  };
  const like = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const dir = filter.order === 'asc' ? 'ASC' : 'DESC';
  const ref = db
    .prepare(
      `SELECT id FROM licenses WHERE (license_key LIKE @like ESCAPE '\\' OR description LIKE @like ESCAPE '\\')
       ${filter.status ? 'AND status = @status' : ''} ORDER BY ${filter.sort} ${dir}, rid ${dir}`,
    )
    .pluck()
    .all({ like, ...(filter.status ? { status: filter.status } : {}) }) as string[];
  return { filter, ref, got: repo.list(filter) };
}

async function expectSame(db: Db, repo: LicensesRepo, f: Partial<LicenseListFilter> & { search: string }) {
  const { filter, ref, got } = compare(db, repo, f);
  const r = await got;
  expect({ term: f.search, total: r.total }).toEqual({ term: f.search, total: ref.length });
  expect(r.rows.map((x) => x.id)).toEqual(ref.slice(filter.offset, filter.offset + filter.limit));
  return ref.length;
}

const TERMS = [
  '#0',
  '#7',
  '0',
  '00',
  '7',
  '%',
  '_',
  "'",
  '"',
  '\\',
  '\\\\',
  '\\s',
  '0%',
  '%_',
  'k_',
  '7%',
  "'s",
  '"h',
  ' ',
  ' (',
  'ü',
  'Ü',
  'Mü',
  'ÜL',
  'é',
  'É',
  'ét',
  'ÉT',
  'à',
  '😀',
  '😀 ',
  ' 😀',
  '日',
  '日本',
  '語',
  'q',
  'Q',
  'qz',
  'QZ',
  'z',
  'x',
  'xx',
  '-',
  'ab',
  'AB',
  'tk',
  'TK',
  'k-',
  '\t',
  '\th',
  'zz',
  'ññ',
  ')',
  '(#',
  's\\',
];

describe('licenses search: 1-2 character terms and phrase re-checks (migration 6)', () => {
  let db: Db;
  let repo: LicensesRepo;
  beforeAll(() => {
    db = openDatabase(':memory:');
    // Rows written before migration 6 must be found too: the migration fills the new index from the table.
    migrate(
      db,
      migrations.filter((m) => m.version < 6),
    );
    insertRows(db, 1500);
    migrate(db, migrations);
    insertRows(db, 1500, 1500);
    repo = sqliteLicenses(db);
  });
  afterAll(() => db.close());

  it('gram tokens: hex of the ASCII-lowercased term; one character is a prefix query', () => {
    expect(gramQuery('#0')).toBe('"2330"');
    expect(gramQuery('AB')).toBe('"6162"');
    expect(gramQuery('Ü')).toBe('"c39c" *'); // no Unicode folding, as LIKE
    expect(gramQuery('😀')).toBe('"f09f9880" *'); // one code point, two UTF-16 units
    expect(asciiLower('ÀBÇd')).toBe('Àbçd'.replace('ç', 'Ç'));
  });

  it('1-2 character terms (metacharacters, non-ASCII, rows from before and after the migration) match as LIKE did', async () => {
    let nonEmpty = 0;
    for (const search of TERMS) if ((await expectSame(db, repo, { search })) > 0) nonEmpty++;
    expect(nonEmpty).toBeGreaterThan(40);
  });

  it('pages, filters and other sorts agree too (index-first and sort-index-walk plans)', async () => {
    for (const search of ['#0', '0', 'ab', 'Ü', 'x', '%', '_', 'é', 'tk']) {
      await expectSame(db, repo, { search, offset: 50, limit: 20 });
      await expectSame(db, repo, { search, status: 'revoked' });
      await expectSame(db, repo, { search, sort: 'updated_at', order: 'asc', offset: 10, limit: 5 });
      await expectSame(db, repo, { search, offset: 100_000 });
    }
  });

  it('a term SQLite would cut short (NUL) or an ill-formed one (lone surrogate) keeps the LIKE scan, no error', async () => {
    for (const search of ['\u0000', 'a\u0000', '\uD800', '\uDC00x', 'x\uD800'])
      await expectSame(db, repo, { search });
  });

  it('longer terms re-checked against licenses_text (phrases, metacharacters, non-ASCII) match as LIKE did', async () => {
    for (const search of [
      'Plan 3 for c1',
      'plan 3 FOR C12',
      'Discount 100% off',
      "O'Brien's",
      'say "hello"',
      'back\\slash and',
      '\\\\ double',
      'snake_case',
      'Müller GmbH',
      '😀 smile',
      'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'for c2999 (#110963)',
    ]) {
      await expectSame(db, repo, { search });
    }
  });

  it('the gram index and licenses_text follow inserts, description edits, key edits and deletes', async () => {
    const created = await repo.create({
      id: randomUUID(),
      license_key: 'NEW-KEY-QQ',
      duration_days: 30,
      max_machines: 1,
      description: 'fresh ÿ row with #0 and 100%',
      now: NOW,
    });
    for (const search of ['ÿ', 'ÿ ', 'qq', '#0', '0%', 'fresh ÿ row']) await expectSame(db, repo, { search });
    await repo.update(created.id, { description: 'renamed ŷ' }, NOW);
    for (const search of ['ÿ', 'ŷ', 'd ŷ', '#0', 'fresh ÿ row', 'renamed ŷ'])
      await expectSame(db, repo, { search });
    db.prepare("UPDATE licenses SET license_key = 'OTHER-KEY-WW' WHERE id = ?").run(created.id);
    for (const search of ['qq', 'ww', 'OTHER-KEY-WW', 'NEW-KEY-QQ']) await expectSame(db, repo, { search });
    db.prepare('UPDATE licenses SET description = NULL WHERE id = ?').run(created.id);
    for (const search of ['ŷ', 'renamed ŷ']) await expectSame(db, repo, { search });
    await repo.delete(created.id);
    for (const search of ['ww', 'ŷ', 'OTHER-KEY-WW']) await expectSame(db, repo, { search });
    expect(
      db
        .prepare(
          `SELECT COUNT(*) FROM licenses l FULL JOIN licenses_text t ON t.rid = l.rid
           WHERE t.rid IS NULL OR l.rid IS NULL OR t.license_key IS NOT l.license_key
             OR t.description IS NOT l.description`,
        )
        .pluck()
        .get(),
    ).toBe(0);
  });
});
