/**
 * `new Date().toISOString()` memoised per millisecond. At 17k+ heartbeats/s a dozen requests share each
 * millisecond, and formatting the date was one of the larger items in the heartbeat route's profile.
 */
let lastMs = -1;
let lastIso = '';

export function nowIso(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
