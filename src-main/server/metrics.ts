import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { FleetSource } from './devices/fleet-stats.js';
import { ALERT_TYPES } from '../../src-shared/api/alerts.js';

/**
 * Prometheus metrics for one server instance (its own Registry, so several servers in one test process do not
 * share counters). Names follow seed 003 where it names them.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'Total HTTP requests',
    labelNames: ['method', 'status'] as const,
    registers: [this.registry],
  });
  /** Seed 003's names; `transport` tells `/ws` (`ws`) from socket.io (`socketio`), their sum is the seed's figure. */
  readonly wsTotal = new Counter({
    name: 'websocket_connections_total',
    help: 'Total WebSocket connections',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly wsActive = new Gauge({
    name: 'websocket_connections_active',
    help: 'Active WebSocket connections',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly deviceHeartbeats = new Counter({
    name: 'outpost_device_heartbeats_total',
    help: 'Device heartbeats accepted (seed 004)',
    registers: [this.registry],
  });
  readonly pluginHeartbeats = new Counter({
    name: 'outpost_plugin_heartbeats_total',
    help: 'Plugin activity heartbeats accepted (seed 000)',
    registers: [this.registry],
  });
  readonly heartbeatsRejected = new Counter({
    name: 'outpost_heartbeats_rejected_total',
    help: 'Device heartbeats refused (bad or revoked credentials)',
    registers: [this.registry],
  });

  readonly connectionsRefused = new Counter({
    name: 'outpost_http_connections_refused_total',
    help: 'TCP connections closed on accept: over the per-address connection cap',
    registers: [this.registry],
  });

  /** Set on each scrape: 1 when the store answered a probe, else 0. */
  readonly databaseUp = new Gauge({
    name: 'outpost_database_up',
    help: 'Whether the database answered a probe at this scrape (1) or not (0)',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  /**
   * Always 1; its labels say which instance answered (figures on `/metrics` are this instance's own, so a
   * scrape through a load balancer must be told apart), what holds the runtime state and which store it runs on.
   */
  readonly instanceInfo = new Gauge({
    name: 'outpost_instance_info',
    help: 'Which server instance answered: instance id, runtime kind and store kind',
    labelNames: ['instance', 'runtime', 'store'] as const,
    registers: [this.registry],
  });

  // ---- fleet gauges: set at scrape time from observeFleet's source ----

  private fleetSource: FleetSource | undefined;

  /**
   * Fleet-wide (every instance reports the same figures, from the shared store, at most TTL old: aggregate with
   * `max by (group)`, not `sum`). Registered devices only; never-registered and revoked ones are in neither.
   */
  readonly devicesOnline: Gauge<'group'> = new Gauge({
    name: 'outpost_devices_online',
    help: "Registered devices seen within their group's silence threshold, per group (fleet-wide, cached per scrape interval)",
    labelNames: ['group'] as const,
    registers: [this.registry],
    collect: () => this.collectFleet(this.devicesOnline, 'online'),
  });
  readonly devicesOffline: Gauge<'group'> = new Gauge({
    name: 'outpost_devices_offline',
    help: "Registered devices silent beyond their group's silence threshold, per group (fleet-wide, cached per scrape interval)",
    labelNames: ['group'] as const,
    registers: [this.registry],
    collect: () => this.collectFleet(this.devicesOffline, 'offline'),
  });
  /** This instance's heartbeat write-behind (figures per instance). */
  readonly heartbeatWriteFailures: Counter = new Counter({
    name: 'outpost_heartbeat_write_failures_total',
    help: 'Heartbeat write-behind flushes that failed on this instance (their heartbeats were kept and retried)',
    registers: [this.registry],
    collect: () => {
      const b = this.fleetSource?.backlog();
      if (!b) return;
      this.heartbeatWriteFailures.reset();
      this.heartbeatWriteFailures.inc(b.failed_writes);
    },
  });
  readonly heartbeatQueueDepth: Gauge = new Gauge({
    name: 'outpost_heartbeat_write_queue_depth',
    help: 'Acknowledged heartbeats on this instance not yet written to the store (one per device)',
    registers: [this.registry],
    collect: () => {
      const b = this.fleetSource?.backlog();
      if (b) this.heartbeatQueueDepth.set(b.queued);
    },
  });

  /** Where the fleet gauges read from (app.ts wires it once the store exists). */
  observeFleet(source: FleetSource): void {
    this.fleetSource = source;
  }

  /**
   * Both device gauges ask; the source's cache makes it one count. A failed count leaves the last figures (the
   * scrape still answers; `outpost_database_up` says why they are stale).
   */
  private async collectFleet(gauge: Gauge<'group'>, state: 'online' | 'offline'): Promise<void> {
    if (!this.fleetSource) return;
    let counts;
    try {
      counts = await this.fleetSource.fleet();
    } catch {
      return;
    }
    // Reset first: a group that is gone (deleted, emptied) must not keep its last figure.
    gauge.reset();
    for (const c of counts) gauge.set({ group: c.group }, c[state]);
  }

  /**
   * Where `outpost_alerts_open` reads its figures at each scrape: the alert table is fleet-wide, so every
   * instance reports the same counts, whichever one evaluates the rules. Set by the alerts service.
   */
  openAlertCounts: () => Promise<Record<string, number>> = async () => ({});
  readonly alertsOpen = new Gauge({
    name: 'outpost_alerts_open',
    help: 'Open alerts of the fleet, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
    collect: async () => {
      const counts = await this.openAlertCounts().catch(() => undefined);
      if (!counts) return;
      // Every type, 0 included: a type whose last alert resolved must drop to 0, not keep its last figure.
      for (const type of ALERT_TYPES) this.alertsOpen.set({ type }, counts[type] ?? 0);
    },
  });
  /** This instance's failed delivery attempts (sum over instances for the fleet's figure). */
  readonly webhookDeliveryFailures = new Counter({
    name: 'outpost_webhook_delivery_failures_total',
    help: 'Failed webhook delivery attempts (error, timeout or non-2xx answer) made by this instance',
    registers: [this.registry],
  });

  constructor(instance?: { id: string; runtime: string; store: string }) {
    collectDefaultMetrics({ register: this.registry });
    // Both series exist from the start, so a dashboard sees 0 rather than no data for an unused transport.
    for (const transport of ['ws', 'socketio']) {
      this.wsTotal.inc({ transport }, 0);
      this.wsActive.set({ transport }, 0);
    }
    if (instance) {
      this.instanceInfo.set({ instance: instance.id, runtime: instance.runtime, store: instance.store }, 1);
    }
  }

  /** Totals as plain numbers, for /health and /status. */
  async snapshot(): Promise<{ httpRequests: number; wsActive: number; wsTotal: number }> {
    const sum = async (m: Counter<string> | Gauge<string>) =>
      (await m.get()).values.reduce((s, v) => s + v.value, 0);
    return {
      httpRequests: await sum(this.httpRequests),
      wsActive: await sum(this.wsActive),
      wsTotal: await sum(this.wsTotal),
    };
  }
}
