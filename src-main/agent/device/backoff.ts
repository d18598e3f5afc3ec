/**
 * Retry delay after `failures` consecutive failed heartbeats: exponential with full jitter (AWS "full jitter":
 * uniform in [0, min(cap, base·2^(n-1))]), floored so a dead server is not hammered, capped at 5 min by default.
 * Full jitter spreads a fleet's retries after a server restart instead of sending them in waves.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  floorMs?: number;
}

export function backoffDelay(
  failures: number,
  o: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(o.capMs, o.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.max(o.floorMs ?? 0, Math.round(random() * exp));
}
