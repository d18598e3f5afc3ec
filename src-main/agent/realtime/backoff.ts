/**
 * Exponential backoff with full jitter (AWS architecture blog): delay = random(0, min(cap, base · 2^attempt)).
 * Full jitter is what spreads a fleet reconnecting after a server restart; seed 001's fixed 2^n s with a 5-try
 * limit makes them arrive in waves and then strands them.
 */
export function fullJitterDelay(
  attempt: number,
  opts: { baseMs?: number; capMs?: number; random?: () => number } = {},
): number {
  const base = opts.baseMs ?? 1_000;
  const cap = opts.capMs ?? 30_000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.floor((opts.random ?? Math.random)() * ceiling);
}
