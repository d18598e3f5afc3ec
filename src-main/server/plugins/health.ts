import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { HealthResponse, RootResponse, StatusResponse } from '../../../src-shared/api/health.js';
import type { ServerContext } from '../context.js';

const MB = 1024 * 1024;
const round1 = (n: number) => Math.round(n * 10) / 10;

/** Seed 003's HTTP surface (`/`, `/health`, `/status`) and seed 000's `/api/health`, `/api/status`. */
export const healthPlugin: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const instance = { id: ctx.runtime.instanceId, runtime: ctx.runtime.kind };
  const uptime = () => Math.round((Date.now() - ctx.startedAt.getTime()) / 1000);

  const health = async (): Promise<HealthResponse> => {
    const db = await ctx.store.ping();
    const mem = process.memoryUsage();
    return {
      status: db.status === 'connected' ? 'healthy' : 'degraded',
      timestamp: new Date().toISOString(),
      uptime: uptime(),
      memory: {
        used: round1(mem.heapUsed / MB),
        total: round1(mem.heapTotal / MB),
        percentage: round1((mem.heapUsed / mem.heapTotal) * 100),
      },
      connections: { active: ctx.realtime.active(), total: ctx.realtime.total() },
      database: {
        status: db.status,
        kind: db.kind,
        reachable: db.status === 'connected',
        response_time: round1(db.response_time_ms),
      },
      instance,
    };
  };

  const status = async (): Promise<StatusResponse> => {
    const db = await ctx.store.ping();
    const mem = process.memoryUsage();
    return {
      status: db.status === 'connected' ? 'operational' : 'degraded',
      timestamp: new Date().toISOString(),
      server: {
        uptime: uptime(),
        environment: ctx.config.environment,
        node_version: process.versions.node,
        version: ctx.config.version,
        memory_usage: {
          rss: round1(mem.rss / MB),
          heapTotal: round1(mem.heapTotal / MB),
          heapUsed: round1(mem.heapUsed / MB),
          external: round1(mem.external / MB),
        },
      },
      database: {
        status: db.status,
        connections: 1,
        response_time: round1(db.response_time_ms),
        kind: db.kind,
        reachable: db.status === 'connected',
      },
      instance,
      websocket: {
        active_connections: ctx.realtime.active(),
        by_transport: { ...ctx.realtime.activeByTransport() },
        total_connections: ctx.realtime.total(),
        rooms: ctx.realtime.rooms(),
        events_per_minute: ctx.realtime.eventsPerMinute(),
      },
    };
  };

  // Behind a load balancer the body is not always read (HEAD probes, nginx logs): the header names the instance.
  const answeredBy = (reply: FastifyReply) => void reply.header('x-outpost-instance', instance.id);

  // A degraded database answers 503 so load balancers and the agent's connectivity probe see it.
  for (const url of ['/health', '/api/health']) {
    r.get(
      url,
      { schema: { tags: ['health'], response: { 200: HealthResponse, 503: HealthResponse } } },
      async (_q, reply) => {
        const body = await health();
        answeredBy(reply);
        return reply.code(body.status === 'healthy' ? 200 : 503).send(body);
      },
    );
  }
  // Public by default, as seed 003 has them; OUTPOST_METRICS_REQUIRE_KEY=1 puts them behind X-API-Key, since
  // they tell an outsider the versions, the load and how many stations are connected.
  const operatorOnly = ctx.config.metricsRequireKey
    ? { onRequest: ctx.adminGuard, config: { access: 'view' as const } }
    : {};
  for (const url of ['/status', '/api/status']) {
    r.get(
      url,
      { ...operatorOnly, schema: { tags: ['health'], response: { 200: StatusResponse } } },
      async (_q, reply) => {
        answeredBy(reply);
        return status();
      },
    );
  }

  r.get('/', { schema: { tags: ['health'], response: { 200: RootResponse } } }, async (request) => {
    const host = request.headers.host ?? `${ctx.config.host}:${ctx.config.port}`;
    return {
      service: 'Outpost Server',
      message: 'Outpost server is running',
      version: ctx.config.version,
      environment: ctx.config.environment,
      timestamp: new Date().toISOString(),
      endpoints: {
        health: '/health',
        status: '/status',
        metrics: '/metrics',
        openapi: '/api/openapi.json',
        api_health: '/api/health',
        api_status: '/api/status',
        plugins: '/api/plugins',
        heartbeat: '/api/heartbeat',
        devices: '/api/devices/:device_key',
        admin_devices: '/api/admin/devices',
      },
      websocket: { url: `ws://${host}/ws`, path: '/ws', transports: ['websocket'] },
      socketio: { url: `http://${host}`, path: '/socket.io/', transports: ['websocket', 'polling'] },
    };
  });

  app.get('/metrics', { ...operatorOnly, schema: { hide: true } }, async (_q, reply) => {
    // The database is probed on scrape, like /health, so `outpost_database_up` is never a stale figure.
    const db = await ctx.store.ping();
    ctx.metrics.databaseUp.set({ store: db.kind }, db.status === 'connected' ? 1 : 0);
    answeredBy(reply);
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
};
