/** The longest wait between two attempts: a receiver back after a long outage hears from us within the hour. */
export const MAX_BACKOFF_MS = 3600_000;

/**
 * Delay before attempt `attempt + 1`: exponential from `baseMs`, capped at an hour, with "equal jitter" (half
 * fixed, half random) so endpoints that failed together do not retry in lockstep, while each delay stays at
 * least as long as the previous one's minimum.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}
