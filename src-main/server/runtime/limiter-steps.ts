import type { LimitResult } from '../rate-limiter.js';
import type { LimiterGroup, LimiterStep } from './runtime.js';

/**
 * Operations over several budgets at once (a registration guess takes from the device's and the address's).
 * When every step's budget lives in the same shared store, the store answers in one statement, so a guarded
 * route pays one round trip whatever the number of budgets; otherwise (memory, SQLite: no round trip to save)
 * the steps run one after the other with the same meaning.
 */

/**
 * Reserves each step's weight in order, each one only if every step before it was granted; the first refusal
 * stops the chain and is returned (undefined: all granted). Granted steps stay counted even when a later one is
 * refused. Callers list budgets in one fixed order (the PostgreSQL statement locks the rows in that order, and
 * two chains locking the same two rows in opposite orders could deadlock).
 */
export async function reserveInOrder(steps: readonly LimiterStep[]): Promise<LimitResult | undefined> {
  const g = sharedGroup(steps);
  if (g) return g.reserveInOrder(steps);
  for (const s of steps) {
    const r = await s.limiter.reserve(s.key, s.weight);
    if (!r.allowed) return r;
  }
  return undefined;
}

/** The first step whose budget is already spent (count >= max), without counting; undefined when none is. */
export async function firstBlocked(steps: readonly LimiterStep[]): Promise<LimitResult | undefined> {
  const g = sharedGroup(steps);
  if (g) return g.firstBlocked(steps);
  const rs = await Promise.all(steps.map((s) => s.limiter.blocked(s.key)));
  return rs.find((r) => !r.allowed);
}

/**
 * Gives back each step's reservation (never below zero, only in the current window). One statement per budget,
 * in parallel: each locks one row only, so a release never holds one row while waiting for another that a
 * chained reservation holds (which could deadlock with it).
 */
export async function releaseAll(steps: readonly LimiterStep[]): Promise<void> {
  await Promise.all(steps.map((s) => s.limiter.release(s.key, s.weight)));
}

function sharedGroup(steps: readonly LimiterStep[]): LimiterGroup | undefined {
  const g = steps[0]?.limiter.group;
  return g && steps.every((s) => s.limiter.group === g) ? g : undefined;
}
