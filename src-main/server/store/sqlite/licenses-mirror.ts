import type { Db, Migration } from './db.js';
import { asciiLower, gramsOf } from './licenses-search.js';

/** Change-log entries kept: a mirror that fell further behind rebuilds instead of patching. */
export const TEXT_LOG_WINDOW = 10_000;

const logged = (rid: string) => `
      INSERT INTO licenses_text_log (rid) VALUES (${rid});
      DELETE FROM licenses_text_log WHERE seq <= (SELECT MAX(seq) FROM licenses_text_log) - ${TEXT_LOG_WINDOW};`;

/**
 * Licenses search, third step (version 7): `licenses_text_log`, a change log of licenses_text (one row per
 * inserted, edited or deleted rid, newest TEXT_LOG_WINDOW kept), appended by the triggers of migration 6,
 * recreated here with the same upkeep plus the log. It lets an in-process copy of the text (TextMirror below)
 * stay exact whichever connection or process writes: before each use the mirror reads the entries after the last
 * one it applied (normally none: one index seek) and re-reads those rids. Pure SQL, so any connection may write.
 */
export const licensesTextLogMigration: Migration = {
  version: 7,
  name: 'licenses: change log of licenses_text for the in-process search mirror',
  up: `
    CREATE TABLE licenses_text_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, rid INTEGER NOT NULL);
    DROP TRIGGER licenses_search_ai;
    DROP TRIGGER licenses_search_ad;
    DROP TRIGGER licenses_search_au;
    CREATE TRIGGER licenses_search_ai AFTER INSERT ON licenses BEGIN
      INSERT INTO licenses_grams (rowid, license_key, description)
        VALUES (new.rid, ${gramsOf('new.license_key')}, ${gramsOf('new.description')});
      INSERT INTO licenses_text (rid, license_key, description) VALUES (new.rid, new.license_key, new.description);
      ${logged('new.rid')}
    END;
    CREATE TRIGGER licenses_search_ad AFTER DELETE ON licenses BEGIN
      INSERT INTO licenses_grams (licenses_grams, rowid, license_key, description)
        VALUES ('delete', old.rid, ${gramsOf('old.license_key')}, ${gramsOf('old.description')});
      DELETE FROM licenses_text WHERE rid = old.rid;
      ${logged('old.rid')}
    END;
    CREATE TRIGGER licenses_search_au AFTER UPDATE OF license_key, description ON licenses BEGIN
      INSERT INTO licenses_grams (licenses_grams, rowid, license_key, description)
        VALUES ('delete', old.rid, ${gramsOf('old.license_key')}, ${gramsOf('old.description')});
      INSERT INTO licenses_grams (rowid, license_key, description)
        VALUES (new.rid, ${gramsOf('new.license_key')}, ${gramsOf('new.description')});
      UPDATE licenses_text SET license_key = new.license_key, description = new.description WHERE rid = old.rid;
      ${logged('old.rid')}
    END;
  `,
};

/** Terms the mirror may test: no NUL (SQLite's LIKE stops at it), well-formed UTF-16, not absurdly long. */
export function mirrorable(term: string): boolean {
  return (
    term.length > 0 &&
    term.length <= 1000 &&
    !/\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(term)
  );
}

/**
 * LIKE's view of one licenses_text row, built by SQLite itself: `lower(description) \0 lower(key)` (the built-in
 * lower() folds ASCII only, as LIKE does), NULL for a value that is not TEXT (a BLOB written by another client).
 */
const FOLDED = `CASE WHEN typeof(license_key) = 'text' AND typeof(description) IN ('text', 'null')
  THEN lower(coalesce(description, '')) || char(0) || lower(license_key) END`;

/**
 * An in-process copy of licenses_text for re-checking search candidates: for each rid, `description \0 key`,
 * ASCII-lowercased, which is what `description LIKE '%term%' ESCAPE '\' OR license_key LIKE …` compares (LIKE
 * folds ASCII case only and compares characters), so for a mirrorable term (no NUL: it cannot span the separator)
 * `includes(asciiLower(term))` is the LIKE answer. Rows the copy cannot vouch for are kept out and re-checked with
 * SQL LIKE: a value that is not TEXT, one holding NUL (LIKE stops there) or U+FFFD (what invalid UTF-8 decodes
 * to). If this connection's LIKE or lower() fold differently (ICU, case_sensitive_like) the copy is not used.
 *
 * Built lazily on first use (~0.2-0.6 s and ~19 MB of heap at 100,000 licenses), then kept in step with
 * licenses_text_log (migration 7) before each use; call it inside a read transaction together with the queries
 * whose candidates it checks (one snapshot).
 */
export class TextMirror {
  private texts: (string | undefined)[] = [];
  private unsure = new Set<number>();
  private lastSeq = -1;
  private usable: boolean | undefined;
  /** Full builds, incremental catch-ups, rows and time of the last build. */
  stats = { builds: 0, patches: 0, rows: 0, buildMs: 0 };
  private readonly all;
  private readonly one;
  private readonly log;
  private readonly maxSeq;
  private readonly likeOne;
  private readonly folds;

  constructor(db: Db) {
    // Two arrays in one pass: far cheaper than 100,000 result rows through the driver.
    this.all = db
      .prepare(`SELECT json_group_array(rid), json_group_array(${FOLDED}) FROM licenses_text`)
      .raw();
    this.one = db.prepare(`SELECT ${FOLDED} FROM licenses_text WHERE rid = ?`).raw();
    this.log = db.prepare('SELECT seq, rid FROM licenses_text_log WHERE seq >= ? ORDER BY seq').raw();
    this.maxSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM licenses_text_log').pluck();
    this.likeOne = db
      .prepare(
        `SELECT 1 FROM licenses_text l WHERE l.rid = @rid
           AND (l.description LIKE @like ESCAPE '\\' OR l.license_key LIKE @like ESCAPE '\\')`,
      )
      .pluck();
    this.folds = db
      .prepare(
        `SELECT 'aZ' LIKE 'Az' AND NOT ('ä' LIKE 'Ä') AND lower('AZÄÉ') = 'azÄÉ' AND lower('Ä') <> 'ä'`,
      )
      .pluck();
  }

  get built(): boolean {
    return this.lastSeq >= 0;
  }

  /** False when this connection's LIKE does not fold exactly ASCII case (then callers keep SQL re-checks). */
  get enabled(): boolean {
    this.usable ??= this.folds.get() === 1;
    return this.usable;
  }

  private set(rid: number, folded: unknown): void {
    if (
      typeof folded === 'string' &&
      folded.indexOf('\0') === folded.lastIndexOf('\0') &&
      !folded.includes('\uFFFD')
    ) {
      this.texts[rid] = folded;
      this.unsure.delete(rid);
    } else {
      this.texts[rid] = undefined;
      this.unsure.add(rid);
    }
  }

  private build(): void {
    const t0 = performance.now();
    this.texts = [];
    this.unsure.clear();
    this.lastSeq = this.maxSeq.get() as number;
    const [rids, texts] = (this.all.get() as [string, string]).map((j) => JSON.parse(j) as unknown[]);
    for (let i = 0; i < rids!.length; i++) this.set(rids![i] as number, texts![i]);
    this.stats = {
      ...this.stats,
      builds: this.stats.builds + 1,
      rows: rids!.length,
      buildMs: performance.now() - t0,
    };
  }

  /** Applies the logged changes since the last sync; rebuilds when entries were pruned or the log was reset. */
  sync(): void {
    if (!this.built) return this.build();
    const entries = this.log.all(this.lastSeq) as Array<[number, number]>;
    // The entry last applied must still come first (entry 1 when none was): otherwise entries after it may have
    // been pruned (more than TEXT_LOG_WINDOW changes since) or the log is not the one this copy followed.
    if (entries.length === 0) {
      if (this.lastSeq === 0) return;
      return this.build();
    }
    if (entries[0]![0] !== Math.max(1, this.lastSeq)) return this.build();
    if (entries.at(-1)![0] === this.lastSeq) return;
    const rids = new Set<number>();
    for (const [seq, rid] of entries) if (seq > this.lastSeq) rids.add(rid);
    for (const rid of rids) {
      const row = this.one.get(rid) as [unknown] | undefined;
      if (row) this.set(rid, row[0]);
      else {
        this.texts[rid] = undefined;
        this.unsure.delete(rid);
      }
    }
    this.lastSeq = entries.at(-1)![0];
    this.stats.patches++;
  }

  /** The candidates whose key or description holds `term` as LIKE sees it (term: mirrorable, `like` its pattern). */
  filter(candidates: number[], term: string, like: string): number[] {
    const t = asciiLower(term);
    const out: number[] = [];
    for (const rid of candidates) {
      const text = this.texts[rid];
      if (text !== undefined) {
        if (text.includes(t)) out.push(rid);
      } else if (this.unsure.has(rid) && this.likeOne.get({ rid, like }) !== undefined) out.push(rid);
    }
    return out;
  }
}
