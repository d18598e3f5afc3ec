import type pg from 'pg';
import type { LimitResult } from '../../rate-limiter.js';
import type { Limiter, LimiterGroup, LimiterName, LimiterStep } from '../runtime.js';

/**
 * Fixed-window budgets for the whole fleet in `runtime_limiter_counters`. Every operation is one statement: a hit
 * or a reservation is an `INSERT … ON CONFLICT DO UPDATE`, and PostgreSQL locks the row for the update, so
 * requests on any number of instances at the same moment each see the count the previous one left (READ
 * COMMITTED is enough: the conflict path re-reads, and re-checks the reservation's WHERE on, the latest committed
 * row). The budget is one budget, not one per instance.
 *
 * Where the time goes on a guarded route, and why it is spent like this:
 * - The statements run on a small pool of their own (see `createPostgresRuntime`), so a guess never queues
 *   behind heartbeat flushes or sync transactions holding the Store's connections.
 * - The table is UNLOGGED (runtime migration 23): a counter update writes no WAL, so its commit does not wait
 *   for a WAL flush to disk. A PostgreSQL crash empties the table, which only forgives guesses (a window's
 *   worth at most); standbys do not have it, which a failover forgives the same way.
 * - Several budgets asked together (the device's and the address's) are one statement (`group`), prepared once
 *   per connection, so a guarded route pays one round trip whatever the number of budgets.
 */
export class PgLimiterGroup implements LimiterGroup {
  private readonly meta = new WeakMap<Limiter, { name: LimiterName; max: number; windowMs: number }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number,
  ) {}

  limiter(name: LimiterName, opts: { max: number; windowMs: number }): Limiter {
    const { max, windowMs } = opts;
    const { pool, now } = this;
    const l: Limiter = {
      max,
      windowMs,
      group: this,
      async hit(key, weight = 1) {
        const t = now();
        const r = await pool.query<Row>({
          name: 'limiter_hit',
          text: `INSERT INTO runtime_limiter_counters AS c (name, key, count, reset_at) VALUES ($1, $2, $3, $5)
                 ON CONFLICT (name, key) DO UPDATE SET
                   count = CASE WHEN c.reset_at <= $4 THEN $3 ELSE c.count + $3 END,
                   reset_at = CASE WHEN c.reset_at <= $4 THEN $5 ELSE c.reset_at END
                 RETURNING count, reset_at::text`,
          values: [name, key, weight, t, t + windowMs],
        });
        const row = r.rows[0]!;
        return result(max, row.count, Number(row.reset_at), row.count <= max);
      },
      blocked: async (key) => (await this.firstBlockedAt([{ limiter: l, key }], true))!,
      reserve: (key, weight = 1) => this.reserveOne({ limiter: l, key, weight }),
      async release(key, weight = 1) {
        await pool.query({
          name: 'limiter_release',
          text: `UPDATE runtime_limiter_counters SET count = GREATEST(0, count - $3)
                 WHERE name = $1 AND key = $2 AND reset_at > $4`,
          values: [name, key, weight, now()],
        });
      },
      async reset(key) {
        await pool.query({
          name: 'limiter_reset',
          text: 'DELETE FROM runtime_limiter_counters WHERE name = $1 AND key = $2',
          values: [name, key],
        });
      },
    };
    this.meta.set(l, { name, max, windowMs });
    return l;
  }

  /** A single reservation, with the count it left (the chain's statement with one step). */
  private async reserveOne(step: LimiterStep): Promise<LimitResult> {
    const m = this.metaOf(step);
    const { rows, refused } = await this.chain([step]);
    if (refused) return refused;
    const row = rows[0]!;
    return result(m.max, row.count, Number(row.reset_at), true);
  }

  async reserveInOrder(steps: readonly LimiterStep[]): Promise<LimitResult | undefined> {
    return steps.length === 0 ? undefined : (await this.chain(steps)).refused;
  }

  /**
   * One statement of chained conditional upserts: step i's CTE inserts only if step i-1's returned a row, so a
   * refused step stops the chain and what was granted before it stays counted. The rows are locked in the
   * steps' order. A refusal (an attack under way, the rare path) then reads the refused row for the 429's reset
   * time.
   */
  private async chain(steps: readonly LimiterStep[]): Promise<{ rows: Row[]; refused?: LimitResult }> {
    const t = this.now();
    const values: unknown[] = [t];
    const ctes = steps.map((s, i) => {
      const m = this.metaOf(s);
      const p = values.length;
      values.push(m.name, s.key, s.weight ?? 1, t + m.windowMs, m.max);
      const gate = i === 0 ? '' : ` WHERE EXISTS (SELECT 1 FROM s${i - 1})`;
      return `s${i} AS (
        INSERT INTO runtime_limiter_counters AS c (name, key, count, reset_at)
        SELECT $${p + 1}::text, $${p + 2}::text, $${p + 3}::int, $${p + 4}::bigint${gate}
        ON CONFLICT (name, key) DO UPDATE SET
          count = CASE WHEN c.reset_at <= $1::bigint THEN EXCLUDED.count ELSE c.count + EXCLUDED.count END,
          reset_at = CASE WHEN c.reset_at <= $1::bigint THEN EXCLUDED.reset_at ELSE c.reset_at END
        WHERE c.reset_at <= $1::bigint OR c.count + EXCLUDED.count <= $${p + 5}::int
        RETURNING count, reset_at)`;
    });
    const selects = steps.map((_, i) => `SELECT ${i} AS step, count, reset_at::text FROM s${i}`);
    const r = await this.pool.query<Row & { step: number }>({
      // The text depends only on the number of steps: one prepared statement per length and connection.
      name: `limiter_reserve_${steps.length}`,
      text: `WITH ${ctes.join(',\n')}\n${selects.join('\nUNION ALL ')}`,
      values,
    });
    const rows = r.rows.sort((x, y) => x.step - y.step);
    if (rows.length === steps.length) return { rows };
    return { rows, refused: await this.stateOf(steps[rows.length]!, t) };
  }

  firstBlocked(steps: readonly LimiterStep[]): Promise<LimitResult | undefined> {
    return this.firstBlockedAt(steps, false);
  }

  /** One read of every step's row; the first step at or over its budget (or, with `always`, the first step). */
  private async firstBlockedAt(
    steps: readonly LimiterStep[],
    always: boolean,
  ): Promise<LimitResult | undefined> {
    const t = this.now();
    const ms = steps.map((s) => this.metaOf(s));
    const r = await this.pool.query<Row & { name: string; key: string }>({
      name: 'limiter_blocked',
      text: `SELECT name, key, count, reset_at::text FROM runtime_limiter_counters
             WHERE (name, key) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND reset_at > $3`,
      values: [ms.map((m) => m.name), steps.map((s) => s.key), t],
    });
    const results = steps.map((s, i) => {
      const m = ms[i]!;
      const row = r.rows.find((x) => x.name === m.name && x.key === s.key);
      if (!row) return result(m.max, 0, t + m.windowMs, true);
      return result(m.max, row.count, Number(row.reset_at), row.count < m.max);
    });
    return always ? results[0] : results.find((x) => !x.allowed);
  }

  private async stateOf(step: LimiterStep, t: number): Promise<LimitResult> {
    const m = this.metaOf(step);
    const r = await this.pool.query<Row>({
      name: 'limiter_state',
      text: `SELECT count, reset_at::text FROM runtime_limiter_counters
             WHERE name = $1 AND key = $2 AND reset_at > $3`,
      values: [m.name, step.key, t],
    });
    const row = r.rows[0];
    // Gone since (its window ended, or the admin reset it): the next attempt will be granted.
    if (!row) return result(m.max, m.max, t + m.windowMs, false);
    return result(m.max, row.count, Number(row.reset_at), false);
  }

  private metaOf(step: LimiterStep) {
    const m = this.meta.get(step.limiter);
    if (!m) throw new Error('a limiter of another runtime in a PostgreSQL limiter group');
    return m;
  }
}

interface Row {
  count: number;
  reset_at: string;
}

function result(max: number, count: number, resetAt: number, allowed: boolean): LimitResult {
  return { allowed, remaining: Math.max(0, max - count), resetAt: new Date(resetAt) };
}
