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
