import type { LicenseListFilter, LicenseRecord } from '../licenses-repo.js';
import type { QueryResultRow } from 'pg';
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
/** Terms without a usable trigram: matches collected by one scan before falling back to COUNT + index walk. */
const SHORT_HITS = 2000;
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

/**
 * Start offsets of the trigrams of `low` (ASCII-lowercased) made of ASCII letters and digits only: pg_trgm
 * extracts exactly those from a LIKE pattern whatever the database's locale (it splits words at other
 * characters, and whether `ü` is a word character depends on the ctype).
 */
export function wordTrigramStarts(low: string): number[] {
  const starts: number[] = [];
  for (let i = 0; i + 3 <= low.length; i++) {
    if (
      isWordChar(low.charCodeAt(i)) &&
      isWordChar(low.charCodeAt(i + 1)) &&
      isWordChar(low.charCodeAt(i + 2))
    ) {
      starts.push(i);
    }
  }
  return starts;
}

/**
 * The LIKE pattern that probes license_search's trigram index for `low` (the ASCII-lowercased term), or null when
 * no trigram of it is rare enough to narrow the rows down (or it has none). A GIN search reads the posting list
 * of every trigram of its pattern, and a whole key's `pro`, `rog`, … or a phrase's `lic`, `for` are in every
 * row; so, as SQLite's search does, the probe keeps the rarest, the leftmost rare and the rightmost rare
 * trigrams, in term order, overlapping ones merged (`%84c%3jz%`). Every row holding the term matches the probe;
 * the caller re-checks the term itself. `df` estimates a trigram's rows; a wrong estimate picks a slower probe,
 * never a different result.
 */
export function probePattern(low: string, df: (trigram: string) => number, rows: number): string | null {
  const starts = wordTrigramStarts(low);
  const common = Math.max(1, Math.min(DF_CAP, Math.floor(rows / 4)));
  const rare = starts.map((i) => ({ i, df: df(low.slice(i, i + 3)) })).filter((g) => g.df < common);
  if (rare.length === 0) return null;
  const rarest = rare.reduce((a, b) => (b.df < a.df ? b : a));
  const picks = [...new Set([rare[0]!.i, rarest.i, rare.at(-1)!.i])].sort((a, b) => a - b);
  const segments: Array<[number, number]> = [];
  for (const p of picks) {
    const last = segments.at(-1);
    if (last && p < last[1]) last[1] = p + 3;
    else segments.push([p, p + 3]);
  }
  // Letters and digits only: nothing to escape.
  return `%${segments.map(([a, b]) => low.slice(a, b)).join('%')}%`;
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
      for (const i of wordTrigramStarts(doc)) seen.add(doc.slice(i, i + 3));
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
 * One REPEATABLE READ read-only transaction per call: totals and page from one snapshot. The page's rids come
 * from the narrowest query, then the full rows (user join, seat count) for those only.
 * - Order: `created_at`/`updated_at` are NOT NULL, so their ORDER BY matches their (column, rid) index as is;
 *   NULL expires_at sorts first ascending and last descending as in SQLite, which migration 8's NULLS FIRST
 *   index serves. rid breaks ties in creation order.
 * - Totals without search or user filter come from license_status_counts (migration 8), not a count over the
 *   table (see statusTotal).
 * - Search, a literal substring of license_key or description (`%`, `_`, `\` are plain characters), ASCII case
 *   folded as SQLite's LIKE: candidates from license_search's trigram index probed with the term's rare
 *   trigrams only (probePattern), re-checked with strpos on the narrow doc; terms with no rare trigram (1-2
 *   characters, `license for`) scan doc. Terms SQLite folds by Unicode (unicodeFolded) or that hold the doc
 *   separator are re-checked on the licenses columns instead.
 * - The page, as in SQLite: many matches → walk the sort index and test each row, stopping after one page;
 *   few → sort the matches, materialized first so that the planner cannot pick the walk for them.
 * A term with NUL matches nothing: no PostgreSQL text holds NUL, and the server refuses NUL in a parameter.
 */
export function pgLicenseLister(db: PgDb, select: string, opts: { scanBudget?: number } = {}) {
  const scanBudget = opts.scanBudget ?? SCAN_BUDGET;
  const sample = new TrigramSample();
  let tableRows: number | undefined;
  return async (f: LicenseListFilter): Promise<{ rows: LicenseRecord[]; total: number }> => {
    const term = f.search ?? '';
    if (term.includes('\0')) return { rows: [], total: 0 };
    return db.tx(async (q) => {
      await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      // The table's size steers the plan (probe threshold, walk or sort). Each count below also reads it from
      // the counters, in the same statement; until the first count the last one seen is good enough, and only
      // an instance's first search reads it apart.
      tableRows ??= (await q.query<{ r: number }>(`SELECT ${TABLE_ROWS} AS r`))[0]!.r;
      let rowsInTable: number = tableRows;

      const named: Record<string, unknown> = { now: f.now, status: f.status, user_id: f.user_id };
      const filters: string[] = [];
      if (f.status === 'expired') {
        filters.push(
          `(l.status = 'expired' OR (l.status IN ('active','activated') AND l.expires_at <= @now))`,
        );
      } else if (f.status === 'active' || f.status === 'activated') {
        filters.push('l.status = @status AND (l.expires_at IS NULL OR l.expires_at > @now)');
      } else if (f.status) {
        filters.push('l.status = @status');
      }
      if (f.user_id) filters.push('l.user_id = @user_id');

      const run = <R extends QueryResultRow>(text: string, extra: Record<string, unknown> = {}) =>
        q.query<R>(...bind(text, { ...named, ...extra, limit: f.limit, offset: f.offset }));
      // A count, with the number of licenses from the counters (same snapshot, no extra round trip).
      const count = async (text: string, extra?: Record<string, unknown>) => {
        const r = (await run<{ n: number; r: number }>(text, extra))[0]!;
        tableRows = rowsInTable = r.r;
        return r.n;
      };
      const where = (parts: string[]) => (parts.length ? `WHERE ${parts.join(' AND ')}` : '');
      const dir = f.order === 'asc' ? 'ASC' : 'DESC';
      const nulls = f.sort === 'expires_at' ? (f.order === 'asc' ? ' NULLS FIRST' : ' NULLS LAST') : '';
      const orderBy = `ORDER BY l.${f.sort} ${dir}${nulls}, l.rid ${dir}`;
      const page = (rids: string, extra?: Record<string, unknown>) =>
        run<LicenseRecord>(`${select} WHERE l.rid = ANY(ARRAY(${rids})) ${orderBy}`, extra);
      // Many matches: walk the sort index, testing each row, until one page.
      const walk = (conds: string[]) =>
        page(`SELECT l.rid FROM licenses l ${where(conds)} ${orderBy} LIMIT @limit OFFSET @offset`);
      // Few matches: collect them with their sort key, then sort.
      const sorted = (conds: string[], extra?: Record<string, unknown>) =>
        page(
          `WITH m AS MATERIALIZED (SELECT l.rid, l.${f.sort} AS k FROM licenses l ${where(conds)})
           SELECT rid FROM m ORDER BY k ${dir}${nulls}, rid ${dir} LIMIT @limit OFFSET @offset`,
          extra,
        );
      // Walking the sort index reads about (offset + limit) / density rows for one page.
      const walkPays = (total: number) => ((f.offset + f.limit) * rowsInTable) / total <= scanBudget;

      if (term.length === 0) {
        const total = f.user_id
          ? await count(`SELECT count(*) AS n, ${TABLE_ROWS} AS r FROM licenses l ${where(filters)}`)
          : await count(statusTotal(f));
        if (total <= f.offset) return { rows: [], total };
        const rows = filters.length === 0 || walkPays(total) ? await walk(filters) : await sorted(filters);
        return { rows, total };
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
      if (wordTrigramStarts(low).length > 0) await sample.ensure(q, rowsInTable);
      const probe = probePattern(low, (t) => sample.df(t, rowsInTable), rowsInTable);
      named.probe = probe;
      const candidateConds = [
        ...(probe ? ['s.doc LIKE @probe'] : []),
        ...(docDecides ? ['strpos(s.doc, @low) > 0'] : []),
      ];
      const candidates = `SELECT s.rid FROM license_search s ${where(candidateConds)}`;
      // Where the matching rows come from: the candidates from doc (an array of rids, so that licenses is read
      // by rid for them, never scanned with the re-check), with the filters and the re-checks doc cannot make;
      // or licenses alone.
      const source =
        candidateConds.length > 0
          ? [`l.rid = ANY(ARRAY(${candidates}))`, ...filters, ...(docDecides ? [] : [exact])]
          : [...filters, exact];

      let total: number;
      if (docDecides && filters.length === 0) {
        if (!probe) {
          // No trigram to probe with: one scan of doc collects up to SHORT_HITS matches; with that few they are
          // the total and the page is sorted from them (a walk of the sort index would read the table again).
          const hits = (await run<{ rid: number }>(`${candidates} LIMIT ${SHORT_HITS + 1}`)).map(
            (r) => r.rid,
          );
          if (hits.length <= SHORT_HITS) {
            if (hits.length <= f.offset) return { rows: [], total: hits.length };
            const rows = await sorted(['l.rid = ANY(@hits::bigint[])'], { hits });
            return { rows, total: hits.length };
          }
        }
        total = await count(`SELECT count(*) AS n, ${TABLE_ROWS} AS r FROM (${candidates}) c`);
      } else {
        total = await count(`SELECT count(*) AS n, ${TABLE_ROWS} AS r FROM licenses l ${where(source)}`);
      }
      if (total <= f.offset) return { rows: [], total };
      const rows = walkPays(total) ? await walk([...filters, exact]) : await sorted(source);
      return { rows, total };
    });
  };
}

/** The number of licenses, from the counters of migration 8. */
const TABLE_ROWS = '(SELECT coalesce(sum(n), 0)::bigint FROM license_status_counts)';

/**
 * The statement for the total of an unfiltered or status-filtered list (as `n`, with the table's size as `r`),
 * from license_status_counts instead of a count over the table. `active` and `activated` licenses past
 * expires_at are `expired` when read (the stored status is not rewritten), so they move between the two totals
 * here; the (status, expires_at) index counts them without reading the others.
 */
function statusTotal(f: LicenseListFilter): string {
  const stored = (statuses: string) =>
    `(SELECT coalesce(sum(n), 0)::bigint FROM license_status_counts WHERE status = ANY(${statuses}))`;
  const lapsed = (statuses: string) =>
    `(SELECT count(*) FROM licenses WHERE status = ANY(${statuses}) AND expires_at <= @now)`;
  const text = (n: string) => `SELECT ${n} AS n, ${TABLE_ROWS} AS r`;
  if (!f.status) return text(TABLE_ROWS);
  if (f.status === 'expired') {
    return text(`${stored(`'{expired}'`)} + ${lapsed(`'{active,activated}'`)}`);
  }
  if (f.status === 'active' || f.status === 'activated') {
    return text(`${stored('ARRAY[@status]')} - ${lapsed('ARRAY[@status]')}`);
  }
  return text(stored('ARRAY[@status]'));
}
