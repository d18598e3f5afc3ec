import type pg from 'pg';
import type { LimitResult } from '../../rate-limiter.js';
import type { Limiter, LimiterName } from '../runtime.js';

/**
 * A fixed-window budget for the whole fleet in `runtime_limiter_counters`. A hit is one `INSERT … ON CONFLICT DO
 * UPDATE … RETURNING`: PostgreSQL locks the row for the update, so hits from any number of instances at the same
 * moment each add their weight to the count the previous one left (READ COMMITTED is enough: the conflict path
 * re-reads the latest committed row), and the budget is one budget, not one per instance.
 */
export function pgLimiter(
  pool: pg.Pool,
  name: LimiterName,
  opts: { max: number; windowMs: number },
  now: () => number,
): Limiter {
  const { max, windowMs } = opts;
  return {
    max,
    windowMs,
    async hit(key, weight = 1) {
      const t = now();
      const r = await pool.query<Row>(
        `INSERT INTO runtime_limiter_counters AS c (name, key, count, reset_at) VALUES ($1, $2, $3, $5)
         ON CONFLICT (name, key) DO UPDATE SET
           count = CASE WHEN c.reset_at <= $4 THEN $3 ELSE c.count + $3 END,
           reset_at = CASE WHEN c.reset_at <= $4 THEN $5 ELSE c.reset_at END
         RETURNING count, reset_at::text`,
        [name, key, weight, t, t + windowMs],
      );
      const row = r.rows[0]!;
      return result(max, row.count, Number(row.reset_at), row.count <= max);
    },
    async blocked(key) {
      const t = now();
      const r = await pool.query<Row>(
        'SELECT count, reset_at::text FROM runtime_limiter_counters WHERE name = $1 AND key = $2 AND reset_at > $3',
        [name, key, t],
      );
      const row = r.rows[0];
      if (!row) return result(max, 0, t + windowMs, true);
      return result(max, row.count, Number(row.reset_at), row.count < max);
    },
    async reserve(key, weight = 1) {
      const t = now();
      // One statement: the conditional upsert (its WHERE is re-checked on the latest committed row when another
      // instance holds the row lock, so racing reservations never overshoot), and when it refused, the row as it
      // stands for the 429's reset time.
      const r = await pool.query<Row & { ok: boolean }>(
        `WITH up AS (
           INSERT INTO runtime_limiter_counters AS c (name, key, count, reset_at) VALUES ($1, $2, $3, $5)
           ON CONFLICT (name, key) DO UPDATE SET
             count = CASE WHEN c.reset_at <= $4 THEN $3 ELSE c.count + $3 END,
             reset_at = CASE WHEN c.reset_at <= $4 THEN $5 ELSE c.reset_at END
           WHERE c.reset_at <= $4 OR c.count + $3 <= $6
           RETURNING count, reset_at)
         SELECT count, reset_at::text, true AS ok FROM up
         UNION ALL
         SELECT count, reset_at::text, false AS ok FROM runtime_limiter_counters
           WHERE name = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM up)`,
        [name, key, weight, t, t + windowMs, max],
      );
      const row = r.rows[0];
      if (!row) return result(max, max, t + windowMs, false);
      return result(max, row.count, Number(row.reset_at), row.ok);
    },
    async release(key, weight = 1) {
      await pool.query(
        `UPDATE runtime_limiter_counters SET count = GREATEST(0, count - $3)
         WHERE name = $1 AND key = $2 AND reset_at > $4`,
        [name, key, weight, now()],
      );
    },
    async reset(key) {
      await pool.query('DELETE FROM runtime_limiter_counters WHERE name = $1 AND key = $2', [name, key]);
    },
  };
}

interface Row {
  count: number;
  reset_at: string;
}

function result(max: number, count: number, resetAt: number, allowed: boolean): LimitResult {
  return { allowed, remaining: Math.max(0, max - count), resetAt: new Date(resetAt) };
}
