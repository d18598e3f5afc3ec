/** Fleet-wide device figures for monitoring (`/metrics`), one row per device group. */
import type { PresencePolicy } from './devices-repo.js';

export interface FleetCount {
  /** The group's name, as operators named it (the default group included). */
  group: string;
  /** Registered devices seen within their group's silence threshold. */
  online: number;
  /** Registered devices silent beyond their group's threshold (or never seen). */
  offline: number;
}

export interface DevicesFleetRepo {
  /**
   * Online and offline registered devices per group, each group judged by its own silence threshold (the
   * policy's default where the group has none), as the inventory's `state` is. Every group is listed, empty
   * ones with zeros. A pass over the table: callers cache it (see fleet-stats.ts).
   */
  counts(policy: PresencePolicy): Promise<FleetCount[]>;
}
