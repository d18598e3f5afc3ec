import { AppError } from './errors.js';

export interface LimitResult {
  allowed: boolean;
  remaining: number;
  resetAt: Date;
}

/**
 * A fixed-window counter per key, for limits the route plugin cannot express with @fastify/rate-limit: wrong
 * registration-token guesses per device, failed logins per username, license deactivations per license, and
 * weighted hits (unknown license keys count harder). Memory is bounded: expired windows are swept, and past
 * `maxKeys` the oldest windows are dropped (which can only make the limit more lenient for the evicted key,
 * never lock anyone out).
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts `weight` hits for `key` and says whether the request may go on. */
  hit(key: string, weight = 1): LimitResult {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= t) {
      if (this.windows.size >= this.maxKeys) this.sweep(t);
      w = { count: 0, resetAt: t + this.windowMs };
      this.windows.set(key, w);
    }
    w.count += weight;
    return {
      allowed: w.count <= this.max,
      remaining: Math.max(0, this.max - w.count),
      resetAt: new Date(w.resetAt),
    };
  }

  /** Whether `key` is already over the limit, without counting a hit. */
  blocked(key: string): LimitResult {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || w.resetAt <= t)
      return { allowed: true, remaining: this.max, resetAt: new Date(t + this.windowMs) };
    return {
      allowed: w.count < this.max,
      remaining: Math.max(0, this.max - w.count),
      resetAt: new Date(w.resetAt),
    };
  }

  /** Counts `weight` only if it fits in the budget; a refused reservation counts nothing. */
  reserve(key: string, weight = 1): LimitResult {
    const t = this.now();
    const w = this.windows.get(key);
    if (w && w.resetAt > t && w.count + weight > this.max)
      return { allowed: false, remaining: Math.max(0, this.max - w.count), resetAt: new Date(w.resetAt) };
    return this.hit(key, weight);
  }

  release(key: string, weight = 1): void {
    const w = this.windows.get(key);
    if (w && w.resetAt > this.now()) w.count = Math.max(0, w.count - weight);
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= t) this.windows.delete(k);
    // Still full: drop the oldest insertions (Map iterates in insertion order).
    const excess = this.windows.size - Math.floor(this.maxKeys * 0.9);
    if (excess > 0) {
      let i = 0;
      for (const k of this.windows.keys()) {
        if (i++ >= excess) break;
        this.windows.delete(k);
      }
    }
  }
}

/** The 429 of seed 002: `RATE_LIMIT_EXCEEDED`, `details.resetAt`, and a Retry-After header. */
export function rateLimitError(resetAt: Date, now = Date.now()): AppError {
  const retryAfter = Math.max(1, Math.ceil((resetAt.getTime() - now) / 1000));
  return new AppError(
    'RATE_LIMIT_EXCEEDED',
    'Too many requests. Please try again later.',
    { resetAt: resetAt.toISOString() },
    { 'retry-after': String(retryAfter) },
  );
}
