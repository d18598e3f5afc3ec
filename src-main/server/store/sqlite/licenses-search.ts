import type { Migration } from './db.js';

/**
 * SQL for the gram tokens of one text value `x`: for every character, the hex of it and its successor (a bigram;
 * the last character alone), ASCII-lowercased as LIKE folds case, space-separated. Pure SQL so that triggers work
 * for every connection (no application function): json_each over `[0,0,…]` numbers the characters (triggers
 * cannot use a CTE), `substr` counts characters, `hex` gives the UTF-8 bytes. NULL for NULL. Also used by
 * migration 7 (licenses-mirror.ts), which recreates the triggers below with a change log.
 */
export const gramsOf = (x: string) =>
  `(SELECT group_concat(hex(lower(substr(${x}, j.key + 1, 2))), ' ')
     FROM json_each('[' || substr(replace(hex(zeroblob(length(${x}))), '00', '0,'), 1, 2 * length(${x}) - 1) || ']') j)`;

/**
 * Licenses search, second step (version 6):
 * - `licenses_grams`: a contentless FTS5 index (rowids only, `detail=none`) of the 1-2 character substrings of
 *   license_key and description. The trigram index cannot serve a 1-2 character term (`#0`), which was a LIKE scan
 *   of the whole table; here a 2-character term is one token (the hex of its two characters, lowercased) and a
 *   1-character term a prefix query (every occurrence of a character starts a bigram or is the last character).
 *   Exact for LIKE semantics (ASCII case folding), so COUNT needs no re-check. Kept by triggers like licenses_fts;
 *   a contentless table deletes with the original tokens, recomputed from the old row.
 * - `licenses_text`: (rid, license_key, description), a narrow copy kept by the same triggers, which the LIKE
 *   re-check of FTS candidates reads instead of the table rows. Re-checking the 10,000 candidates of a phrase
 *   (`Annual license for Smith`) costs one rowid seek each; in the full rows (~5,500 pages at 100,000 licenses)
 *   that was ~20 ms, here (~2,600 pages, rowid-only interior pages) ~8 ms. A covering index on licenses
 *   (rid, license_key, description) was measured at ~9.5 ms: its interior pages hold whole keys, so it is deeper.
 */
export const licensesSearchMigration: Migration = {
  version: 6,
  name: 'licenses: 1-2 character search index, narrow text copy for search re-checks',
  up: `
    CREATE VIRTUAL TABLE licenses_grams USING fts5(
      license_key, description, content='', detail='none', tokenize='ascii'
    );
    INSERT INTO licenses_grams (rowid, license_key, description)
      SELECT l.rid, ${gramsOf('l.license_key')}, ${gramsOf('l.description')} FROM licenses l;
    CREATE TABLE licenses_text (rid INTEGER PRIMARY KEY, license_key TEXT NOT NULL, description TEXT);
    INSERT INTO licenses_text (rid, license_key, description) SELECT rid, license_key, description FROM licenses;
    CREATE TRIGGER licenses_search_ai AFTER INSERT ON licenses BEGIN
      INSERT INTO licenses_grams (rowid, license_key, description)
        VALUES (new.rid, ${gramsOf('new.license_key')}, ${gramsOf('new.description')});
      INSERT INTO licenses_text (rid, license_key, description) VALUES (new.rid, new.license_key, new.description);
    END;
    CREATE TRIGGER licenses_search_ad AFTER DELETE ON licenses BEGIN
      INSERT INTO licenses_grams (licenses_grams, rowid, license_key, description)
        VALUES ('delete', old.rid, ${gramsOf('old.license_key')}, ${gramsOf('old.description')});
      DELETE FROM licenses_text WHERE rid = old.rid;
    END;
    CREATE TRIGGER licenses_search_au AFTER UPDATE OF license_key, description ON licenses BEGIN
      INSERT INTO licenses_grams (licenses_grams, rowid, license_key, description)
        VALUES ('delete', old.rid, ${gramsOf('old.license_key')}, ${gramsOf('old.description')});
      INSERT INTO licenses_grams (rowid, license_key, description)
        VALUES (new.rid, ${gramsOf('new.license_key')}, ${gramsOf('new.description')});
      UPDATE licenses_text SET license_key = new.license_key, description = new.description WHERE rid = old.rid;
    END;
  `,
};

/** ASCII-only lowercase, as SQLite's lower() and LIKE fold case. */
export const asciiLower = (s: string) =>
  s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

/** The licenses_grams query for a 1-2 character term: its bigram token, or a prefix query for one character. */
export function gramQuery(term: string): string {
  const hex = Buffer.from(asciiLower(term), 'utf8').toString('hex');
  return [...term].length === 1 ? `"${hex}" *` : `"${hex}"`;
}
