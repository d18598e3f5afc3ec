/**
 * The one retry delay of the project: exponential backoff with full jitter (AWS architecture blog), delay =
 * max(floor, random(0, min(cap, base · 2^attempt))). Full jitter is what spreads a fleet reconnecting after a
 * server restart; seed 001's fixed 2^n s with a 5-try limit makes clients arrive in waves and then strands
 * them. Used by the heartbeat loop, the realtime socket, the agent's HTTP retries and the web UI's event socket.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Never retry sooner than this (a dead server is not hammered). */
  floorMs?: number;
}

/** Delay before retry number `attempt` (0 = the first retry). `random` is injectable so tests need no sleeps. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(o.capMs, o.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.max(o.floorMs ?? 0, Math.floor(random() * ceiling));
}
