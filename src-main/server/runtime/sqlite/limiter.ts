import type { Db } from '../../store/sqlite/db.js';
import type { LimitResult } from '../../rate-limiter.js';
import type { Limiter, LimiterName } from '../runtime.js';

/**
 * A fixed-window budget in `runtime.db`, shared by every process on the data dir. Each hit is one conditional
 * upsert that starts a new window when the old one ended and otherwise adds the weight, returning the new count,
 * so two processes hitting the same key at once both count (SQLite serialises the writes) and neither reads a
 * count the other is about to change.
 */
export function sqliteLimiter(
  db: Db,
  name: LimiterName,
  opts: { max: number; windowMs: number },
  now: () => number,
): Limiter {
  const hitStmt = db.prepare(`
    INSERT INTO limiter_counters (name, key, count, reset_at) VALUES (@name, @key, @weight, @resetAt)
    ON CONFLICT (name, key) DO UPDATE SET
      count = CASE WHEN reset_at <= @now THEN @weight ELSE count + @weight END,
      reset_at = CASE WHEN reset_at <= @now THEN @resetAt ELSE reset_at END
    RETURNING count, reset_at`);
  // The same upsert, but the update only happens while the weight still fits: with DO UPDATE ... WHERE false
  // SQLite changes nothing and RETURNING yields no row, which is the refusal.
  const reserveStmt = db.prepare(`
    INSERT INTO limiter_counters (name, key, count, reset_at) VALUES (@name, @key, @weight, @resetAt)
    ON CONFLICT (name, key) DO UPDATE SET
      count = CASE WHEN reset_at <= @now THEN @weight ELSE count + @weight END,
      reset_at = CASE WHEN reset_at <= @now THEN @resetAt ELSE reset_at END
    WHERE reset_at <= @now OR count + @weight <= @max
    RETURNING count, reset_at`);
  const releaseStmt = db.prepare(
    'UPDATE limiter_counters SET count = max(0, count - ?) WHERE name = ? AND key = ? AND reset_at > ?',
  );
  const getStmt = db.prepare(
    'SELECT count, reset_at FROM limiter_counters WHERE name = ? AND key = ? AND reset_at > ?',
  );
  const delStmt = db.prepare('DELETE FROM limiter_counters WHERE name = ? AND key = ?');
  const { max, windowMs } = opts;
  return {
    max,
    windowMs,
    async hit(key, weight = 1) {
      const t = now();
      const row = hitStmt.get({ name, key, weight, now: t, resetAt: t + windowMs }) as Row;
      return result(max, row.count, row.reset_at, row.count <= max);
    },
    async blocked(key) {
      const t = now();
      const row = getStmt.get(name, key, t) as Row | undefined;
      if (!row) return result(max, 0, t + windowMs, true);
      return result(max, row.count, row.reset_at, row.count < max);
    },
    async reserve(key, weight = 1) {
      const t = now();
      const row = reserveStmt.get({ name, key, weight, now: t, resetAt: t + windowMs, max }) as
        Row | undefined;
      if (row) return result(max, row.count, row.reset_at, true);
      const held = getStmt.get(name, key, t) as Row | undefined;
      return result(max, held?.count ?? max, held?.reset_at ?? t + windowMs, false);
    },
    async release(key, weight = 1) {
      releaseStmt.run(weight, name, key, now());
    },
    async reset(key) {
      delStmt.run(name, key);
    },
  };
}

interface Row {
  count: number;
  reset_at: number;
}

function result(max: number, count: number, resetAt: number, allowed: boolean): LimitResult {
  return { allowed, remaining: Math.max(0, max - count), resetAt: new Date(resetAt) };
}
