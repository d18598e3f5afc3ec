import type { DevicesFleetRepo, FleetCount } from '../store/devices-fleet-repo.js';
import type { HeartbeatBacklog } from '../store/devices-repo.js';
import type { Store } from '../store/store.js';
import { MISSED_INTERVALS_OFFLINE } from './presence.js';

/**
 * How long one count of the fleet serves scrapes. Counting is a pass over the device table (about a second of
 * database work at a million devices), so it runs at most once per typical scrape interval however many
 * Prometheus servers, dashboards and load-balanced scrapes ask.
 */
export const FLEET_STATS_TTL_MS = 15_000;

export interface FleetStatsOptions {
  repo: DevicesFleetRepo;
  /** The silence threshold of groups that set none (3 of the server's heartbeat intervals), in seconds. */
  defaultThresholdSec: number;
  ttlMs?: number;
  /** The server clock (tests move it). */
  now?: () => number;
}

/**
 * Online/offline per group, each group by its own silence threshold, counted at most once per TTL; concurrent
 * scrapes share one count in flight.
 */
export class FleetStats {
  private cached: { at: number; value: FleetCount[] } | undefined;
  private inflight: Promise<FleetCount[]> | undefined;
  private readonly now: () => number;
  private readonly ttlMs: number;
  /** Counts actually run against the store (tests check the cache with it). */
  loads = 0;

  constructor(private readonly o: FleetStatsOptions) {
    this.now = o.now ?? Date.now;
    this.ttlMs = o.ttlMs ?? FLEET_STATS_TTL_MS;
  }

  async get(): Promise<FleetCount[]> {
    const now = this.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.value;
    this.inflight ??= (async () => {
      try {
        this.loads++;
        const value = await this.o.repo.counts({ now, defaultThresholdSec: this.o.defaultThresholdSec });
        this.cached = { at: now, value };
        return value;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}

/** What the fleet gauges of /metrics read at each scrape. */
export interface FleetSource {
  fleet(): Promise<FleetCount[]>;
  backlog(): HeartbeatBacklog;
}

export function fleetSource(store: Store, heartbeatIntervalSec: number, stats?: FleetStats): FleetSource {
  const counts =
    stats ??
    new FleetStats({
      repo: store.fleet,
      defaultThresholdSec: MISSED_INTERVALS_OFFLINE * heartbeatIntervalSec,
    });
  return { fleet: () => counts.get(), backlog: () => store.devices.heartbeatBacklog() };
}
