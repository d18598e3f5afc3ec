/** Fleet-wide device figures for monitoring (`/metrics`), one row per device group. */

export interface FleetCount {
  /** The group's name ('default' for devices in no other group). */
  group: string;
  /** Registered devices seen at or after the cutoff. */
  online: number;
  /** Registered devices not seen since the cutoff (or never). */
  offline: number;
}

export interface DevicesFleetRepo {
  /**
   * Online and offline registered devices per group, `onlineSince` (ISO) being the oldest last heartbeat that
   * still counts as online. One aggregate statement over the table: callers cache it (see fleet-stats.ts).
   */
  counts(onlineSince: string): Promise<FleetCount[]>;
}
