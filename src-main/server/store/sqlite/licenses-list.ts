import type { Statement } from 'better-sqlite3';
import type { LicenseListFilter, LicenseRecord } from '../licenses-repo.js';
import type { Db } from './db.js';
import { mirrorable, TextMirror } from './licenses-mirror.js';
import { gramQuery } from './licenses-search.js';

/** LIKE pattern matching `term` literally: `\`, `%` and `_` are escaped (used with ESCAPE '\'). */
export function likeLiteral(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** An FTS5 query matching `term` as one literal phrase (a substring, with the trigram tokenizer). */
export function ftsPhrase(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

/** Longer terms are looked up in the index by their last characters and re-checked whole (see below). */
const FTS_PROBE_CHARS = 12;
/** A term ending like a key's random part (`XXXXXX-XXXXXX`): its tail is rare, so probing with it pays off. */
const KEY_TAIL = /[0-9A-Za-z]{6}-[0-9A-Za-z]{6}$/;
/** Rows a sort-index scan may read before the FTS-first plan is cheaper. */
const SCAN_BUDGET = 5000;
/** 1-2 character terms: matches collected in one scan before falling back to COUNT + sort-index walk. */
const SHORT_HITS = 2000;
/** Trigram document counts are read up to this many rows (an FTS count is linear in the doclist it reads). */
const DF_CAP = 12_000;
/** Candidates from which a re-check builds the in-process text mirror (below that, SQL re-checks them). */
const MIRROR_MIN = 500;
const PROBE_COUNT = 'SELECT COUNT(*) FROM licenses_fts WHERE licenses_fts MATCH @match';
/** Description first: a phrase matching 10,000 descriptions then skips the key test. */
const LIKE_SQL = `(l.description LIKE @like ESCAPE '\\' OR l.license_key LIKE @like ESCAPE '\\')`;

/**
 * `GET /api/licenses` in SQLite, fast at 100,000 licenses.
 *
 * Without search every sort has its own index and COUNT reads an index. `search` is a literal substring of
 * license_key or description (no wildcards: `%`, `_`, quotes are plain characters), case-insensitive:
 * - 3+ characters: the FTS5 trigram index finds the matching rows. A long key-shaped term (a whole key) would
 *   intersect doclists of trigrams every key shares (`PRO`, `202`…), so the index is probed with the term's last
 *   12 characters (the random part of a key) and the candidates are re-checked with LIKE.
 * - Rows then come one of two ways: few matches → FTS first, sort the handful; many matches (`PROGRAN3`) → walk
 *   the sort index and test each row with LIKE, stopping after one page, instead of sorting 100,000 matches.
 * - A phrase (`Reseller license for Rossi`) is matched by intersecting the doclists of ALL its trigrams, most of
 *   them in every row (` li`, `lic`, `for`…): ~20 ms at 100,000 rows even when nothing matches. When some of its
 *   trigrams are common and some are not, the index is probed with its rarest, leftmost rare and rightmost rare
 *   trigrams instead (AND), and the candidates (at most DF_CAP) are re-checked with LIKE, for the count as for
 *   the page.
 *   Trigram counts come from a capped FTS count per trigram (≤ 0.5 ms), cached; an fts5vocab lookup reads the
 *   whole doclist (~2 ms for a trigram in every row). A stale count can only pick a slower plan, not change the
 *   result. Terms with non-ASCII cased letters keep the phrase (see the last point) unless the probe finds nothing.
 * - Re-checks without status/user filters read licenses_text (rid, license_key, description), a narrow copy, not
 *   the full rows: ~8 instead of ~20 ms for the 10,000 candidates of `Annual license for Smith`.
 * - 1-2 characters cannot use trigrams: the gram index licenses_grams (migration 6, licenses-search.ts) holds every
 *   bigram (and each column's last character), so a 2-character term is one doclist (`#0`: ~0.1 ms instead of a
 *   30-60 ms table scan) and a 1-character term a prefix query; exact for LIKE, no re-check. A term with NUL or a
 *   lone surrogate keeps the old LIKE scan (one scan when few rows match).
 * - Without status/user filters, probe candidates are re-checked in memory instead (migration 7,
 *   licenses-mirror.ts): a lazily built copy of licenses_text, ASCII-lowercased as LIKE compares, kept in step with
 *   any writer through licenses_text_log; `includes` per candidate instead of a rowid seek + LIKE (`Annual license
 *   for Smith`: ~9 → ~1 ms for the 10,000 candidates, fetched as one JSON array). Built on the first re-check with
 *   MIRROR_MIN candidates (~0.2-0.5 s, ~11 MB of heap at 100,000 licenses). With it, ASCII-case terms of 6+
 *   characters are probed with the leftmost and rightmost rare trigrams only (fewer trigram counts for a new term),
 *   also when every trigram is rare (`Enterprise`: ~11 → ~4 ms). Terms with NUL, lone surrogates or non-ASCII cased
 *   letters never use it.
 * LIKE folds ASCII case only while the trigram tokenizer folds Unicode case; for non-ASCII terms the two paths can
 * differ in case handling, never in which literal characters match.
 */
export function licenseLister(db: Db, select: string, opts: { mirrorMinCandidates?: number } = {}) {
  const mirrorMin = opts.mirrorMinCandidates ?? MIRROR_MIN;
  const cache = new Map<string, Statement>();
  const maxRid = db.prepare('SELECT COALESCE(MAX(rid), 0) FROM licenses').pluck();
  const dfOf = trigramCounter(db, () => maxRid.get() as number);
  const mirror = new TextMirror(db);
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };

  // One read transaction per call: COUNT, page and the mirror's catch-up see one snapshot.
  const list = db.transaction((f: LicenseListFilter): { rows: LicenseRecord[]; total: number } => {
    const filters: string[] = [];
    const params: Record<string, unknown> = {};
    if (f.status === 'expired') {
      filters.push(`(l.status = 'expired' OR (l.status IN ('active','activated') AND l.expires_at <= @now))`);
      params.now = f.now;
    } else if (f.status === 'active' || f.status === 'activated') {
      filters.push('l.status = @status AND (l.expires_at IS NULL OR l.expires_at > @now)');
      Object.assign(params, { status: f.status, now: f.now });
    } else if (f.status) {
      filters.push('l.status = @status');
      params.status = f.status;
    }
    if (f.user_id) {
      filters.push('l.user_id = @user_id');
      params.user_id = f.user_id;
    }
    const dir = f.order === 'asc' ? 'ASC' : 'DESC';
    const orderBy = `ORDER BY l.${f.sort} ${dir}, l.rid ${dir}`;
    // Pick the page's rowids with the narrowest query, then build full rows (user join, seat count) for those
    // only: SQLite computes result columns before sorting, so a wide SELECT over 30,000 candidates is slow.
    const pageOf = (from: string, whereSql: string) =>
      `${select} WHERE l.rid IN (SELECT l.rid ${from} ${whereSql} ${orderBy} LIMIT @limit OFFSET @offset) ${orderBy}`;
    const where = (parts: string[]) => (parts.length ? `WHERE ${parts.join(' AND ')}` : '');
    const page = { limit: f.limit, offset: f.offset };

    const term = f.search ?? '';
    const chars = [...term];
    if (chars.length === 0) {
      const total = stmt(`SELECT COUNT(*) AS n FROM licenses l ${where(filters)}`).get(params) as {
        n: number;
      };
      const rows =
        total.n > f.offset ? stmt(pageOf('FROM licenses l', where(filters))).all({ ...params, ...page }) : [];
      return { rows: rows as LicenseRecord[], total: total.n };
    }

    params.like = likeLiteral(term);
    // The index answers non-ASCII cased letters with Unicode case folding, LIKE with ASCII folding only: for such
    // a term the page must come from the same index as the count, never from a LIKE walk.
    const likeAgreesWithIndex = ![...term].some((c) => c > '\x7f' && c.toLowerCase() !== c.toUpperCase());
    const scanRows = () =>
      stmt(pageOf('FROM licenses l', where([...filters, LIKE_SQL]))).all({
        ...params,
        ...page,
      }) as LicenseRecord[];
    // Rows matching an index query (`table MATCH @match`, re-checked with LIKE when the index only narrows down):
    // COUNT from the index, then one of two ways to the page: few matches → index first, sort the handful; many
    // matches (`PROGRAN3`) → walk the sort index and test each row with LIKE, stopping after one page.
    const indexed = (table: string, match: string, recheck: boolean) => {
      if (recheck && filters.length === 0 && mirrorable(term) && mirror.enabled) {
        // Re-check the candidates against the in-process copy of licenses_text (licenses-mirror.ts): a string
        // search each instead of a rowid seek + LIKE each (~10,000 for `Annual license for Smith`). Built on the
        // first re-check with MIRROR_MIN candidates; until then, few candidates are re-checked in SQL below.
        // The candidates as one JSON array: ~1 ms instead of ~3.5 ms for 10,000 result rows through the driver.
        const candidates = JSON.parse(
          stmt(`SELECT json_group_array(rowid) FROM ${table} WHERE ${table} MATCH @match`)
            .pluck()
            .get({ match }) as string,
        ) as number[];
        if (mirror.built || candidates.length >= mirrorMin) {
          mirror.sync();
          return exact(mirror.filter(candidates, term, params.like as string));
        }
      }
      const ftsParams: Record<string, unknown> = { ...params, match };
      if (!recheck) delete ftsParams.like;
      const ftsFrom = `FROM ${table} CROSS JOIN licenses l ON l.rid = ${table}.rowid`;
      const ftsWhere = where([`${table} MATCH @match`, ...(recheck ? [LIKE_SQL] : []), ...filters]);
      // Without filters or re-check the count is answered from the doclists alone, no table rows read; a re-check
      // without filters reads the narrow copy licenses_text (see licenses-search.ts), not the rows.
      const countSql =
        filters.length > 0
          ? `SELECT COUNT(*) AS n ${ftsFrom} ${ftsWhere}`
          : recheck
            ? `SELECT COUNT(*) AS n FROM ${table} CROSS JOIN licenses_text l ON l.rid = ${table}.rowid ${ftsWhere}`
            : `SELECT COUNT(*) AS n FROM ${table} WHERE ${table} MATCH @match`;
      const total = (stmt(countSql).get(ftsParams) as { n: number }).n;
      if (total <= f.offset) return { rows: [], total };
      // Expected rows read by walking the sort index until one page of matches (uniform spread assumed).
      const scanCost = ((f.offset + f.limit) * (maxRid.get() as number)) / total;
      if (scanCost <= SCAN_BUDGET && likeAgreesWithIndex) return { rows: scanRows(), total };
      const rows = stmt(pageOf(ftsFrom, ftsWhere)).all({ ...ftsParams, ...page });
      return { rows: rows as LicenseRecord[], total };
    };

    // The page from the exact matching rowids (the count): few → sort them; many → walk the sort index.
    const exact = (hits: number[]) => {
      const total = hits.length;
      if (total <= f.offset) return { rows: [], total };
      const scanCost = ((f.offset + f.limit) * (maxRid.get() as number)) / total;
      if (scanCost <= SCAN_BUDGET && likeAgreesWithIndex) return { rows: scanRows(), total };
      const from = 'FROM json_each(@rids) j CROSS JOIN licenses l ON l.rid = j.value';
      const rows = stmt(pageOf(from, '')).all({ rids: JSON.stringify(hits), ...page });
      return { rows: rows as LicenseRecord[], total };
    };

    // A term SQLite would cut short (NUL) or one that is not well-formed UTF-16 keeps the LIKE scan, whatever its
    // length (a 3+ character term with NUL used to reach the FTS query parser: "unterminated string", a 500).
    const odd = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(term);
    if (chars.length < 3 || odd) {
      // 1-2 characters: the gram index (bigram tokens; a prefix query for one character) is exact for LIKE, so
      // no re-check.
      if (!odd) {
        return indexed('licenses_grams', gramQuery(term), false);
      }
      // One table scan collects up to SHORT_HITS matches: with few matches they are the count and the page is
      // sorted from them, where walking the sort index to fill a page would read the whole table a second time
      // in index order. Past SHORT_HITS the scan stops early and matches are dense enough for the index walk.
      const hits = stmt(
        `SELECT l.rid FROM licenses l ${where([...filters, LIKE_SQL])} LIMIT ${SHORT_HITS + 1}`,
      )
        .pluck()
        .all(params) as number[];
      if (hits.length <= SHORT_HITS) {
        const from = 'FROM json_each(@rids) j CROSS JOIN licenses l ON l.rid = j.value';
        const rows =
          hits.length > f.offset ? stmt(pageOf(from, '')).all({ rids: JSON.stringify(hits), ...page }) : [];
        return { rows: rows as LicenseRecord[], total: hits.length };
      }
      const total = stmt(`SELECT COUNT(*) AS n FROM licenses l ${where([...filters, LIKE_SQL])}`).get(
        params,
      ) as {
        n: number;
      };
      return { rows: total.n > f.offset ? scanRows() : [], total: total.n };
    }

    // Key-shaped terms are probed with their tail (the random part); other terms with their rarest trigrams when
    // the phrase would also read doclists of trigrams found in most rows.
    const long = chars.length > FTS_PROBE_CHARS && KEY_TAIL.test(term);
    const nonAsciiCase = chars.some((c) => c > '\x7f' && c.toLowerCase() !== c.toUpperCase());
    // Candidates re-checked in memory (see `indexed`): a looser probe, fewer trigram counts (see rareProbe).
    const inMemory = filters.length === 0 && !nonAsciiCase && mirrorable(term) && mirror.enabled;
    let rare = long ? null : rareProbe(chars, dfOf, maxRid.get() as number, inMemory);
    if (rare && nonAsciiCase) {
      // The LIKE re-check folds ASCII case only, the phrase folds Unicode case: a term with a non-ASCII cased
      // letter (`MÜLLER`) keeps the phrase so that it matches `Müller` as before. Every phrase match is a probe
      // candidate, so no candidates still proves a miss cheaply.
      if ((stmt(PROBE_COUNT).pluck().get({ match: rare }) as number) === 0) return { rows: [], total: 0 };
      rare = null;
    }
    const match = rare ?? ftsPhrase(long ? chars.slice(-FTS_PROBE_CHARS).join('') : term);
    return indexed('licenses_fts', match, Boolean(long || rare));
  });
  return Object.assign((f: LicenseListFilter) => list(f), { mirror });
}

/**
 * Document count of one trigram, capped at DF_CAP, cached. The cache is dropped when the table has grown or shrunk
 * by a tenth since it was filled (counts only steer the plan) and when it holds too many trigrams.
 */
function trigramCounter(db: Db, rows: () => number) {
  const count = db
    .prepare(`SELECT COUNT(*) FROM (SELECT 1 FROM licenses_fts WHERE licenses_fts MATCH ? LIMIT ${DF_CAP})`)
    .pluck();
  const cache = new Map<string, number>();
  let filledAt = -1;
  return (trigram: string): number => {
    const n = rows();
    if (cache.size > 50_000 || Math.abs(n - filledAt) > filledAt / 10) {
      cache.clear();
      filledAt = n;
    }
    const key = trigram.toLowerCase();
    let df = cache.get(key);
    if (df === undefined) {
      df = count.get(ftsPhrase(key)) as number;
      cache.set(key, df);
    }
    return df;
  };
}

/**
 * The FTS query for a rare-trigram probe of `chars`, or null when the whole phrase is the better plan: when no
 * trigram is common (the phrase reads only short doclists) or none is rare enough to re-check its rows.
 * "Common" is DF_CAP rows, or a quarter of the table for small tables.
 *
 * `inMemory`: the candidates will be re-checked against the in-process mirror (~0.2 µs each instead of a rowid
 * seek), so a looser probe is fine and counting trigrams is what a new term pays (~1-3 ms per trigram of ~10,000
 * rows, ~10 of them for a 28-character phrase): count from each end only up to the first rare trigram and probe
 * with those two, also when every trigram is rare (`Enterprise`: the phrase reads 8 doclists of 10,000 rows with
 * positions, ~11 ms; the probe ~3 ms).
 */
export function rareProbe(
  chars: string[],
  dfOf: (trigram: string) => number,
  rows?: number,
  inMemory = false,
): string | null {
  if (chars.length < 6) return null;
  // Every third trigram and the last: they cover the term, and counting all of them would triple the look-ups
  // a new term costs before the cache knows its trigrams.
  const starts = new Set<number>();
  for (let i = 0; i + 3 <= chars.length; i += 3) starts.add(i);
  starts.add(chars.length - 3);
  const common = Math.min(DF_CAP, Math.max(1, Math.floor((rows ?? Infinity) / 4)));
  const trigram = (i: number) => chars.slice(i, i + 3).join('');
  if (inMemory) {
    const rareAt = (i: number) => dfOf(trigram(i)) < common;
    const left = [...starts].find(rareAt);
    if (left === undefined) return null;
    const right = [...starts].reverse().find(rareAt)!;
    return [...new Set([trigram(left), trigram(right)])].map(ftsPhrase).join(' AND ');
  }
  const counted = [...starts].map((i) => ({ text: trigram(i), df: dfOf(trigram(i)) }));
  const rare = counted.filter((g) => g.df < common);
  if (rare.length === 0 || rare.length === counted.length) return null;
  // The rarest trigram, and the leftmost and rightmost rare ones: neighbours come from the same word and match
  // the same rows (`Mon` AND `thl`), while the ends of a phrase rarely meet by chance (`Mon` AND `ski`).
  const rarest = rare.reduce((a, b) => (b.df < a.df ? b : a));
  const picks = new Set([rarest.text, rare[0]!.text, rare.at(-1)!.text]);
  return [...picks].map(ftsPhrase).join(' AND ');
}
