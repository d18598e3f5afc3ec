import type { FastifyInstance } from 'fastify';
import { buildServer } from './app.js';
import { bootstrapAdmin } from './bootstrap.js';
import {
  resolveServerConfig,
  StartFailedWithNotices,
  type FirstStartNotices,
  type ServerConfig,
} from './config.js';
import type { ServerContext } from './context.js';
import { AppError } from './errors.js';
import { createSqliteStore } from './store/sqlite/index.js';
import { defaultRuntime } from './runtime/index.js';
import type { Runtime } from './runtime/runtime.js';
import type { Store } from './store/store.js';

export interface RunningServer {
  app: FastifyInstance;
  ctx: ServerContext;
  config: ServerConfig;
  notices: FirstStartNotices;
  /** `http://host:port` actually bound (port 0 resolves to the ephemeral port). */
  url: string;
  /** Stop accepting, finish in-flight requests, flush and close the store. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  host?: string;
  port?: number;
  dataDir: string;
  /** PostgreSQL URL; default OUTPOST_DATABASE_URL, else SQLite in the data dir. */
  databaseUrl?: string;
  env?: NodeJS.ProcessEnv;
  logger?: boolean | object;
  /** Injected store (PostgreSQL, tests); default SQLite in the data dir. */
  store?: Store;
  /** Injected runtime; default: the one the store calls for (see runtime/index.ts). */
  runtime?: (config: ServerConfig, store: Store) => Runtime | Promise<Runtime>;
}

/** PostgreSQL when a URL is configured (loaded only then), else the embedded SQLite store. */
async function openStore(config: ServerConfig): Promise<Store> {
  if (!config.databaseUrl) return createSqliteStore(config.dataDir);
  const { createPostgresStore } = await import('./store/postgres/index.js');
  return createPostgresStore({ url: config.databaseUrl, poolMax: config.pgPoolMax });
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const env = opts.env ?? process.env;
  const { config, notices } = resolveServerConfig({
    host: opts.host,
    port: opts.port,
    dataDir: opts.dataDir,
    databaseUrl: opts.databaseUrl,
    env,
  });
  const store = opts.store ?? (await openStore(config));
  let runtime: Runtime | undefined;
  try {
    runtime = await (opts.runtime ?? ((c, s) => defaultRuntime(c, s, env)))(config, store);
    if (runtime.generatedApiKey) notices.generatedApiKey = runtime.generatedApiKey;
    await bootstrapAdmin(store, env, notices).catch((err: unknown) => {
      // Another process on the same data dir created the first admin a moment earlier: that one counts.
      if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
      delete notices.generatedAdmin;
    });
    const { app, ctx } = await buildServer({ config, store, runtime, logger: opts.logger });
    const rt = runtime;
    // A keep-alive connection whose request is in flight when close() starts is not idle then, so Fastify's
    // 'idle' sweep skips it and it would hold close() open for the keep-alive timeout (72 s). Responses sent
    // while closing therefore say `Connection: close`, and idle sockets are swept again until close() ends.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    // Callback style: this runs on every response, including 17k heartbeats/s; no promise per request.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) void reply.header('connection', 'close');
      done(null, payload);
    });
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
    let stopping: Promise<void> | undefined;
    return {
      app,
      ctx,
      config: { ...config, port },
      notices,
      url: `http://${hostForUrl}:${port}`,
      stop() {
        stopping ??= (async () => {
          const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
          sweep.unref();
          try {
            await app.close();
          } finally {
            clearInterval(sweep);
            await rt.close().finally(() => store.close());
          }
        })();
        return stopping;
      },
    };
  } catch (err) {
    await runtime?.close();
    await store.close();
    if (notices.generatedAdmin || notices.generatedApiKey) throw new StartFailedWithNotices(err, notices);
    throw err;
  }
}
