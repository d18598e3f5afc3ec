import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { persistedAudit } from './audit/audit.js';
import { AdminGate } from './auth/admin-gate.js';
import { ApiKeyVerifier } from './auth/api-key.js';
import { JwtService } from './auth/jwt.js';
import { PrincipalGate } from './auth/principal-gate.js';
import type { ServerConfig } from './config.js';
import { noRealtime, type RouteEntry, type ServerContext } from './context.js';
import { capConnectionsPerIp, httpServerOptions } from './connection-limits.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandlers } from './errors.js';
import { installJsonParser } from './json-depth.js';
import { startOfflineSweep } from './devices/offline-sweep.js';
import { ServerMetrics } from './metrics.js';
import { NamedKeys } from './auth/named-keys.js';
import { adminApiKeysPlugin } from './plugins/admin-api-keys.js';
import { adminClientsPlugin } from './plugins/admin-clients.js';
import { adminUsersPlugin } from './plugins/admin-users.js';
import { auditPlugin } from './plugins/audit.js';
import { authPlugin } from './plugins/auth.js';
import { devicesPlugin } from './plugins/devices.js';
import { devicesBulkPlugin } from './plugins/devices-bulk.js';
import { healthPlugin } from './plugins/health.js';
import { notifyPlugin } from './plugins/notify.js';
import { syncPlugin } from './plugins/sync.js';
import { licensesPlugin } from './plugins/licenses.js';
import { systemsPlugin } from './plugins/systems.js';
import { telemetryPlugin } from './plugins/telemetry.js';
import { rateLimitError } from './rate-limiter.js';
import { realtimePlugin } from './realtime/plugin.js';
import { RealtimeSessions } from './realtime/sessions.js';
import { socketIoPlugin } from './realtime/socketio-plugin.js';
import type { Runtime } from './runtime/runtime.js';
import type { Store } from './store/store.js';

export interface BuildOptions {
  config: ServerConfig;
  store: Store;
  /** Fleet-wide state (see runtime/runtime.ts); closing it stays the caller's job, like the store. */
  runtime: Runtime;
  /** pino logger options; false for silence (tests, benchmarks). */
  logger?: boolean | object;
}

/**
 * Builds the server in a fixed order: compilers and error handling → cross-cutting plugins (rate limit,
 * OpenAPI, metrics) → route families. Listening is the caller's job (see runner.ts), so tests and the
 * desktop shell can embed the same instance.
 */
export async function buildServer(opts: BuildOptions): Promise<{ app: FastifyInstance; ctx: ServerContext }> {
  const { config, store, runtime } = opts;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Unknown JSON fields are stripped by the zod schemas; prototype keys are rejected outright.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // Malformed URLs and over-long path params answer our error envelope, not Fastify's.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    forceCloseConnections: 'idle',
    ...httpServerOptions(config.http),
    // Per-request logs at 17k heartbeats/s would cost more than the requests; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();

  runtime.bindLogger(app.log);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  // JSON only: a text/plain body (what a cross-site form can send without preflight) gets 415, not a parse.
  app.removeContentTypeParser('text/plain');
  installJsonParser(app);

  const apiKeys = new ApiKeyVerifier(runtime.keys.apiKeyDigests);
  // Seed 001/003 family: auth, clients, sync, notify, /ws and the admin gate share one JWT service.
  const jwt = new JwtService(
    runtime.keys.jwtSecret,
    config.jwtExpiresSec,
    new PrincipalGate(store, config.authCacheTtlMs, undefined, undefined, runtime.authEvents),
  );
  const namedKeys = new NamedKeys(store.apiKeys, {
    ttlMs: config.authCacheTtlMs,
    bus: runtime.authEvents,
    log: () => app.log,
  });
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method, url: route.url, access: route.config?.access });
  });
  const ctx: ServerContext = {
    config,
    store,
    runtime,
    apiKeys,
    adminGuard: new AdminGate(apiKeys, namedKeys, jwt).guard,
    routes,
    audit: persistedAudit(store.audit),
    metrics: new ServerMetrics({ id: runtime.instanceId, runtime: runtime.kind, store: store.kind }),
    realtime: noRealtime,
    startedAt: new Date(),
  };
  capConnectionsPerIp(app.server, config.http.maxConnectionsPerIp, () =>
    ctx.metrics.connectionsRefused.inc(),
  );

  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.httpRequests.inc({ method: request.method, status: String(reply.statusCode) });
  });

  // Routes opt in with `config: { rateLimit: ... }`; the per-IP default applies to public and auth endpoints.
  await app.register(rateLimit, {
    global: false,
    max: config.rateLimitPerMin,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, c) => rateLimitError(new Date(Date.now() + c.ttl)),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Outpost Server API', version: config.version },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });

  await app.register(healthPlugin, { ctx });
  await app.register(telemetryPlugin, { ctx });
  await app.register(devicesPlugin, { ctx });
  await app.register(devicesBulkPlugin, { ctx });
  const sessions = new RealtimeSessions(ctx, jwt, app.log);
  // Devices silent for 3 intervals are announced once for the fleet, by whichever instance holds the sweep.
  const offline = startOfflineSweep({
    runtime,
    devices: store.devices,
    events: store.deviceEvents,
    publish: (target, event, data) => sessions.hub.publish(target, event, data),
    heartbeatIntervalSec: config.heartbeatIntervalSec,
  });
  app.addHook('onClose', async () => offline.singleton.stop());
  await app.register(realtimePlugin, { ctx, sessions });
  // Seed 003's own clients: the same sessions over socket.io (after /ws, whose upgrade handler it routes around).
  await app.register(socketIoPlugin, { ctx, sessions });
  await app.register(authPlugin, { ctx, jwt });
  await app.register(adminUsersPlugin, { ctx, principals: jwt.principals });
  await app.register(adminClientsPlugin, { ctx, hub: sessions.hub });
  await app.register(syncPlugin, { ctx, jwt, hub: sessions.hub });
  await app.register(notifyPlugin, { ctx, jwt, hub: sessions.hub });
  await app.register(licensesPlugin, { ctx, hub: sessions.hub });
  await app.register(systemsPlugin, { ctx });
  await app.register(adminApiKeysPlugin, { ctx, namedKeys });
  await app.register(auditPlugin, { ctx });
  // Route families (registered here in later steps): telemetry, devices, auth, sync, realtime, licenses.

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return { app, ctx };
}
