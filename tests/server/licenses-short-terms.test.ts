import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LicenseListFilter, LicensesRepo } from '../../src-main/server/store/licenses-repo.js';
import { migrate, openDatabase, type Db } from '../../src-main/server/store/sqlite/db.js';
import { asciiLower, gramQuery } from '../../src-main/server/store/sqlite/licenses-search.js';
import { licenseLister } from '../../src-main/server/store/sqlite/licenses-list.js';
import { TEXT_LOG_WINDOW } from '../../src-main/server/store/sqlite/licenses-mirror.js';
import { LICENSE_SELECT, sqliteLicenses } from '../../src-main/server/store/sqlite/licenses.js';
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
    for (const search of [
      '\u0000',
      'a\u0000',
      '\uD800',
      '\uDC00x',
      'x\uD800',
      'Plan\u0000 3',
      'for\uD800 c1',
      '\u0000\u0000\u0000',
    ])
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

/**
 * Migration 7 (licenses-mirror.ts): candidates of the probe plans re-checked against the in-process copy of
 * licenses_text instead of SQL LIKE. Forced on (no minimum candidate count) and compared with the LIKE query, with
 * writes from this repo and from another connection between searches, and past the change-log window.
 */
describe('licenses search: the in-process text mirror (migration 7)', () => {
  let dir: string;
  let db: Db;
  let other: Db;
  let repo: LicensesRepo;
  let lister: ReturnType<typeof licenseLister>;
  const KEYS = ['PROGRAN3-2025-AbCdEf-GhIjKl', 'PROGRAN3-2025-ZZ9zz9-QQ1qq1', 'PROGRAN3-2025-AbCdEf-GhIjKm'];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-lic-mirror-'));
    db = openDatabase(join(dir, 'server.db'));
    migrate(
      db,
      migrations.filter((m) => m.version < 7),
    );
    insertRows(db, 1500); // written before migration 7: found by the first build, not through the log
    migrate(db, migrations);
    insertRows(db, 1500, 1500);
    const ins = db.prepare(
      `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at,
         updated_at) VALUES (?, ?, 30, 1, 'generated', ?, ?, ?)`,
    );
    const special: Array<[string, unknown]> = [
      [KEYS[0]!, 'Plan 3 for c1 exact key row'],
      [KEYS[1]!, null],
      [KEYS[2]!, 'Plan 3 for c1\u0000 hidden after NUL Plan 5 for c9'], // LIKE stops at NUL
      ['PROGRAN3-NUL\u0000Plan 5 for c9', 'key with NUL'],
      ['BLOB-DESC-1', Buffer.from('Plan 3 for c1 as a blob')], // not TEXT: re-checked in SQL
      ['FFFD-DESC-1', 'Plan 3 for c1 \uFFFD replacement'],
      ['KELVIN-1', 'Plan 3 for c1 \u212Aelvin and \u017Fign'],
    ];
    for (const [key, desc] of special) ins.run(randomUUID(), key, desc, NOW, NOW);
    // Invalid UTF-8 written by another client: a text value decoded as U+FFFD by the driver.
    db.prepare(
      `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at,
         updated_at) VALUES (?, 'BADUTF8-1', 30, 1, 'generated', CAST(X'506C616E20332066FF7220633120' AS TEXT), ?, ?)`,
    ).run(randomUUID(), NOW, NOW);
    repo = sqliteLicenses(db, { mirrorMinCandidates: 0 });
    lister = licenseLister(db, LICENSE_SELECT, { mirrorMinCandidates: 0 });
    other = new Database(join(dir, 'server.db'));
    other.pragma('busy_timeout = 5000');
  });
  afterAll(() => {
    other.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const PROBED = [
    'Plan 3 for c1',
    'plan 3 FOR C12',
    'Plan 3 for c1%',
    'Plan _ for c1',
    'Plan 5 for c9',
    'hidden after NUL',
    'Discount 100% off',
    "O'Brien's studio",
    'say "hello"',
    'back\\slash and',
    '\\\\ double',
    'snake_case customer',
    'Müller GmbH',
    'MÜLLER AG',
    '😀 smile 😀',
    'for c2999 (#110963)',
    '3 for c1 exact',
    'Plan 3 for c1 \uFFFD',
    'Plan 3 f\uFFFDr c1',
    'Plan 3 for c1 as a blob',
    'Plan 3 for c1 kelvin',
    'Plan 3 for c1 Kelvin',
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    'zzzz not here at all',
    ...KEYS,
    ...KEYS.map((k) => k.toLowerCase()),
    'NUL\u0000Plan 5 for c9',
    'AbCdEf-GhIjKl',
  ];
  const sweep = async () => {
    for (const search of PROBED) {
      await expectSame(db, repo, { search });
      await expectSame(db, repo, { search, offset: 3, limit: 4, sort: 'updated_at', order: 'asc' });
    }
  };

  it('answers as LIKE does for probed phrases and keys (NUL, BLOB, U+FFFD, invalid UTF-8, metacharacters)', async () => {
    await sweep();
    lister({ limit: 5, offset: 0, sort: 'created_at', order: 'desc', now: NOW, search: 'Plan 3 for c1' });
    expect(lister.mirror.built).toBe(true);
    expect(lister.mirror.stats.rows).toBeGreaterThan(3000);
    for (const search of [
      'Plan 3 for c1',
      'Plan 3 for c1 as a blob',
      'Plan 3 f\uFFFDr c1',
      'hidden after NUL',
    ]) {
      const { ref, filter } = compare(db, repo, { search });
      const got = lister({ ...filter, search });
      expect({ search, total: got.total }).toEqual({ search, total: ref.length });
    }
  });

  it('keeps up with writes from this repo and from another connection between searches', async () => {
    const builds = lister.mirror.stats.builds;
    const created = await repo.create({
      id: randomUUID(),
      license_key: 'PROGRAN3-2025-NeWnEw-KeYkEy',
      duration_days: 30,
      max_machines: 1,
      description: 'Plan 3 for c1 created here',
      now: NOW,
    });
    await sweep();
    await expectSame(db, repo, { search: 'Plan 3 for c1 created here' });
    await repo.update(created.id, { description: 'Plan 9 for c7 edited here' }, NOW);
    await expectSame(db, repo, { search: 'Plan 3 for c1 created' });
    await expectSame(db, repo, { search: 'Plan 9 for c7 edited' });
    // Another connection (another process, the CLI): insert, edit, key change, delete, a rolled-back write.
    other
      .prepare(
        `INSERT INTO licenses (id, license_key, duration_days, max_machines, status, description, created_at,
           updated_at) VALUES (?, 'OTHER-CONN-1', 30, 1, 'generated', 'Plan 3 for c1 from elsewhere', ?, ?)`,
      )
      .run(randomUUID(), NOW, NOW);
    other.prepare(`UPDATE licenses SET description = 'gone' WHERE description LIKE 'Plan 3 for c12%'`).run();
    other
      .prepare(`UPDATE licenses SET license_key = 'PROGRAN3-2025-MoVeDd-KeYkEy' WHERE id = ?`)
      .run(created.id);
    other.prepare(`DELETE FROM licenses WHERE license_key = ?`).run(KEYS[0]);
    expect(() =>
      other.transaction(() => {
        other.prepare(`UPDATE licenses SET description = 'Plan 3 for c1 rolled back' WHERE rid < 50`).run();
        throw new Error('rollback');
      })(),
    ).toThrow('rollback');
    await sweep();
    for (const search of [
      'Plan 3 for c1 from elsewhere',
      'Plan 3 for c12',
      'PROGRAN3-2025-MoVeDd-KeYkEy',
      'PROGRAN3-2025-NeWnEw-KeYkEy',
      'Plan 3 for c1 rolled back',
    ]) {
      await expectSame(db, repo, { search });
      const { ref, filter } = compare(db, repo, { search });
      expect(lister({ ...filter, search }).total).toBe(ref.length);
    }
    expect(lister.mirror.stats.builds).toBe(builds); // caught up through the log, no rebuild
    expect(lister.mirror.stats.patches).toBeGreaterThan(0);
  });

  it('rebuilds when more changes than the log window happened since the last search', async () => {
    const builds = lister.mirror.stats.builds;
    lister({ limit: 5, offset: 0, sort: 'created_at', order: 'desc', now: NOW, search: 'Plan 3 for c1' });
    other.transaction(() => {
      const upd = other.prepare('UPDATE licenses SET description = ? WHERE rid = ?');
      for (let round = 0; round < 4; round++)
        for (let rid = 1; rid <= 3000; rid++)
          upd.run(`Plan ${(rid + round) % 9} for c${rid} round ${round}`, rid);
    })();
    expect(other.prepare('SELECT COUNT(*) FROM licenses_text_log').pluck().get()).toBe(TEXT_LOG_WINDOW);
    await sweep();
    for (const search of ['Plan 3 for c1 round 3', 'Plan 4 for c1 round 3', 'round 2']) {
      await expectSame(db, repo, { search });
      const { ref, filter } = compare(db, repo, { search });
      expect(lister({ ...filter, search }).total).toBe(ref.length);
    }
    expect(lister.mirror.stats.builds).toBe(builds + 1);
  });
});
