/**
 * The heartbeat interval the server asks for (`next_heartbeat_sec` in the heartbeat and registration answers),
 * bounded to what the agent accepts: a misconfigured or hostile server must not make a fleet beat every
 * millisecond, nor silence it for days.
 */
export const SERVER_INTERVAL_MIN_SEC = 5;
export const SERVER_INTERVAL_MAX_SEC = 3600;

/** Seconds within 5 s – 1 h (out-of-range values clamped), or null for anything that is not a positive number. */
export function boundedServerInterval(raw: unknown): number | null {
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0) return null;
  return Math.min(SERVER_INTERVAL_MAX_SEC, Math.max(SERVER_INTERVAL_MIN_SEC, Math.round(raw)));
}
