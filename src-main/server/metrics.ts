import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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
  readonly wsTotal = new Counter({
    name: 'websocket_connections_total',
    help: 'Total WebSocket connections',
    registers: [this.registry],
  });
  readonly wsActive = new Gauge({
    name: 'websocket_connections_active',
    help: 'Active WebSocket connections',
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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
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
