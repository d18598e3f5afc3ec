import type { LicenseListFilter, LicenseRecord } from '../licenses-repo.js';
import type { PgDb, Queryable } from './db.js';

/** ASCII-only lowercase, as SQLite's LIKE folds case (and outpost_ascii_lower in SQL). */
export const asciiLower = (s: string) =>
  s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

/** LIKE pattern matching `term` literally: `\`, `%` and `_` are escaped (used with ESCAPE '\'). */
export function likeLiteral(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Between license_key and description in license_search.doc (migration 8): a term holding it is checked apart. */
const DOC_SEPARATOR = '\x1f';
/** Rows a walk of the sort index may read for one page before sorting the matches is the cheaper plan. */
const SCAN_BUDGET = 5000;
/** A trigram in this many rows (or a quarter of a small table) is too common to probe the index with. */
const DF_CAP = 12_000;
/** Documents read to estimate how many rows hold each trigram. */
const SAMPLE_DOCS = 2000;

/**
 * A term SQLite compares with Unicode case folding: 3+ characters with a non-ASCII cased letter (SQLite answers
 * those from its trigram index, which folds Unicode case: `MÜLLER` finds `Müller`). Here ILIKE under the
 * database's ctype does that.
 */
export const unicodeFolded = (term: string) => {
  const chars = [...term];
  return chars.length >= 3 && chars.some((c) => c > '\x7f' && c.toLowerCase() !== c.toUpperCase());
};

const isWordChar = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);

/** ASCII, not a letter or digit: a word boundary for pg_trgm in every locale (`ü` is a word character or not). */
const isAsciiNonWord = (c: number) => c < 0x80 && !isWordChar(c);

/** One pg_trgm trigram of a text, with the span of the text that shows it to pg_trgm (its boundary included). */
export interface SpannedTrigram {
  text: string;
  from: number;
  to: number;
}

/**
 * The trigrams pg_trgm extracts from `s` (ASCII-lowercased) that this code can predict in any locale: words are
 * runs of ASCII letters and digits; inside a word every trigram; at a boundary it is sure of (an ASCII character
 * that is no letter or digit) the padded ones pg_trgm adds: `  0` and ` 0x` at a word's start, `xy ` at its end.
 * `edges`: whether the text's own start and end are word boundaries (true for a stored document, false for a
 * search term, which continues unknown on both sides). A word next to a non-ASCII character gets no padded
 * trigram on that side.
 */
export function spannedTrigrams(s: string, edges: boolean): SpannedTrigram[] {
  const out: SpannedTrigram[] = [];
  const boundary = (k: number) => (k < 0 || k >= s.length ? edges : isAsciiNonWord(s.charCodeAt(k)));
  for (let i = 0; i < s.length;) {
    if (!isWordChar(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && isWordChar(s.charCodeAt(j))) j++;
    if (boundary(i - 1)) {
      out.push({ text: `  ${s[i]}`, from: Math.max(0, i - 1), to: i + 1 });
      if (j - i >= 2) out.push({ text: ` ${s.slice(i, i + 2)}`, from: Math.max(0, i - 1), to: i + 2 });
    }
    for (let k = i; k + 3 <= j; k++) out.push({ text: s.slice(k, k + 3), from: k, to: k + 3 });
    if (j - i >= 2 && boundary(j))
      out.push({ text: `${s.slice(j - 2, j)} `, from: j - 2, to: Math.min(s.length, j + 1) });
    i = j;
  }
  return out;
}

/**
 * The LIKE pattern that probes license_search's trigram index for `low` (the ASCII-lowercased term), or null when
 * no trigram of it is rare enough to narrow the rows down (or it has none). A GIN search reads the posting list
 * of every trigram of its pattern, and a whole key's `pro`, `rog`, … or a phrase's `lic`, `for` are in every
 * row; so, as SQLite's search does, the probe keeps the rarest, the leftmost rare and the rightmost rare
 * trigrams, in term order, overlapping spans merged (`%84cfy%3jz%`; `#0` keeps its `#`, which tells pg_trgm
 * that a word starts with 0). Every row holding the term matches the probe; the caller re-checks the term
 * itself. `df` estimates a trigram's rows; a wrong estimate picks a slower probe, never a different result.
 */
export function probePattern(low: string, df: (trigram: string) => number, rows: number): string | null {
  const common = Math.max(1, Math.min(DF_CAP, Math.floor(rows / 4)));
  const rare = spannedTrigrams(low, false)
    .map((g) => ({ ...g, df: df(g.text) }))
    .filter((g) => g.df < common);
  if (rare.length === 0) return null;
  const rarest = rare.reduce((a, b) => (b.df < a.df ? b : a));
  const rightmost = rare.reduce((a, b) => (b.to > a.to ? b : a));
  const picks = [...new Set([rare[0]!, rarest, rightmost])].sort((a, b) => a.from - b.from || a.to - b.to);
  const segments: Array<[number, number]> = [];
  for (const p of picks) {
    const last = segments.at(-1);
    if (last && p.from < last[1]) last[1] = Math.max(last[1], p.to);
    else segments.push([p.from, p.to]);
  }
  const escape = (x: string) => x.replace(/[\\%_]/g, (c) => `\\${c}`);
  return `%${segments.map(([a, b]) => escape(low.slice(a, b))).join('%')}%`;
}

/**
 * Estimated rows per word trigram, from a sample of license_search documents (all of them in a small table),
 * taken again when the table has grown or shrunk by a tenth. Per instance; it only steers the probe.
 */
class TrigramSample {
  private counts = new Map<string, number>();
  private docs = 0;
  private sampledAt = -1;
  private refreshing: Promise<void> | undefined;

  async ensure(q: Queryable, rows: number): Promise<void> {
    if (this.sampledAt >= 0 && Math.abs(rows - this.sampledAt) <= this.sampledAt / 10) return;
    this.refreshing ??= this.take(q, rows).finally(() => (this.refreshing = undefined));
    await this.refreshing;
  }

  df(trigram: string, rows: number): number {
    return this.docs === 0 ? 0 : ((this.counts.get(trigram) ?? 0) * rows) / this.docs;
  }

  private async take(q: Queryable, rows: number): Promise<void> {
    let docs: Array<{ doc: string }>;
    if (rows <= SAMPLE_DOCS * 2) {
      docs = await q.query<{ doc: string }>('SELECT doc FROM license_search');
    } else {
      const max = (await q.query<{ m: number }>('SELECT max(rid) AS m FROM license_search'))[0]!.m;
      const rids = Array.from({ length: SAMPLE_DOCS }, () => 1 + Math.floor(Math.random() * max));
      docs = await q.query<{ doc: string }>('SELECT doc FROM license_search WHERE rid = ANY($1::bigint[])', [
        rids,
      ]);
    }
    const counts = new Map<string, number>();
    for (const { doc } of docs) {
      const seen = new Set<string>();
      for (const g of spannedTrigrams(doc, true)) seen.add(g.text);
      for (const t of seen) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    this.counts = counts;
    this.docs = docs.length;
    this.sampledAt = rows;
  }
}

/**
 * `@name` placeholders to `$n` with the values of the names the text uses (PostgreSQL refuses a parameter that
 * its statement does not use: it cannot infer its type).
 */
export function bind(text: string, named: Record<string, unknown>): [string, unknown[]] {
  const values: unknown[] = [];
  const index = new Map<string, number>();
  const out = text.replace(/@(\w+)/g, (_, name: string) => {
    if (!(name in named)) throw new Error(`no value for @${name}`);
    let i = index.get(name);
    if (i === undefined) {
      values.push(named[name]);
      i = values.length;
      index.set(name, i);
    }
    return `$${i}`;
  });
  return [out, values];
}

/**
 * `GET /api/licenses` on PostgreSQL, with SQLite's answers (same rows, order and totals) at 100,000 licenses.
 *
 * One statement per call: the total, the choice of plan for the page, the page's rids and its full rows (user
 * join, seat count) in one round trip and one snapshot. Under load every round trip waits for a backend to be
 * scheduled, and a read-only transaction of five statements cost more than the work itself.
 * - Order: `created_at`/`updated_at` are NOT NULL, so their ORDER BY matches their (column, rid) index as is;
 *   NULL expires_at sorts first ascending and last descending as in SQLite, which migration 8's NULLS FIRST
 *   index serves. rid breaks ties in creation order.
 * - Totals without search or user filter come from license_status_counts (migration 8), not a count over the
 *   table (see statusTotal).
 * - Search, a literal substring of license_key or description (`%`, `_`, `\` are plain characters), ASCII case
 *   folded as SQLite's LIKE: candidates from license_search's trigram index probed with the term's rare
 *   trigrams only (probePattern), re-checked with strpos on the narrow doc; terms with no rare trigram (1-2
 *   characters, `license for`) scan doc. Terms SQLite folds by Unicode (unicodeFolded) or that hold the doc
 *   separator are re-checked on the licenses columns instead. The matches are materialized once, for the total
 *   and, when few, the page.
 * - The page, as in SQLite: many matches → walk the sort index and test each row, stopping after one page;
 *   few → sort the matches. A CASE on the total picks one; PostgreSQL runs only the subquery it picks.
 * A term with NUL matches nothing: no PostgreSQL text holds NUL, and the server refuses NUL in a parameter.
 */
export function pgLicenseLister(db: PgDb, select: string, opts: { scanBudget?: number } = {}) {
  const scanBudget = opts.scanBudget ?? SCAN_BUDGET;
  const sample = new TrigramSample();
  // The table's size, for the probe's "common" threshold: each call reads it anew in its statement; the last
  // one seen is good enough to plan the next.
  let tableRows: number | undefined;
  // The full row of the page, with rid to order ties.
  const selectWithRid = select.replace(/^\s*SELECT\s/i, 'SELECT l.rid AS page_rid, ');

  return async (f: LicenseListFilter): Promise<{ rows: LicenseRecord[]; total: number }> => {
    const term = f.search ?? '';
    if (term.includes('\0')) return { rows: [], total: 0 };

    const named: Record<string, unknown> = {
      now: f.now,
      status: f.status,
      user_id: f.user_id,
      limit: f.limit,
      offset: f.offset,
      budget: scanBudget,
    };
    const filters: string[] = [];
    if (f.status === 'expired') {
      filters.push(`(l.status = 'expired' OR (l.status IN ('active','activated') AND l.expires_at <= @now))`);
    } else if (f.status === 'active' || f.status === 'activated') {
      filters.push('l.status = @status AND (l.expires_at IS NULL OR l.expires_at > @now)');
    } else if (f.status) {
      filters.push('l.status = @status');
    }
    if (f.user_id) filters.push('l.user_id = @user_id');
    const where = (parts: string[]) => (parts.length ? `WHERE ${parts.join(' AND ')}` : '');
    const dir = f.order === 'asc' ? 'ASC' : 'DESC';
    const nulls = f.sort === 'expires_at' ? (f.order === 'asc' ? ' NULLS FIRST' : ' NULLS LAST') : '';
    const orderBy = (k: string, rid: string) => `ORDER BY ${k} ${dir}${nulls}, ${rid} ${dir}`;
    // Many matches: walk the sort index, testing each row, until one page.
    const walk = (conds: string[]) =>
      `SELECT l.rid FROM licenses l ${where(conds)} ${orderBy(`l.${f.sort}`, 'l.rid')} LIMIT @limit::bigint OFFSET @offset::bigint`;
    // Few matches: collect them with their sort key, then sort.
    const sorted = (conds: string[]) =>
      `SELECT x.rid FROM (SELECT l.rid, l.${f.sort} AS k FROM licenses l ${where(conds)}) x
       ${orderBy('x.k', 'x.rid')} LIMIT @limit::bigint OFFSET @offset::bigint`;

    /** The statement: `ctes` (may define `m`), the total `total`, then the page by `walkSql` or `sortedSql`. */
    const run = async (ctes: string[], total: string, walkSql: string, sortedSql: string) => {
      const text = `WITH ${[
        ...ctes,
        `t AS MATERIALIZED (SELECT (${total}) AS n, ${TABLE_ROWS} AS r)`,
        `page AS MATERIALIZED (SELECT CASE WHEN t.n <= @offset::bigint THEN '{}'::bigint[]
           WHEN (@offset::bigint + @limit::bigint)::float8 * t.r <= @budget::float8 * t.n THEN ARRAY(${walkSql})
           ELSE ARRAY(${sortedSql}) END AS rids FROM t)`,
      ].join(',\n')}
        SELECT t.n AS page_total, t.r AS page_rows, p.* FROM t LEFT JOIN (
          ${selectWithRid} WHERE l.rid = ANY((SELECT rids FROM page)::bigint[])
        ) p ON true ${orderBy(`p.${f.sort}`, 'p.page_rid')}`;
      const out = await db.query<
        LicenseRecord & { page_total: number; page_rows: number; page_rid: number | null }
      >(...bind(text, named));
      tableRows = out[0]!.page_rows;
      const rows = out
        .filter((r) => r.page_rid !== null)
        .map(({ page_total: _t, page_rows: _r, page_rid: _rid, ...row }) => row as LicenseRecord);
      return { rows, total: out[0]!.page_total };
    };

    if (term.length === 0) {
      const total = f.user_id ? `SELECT count(*) FROM licenses l ${where(filters)}` : statusTotal(f);
      return run([], total, walk(filters), sorted(filters));
    }

    const unicode = unicodeFolded(term);
    const low = asciiLower(term);
    named.low = low;
    named.like = likeLiteral(term);
    // The literal substring test on the licenses columns (the walk, and terms that doc cannot decide).
    const exact = unicode
      ? `(l.license_key ILIKE @like ESCAPE '\\' OR l.description ILIKE @like ESCAPE '\\')`
      : '(strpos(outpost_ascii_lower(l.license_key), @low) > 0 OR strpos(outpost_ascii_lower(l.description), @low) > 0)';
    const docDecides = !unicode && !term.includes(DOC_SEPARATOR);
    tableRows ??= (await db.query<{ r: number }>(`SELECT ${TABLE_ROWS} AS r`))[0]!.r;
    const rows = tableRows;
    if (spannedTrigrams(low, false).length > 0) await sample.ensure(db, rows);
    const probe = probePattern(low, (t) => sample.df(t, rows), rows);
    named.probe = probe;
    const candidateConds = [
      ...(probe ? ['s.doc LIKE @probe'] : []),
      ...(docDecides ? ['strpos(s.doc, @low) > 0'] : []),
    ];
    if (candidateConds.length === 0) {
      // Nothing doc can narrow down: the licenses columns decide, row by row.
      const conds = [...filters, exact];
      return run([], `SELECT count(*) FROM licenses l ${where(conds)}`, walk(conds), sorted(conds));
    }
    // The candidates from doc (exactly the matches when doc decides), read from licenses by rid (an array, so
    // that the planner never scans licenses with the re-check instead), with the filters and the re-checks doc
    // cannot make.
    const m = `m AS MATERIALIZED (SELECT s.rid FROM license_search s ${where(candidateConds)})`;
    const fromM = ['l.rid = ANY(ARRAY(SELECT rid FROM m))', ...filters, ...(docDecides ? [] : [exact])];
    const total =
      docDecides && filters.length === 0
        ? 'SELECT count(*) FROM m'
        : `SELECT count(*) FROM licenses l ${where(fromM)}`;
    return run([m], total, walk([...filters, exact]), sorted(fromM));
  };
}

/** The number of licenses, from the counters of migration 8. */
const TABLE_ROWS = '(SELECT coalesce(sum(n), 0)::bigint FROM license_status_counts)';

/**
 * The total of an unfiltered or status-filtered list, from license_status_counts instead of a count over the
 * table. `active` and `activated` licenses past expires_at are `expired` when read (the stored status is not
 * rewritten), so they move between the two totals here; the (status, expires_at) index counts them without
 * reading the others.
 */
function statusTotal(f: LicenseListFilter): string {
  const stored = (statuses: string) =>
    `(SELECT coalesce(sum(n), 0)::bigint FROM license_status_counts WHERE status = ANY(${statuses}))`;
  const lapsed = (statuses: string) =>
    `(SELECT count(*) FROM licenses WHERE status = ANY(${statuses}) AND expires_at <= @now)`;
  if (!f.status) return `SELECT ${TABLE_ROWS}`;
  if (f.status === 'expired') return `SELECT ${stored(`'{expired}'`)} + ${lapsed(`'{active,activated}'`)}`;
  if (f.status === 'active' || f.status === 'activated') {
    return `SELECT ${stored('ARRAY[@status]')} - ${lapsed('ARRAY[@status]')}`;
  }
  return `SELECT ${stored('ARRAY[@status]')}`;
}
