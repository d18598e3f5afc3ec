import type { LicenseListFilter, LicenseRecord } from '../licenses-repo.js';
import type { PgDb } from './db.js';

/** ASCII-only lowercase, as SQLite's LIKE folds case (and outpost_ascii_lower in SQL). */
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

/** LIKE pattern matching `term` literally: `\`, `%` and `_` are escaped (used with ESCAPE '\'). */
export function likeLiteral(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The search predicate: a literal substring of license_key or description, case folded as SQLite does: ASCII only
 * (its LIKE). The column expressions are those of the pg_trgm GIN indexes of migration 5, so a term of 3+
 * characters is a BitmapOr of two index scans re-checked by PostgreSQL; shorter terms have no trigram and scan.
 */
const SEARCH_SQL = (p: string) =>
  `(outpost_ascii_lower(l.license_key) LIKE ${p} ESCAPE '\\' OR outpost_ascii_lower(l.description) LIKE ${p} ESCAPE '\\')`;

/**
 * A 3+ character term with a non-ASCII cased letter folds Unicode case too: SQLite answers those from its
 * trigram index, which does (`MÜLLER` finds `Müller`). ILIKE under the database's collation does that here;
 * such terms are rare and scan (the trigram indexes are keyed by the ASCII-folded, "C"-collated text).
 */
const UNICODE_SEARCH_SQL = (p: string) =>
  `(l.license_key ILIKE ${p} ESCAPE '\\' OR l.description ILIKE ${p} ESCAPE '\\')`;

/** A term SQLite compares with Unicode case folding (see SEARCH_SQL). */
const unicodeFolded = (term: string) => {
  const chars = [...term];
  return chars.length >= 3 && chars.some((c) => c > '\x7f' && c.toLowerCase() !== c.toUpperCase());
};

/**
 * `GET /api/licenses` on PostgreSQL: COUNT and the page in one REPEATABLE READ read-only transaction (one
 * snapshot, as SQLite's read transaction). NULL expires_at sorts first ascending and last descending, as in
 * SQLite; rid breaks ties in creation order.
 */
export function pgLicenseLister(db: PgDb, select: string) {
  return async (f: LicenseListFilter): Promise<{ rows: LicenseRecord[]; total: number }> => {
    const term = f.search ?? '';
    // Nothing stored in PostgreSQL text can contain NUL, so a term with NUL matches nothing (and must not be
    // sent: the server refuses NUL in a text parameter).
    if (term.includes('\0')) return { rows: [], total: 0 };
    const filters: string[] = [];
    const values: unknown[] = [];
    const param = (v: unknown) => {
      values.push(v);
      return `$${values.length}`;
    };
    if (f.status === 'expired') {
      filters.push(
        `(l.status = 'expired' OR (l.status IN ('active','activated') AND l.expires_at <= ${param(f.now)}))`,
      );
    } else if (f.status === 'active' || f.status === 'activated') {
      const s = param(f.status);
      filters.push(`l.status = ${s} AND (l.expires_at IS NULL OR l.expires_at > ${param(f.now)})`);
    } else if (f.status) {
      filters.push(`l.status = ${param(f.status)}`);
    }
    if (f.user_id) filters.push(`l.user_id = ${param(f.user_id)}`);
    if (term.length > 0) {
      filters.push(
        unicodeFolded(term)
          ? UNICODE_SEARCH_SQL(param(likeLiteral(term)))
          : SEARCH_SQL(param(likeLiteral(asciiLower(term)))),
      );
    }
    const where = filters.length ? `WHERE ${filters.join(' AND ')}` : '';
    const dir = f.order === 'asc' ? 'ASC NULLS FIRST' : 'DESC NULLS LAST';
    const ridDir = f.order === 'asc' ? 'ASC' : 'DESC';
    const countSql = `SELECT count(*) AS n FROM licenses l ${where}`;
    const pageSql = `${select} ${where} ORDER BY l.${f.sort} ${dir}, l.rid ${ridDir}
      LIMIT ${param(f.limit)} OFFSET ${param(f.offset)}`;
    return db.tx(async (q) => {
      await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const total = (await q.query<{ n: number }>(countSql, values.slice(0, values.length - 2)))[0]!.n;
      const rows = total > f.offset ? await q.query<LicenseRecord>(pageSql, values) : [];
      return { rows, total };
    });
  };
}
