/** Seed 004 presence: a device is online while its last heartbeat is younger than 3 heartbeat intervals. */
export const MISSED_INTERVALS_OFFLINE = 3;

export function isOnline(lastSeen: string | null, intervalSec: number, now = Date.now()): boolean {
  return isWithin(lastSeen, MISSED_INTERVALS_OFFLINE * intervalSec, now);
}

/** Whether `lastSeen` is at most `thresholdSec` old at `now` (a group's silence threshold). */
export function isWithin(lastSeen: string | null, thresholdSec: number, now = Date.now()): boolean {
  if (!lastSeen) return false;
  const t = Date.parse(lastSeen);
  return Number.isFinite(t) && now - t <= thresholdSec * 1000;
}
