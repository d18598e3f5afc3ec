import cluster, { type Worker } from 'node:cluster';
import { bootstrapAdmin } from '../bootstrap.js';
import { resolveServerConfig, type FirstStartNotices } from '../config.js';
import { AppError } from '../errors.js';
import type { ServerConfig } from '../config.js';
import type { Store } from '../store/store.js';
import { createSqliteStore } from '../store/sqlite/index.js';
import type { Runtime } from './runtime.js';
import { createSqliteRuntime } from './sqlite/index.js';

/** What a worker tells the primary once it listens. */
export interface ListeningMessage {
  type: 'outpost:listening';
  url: string;
}

export function isListeningMessage(m: unknown): m is ListeningMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'outpost:listening';
}

export interface PrimaryOptions {
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL URL: the workers share that database instead of the data dir's SQLite files. */
  databaseUrl?: string;
  workers: number;
  env?: NodeJS.ProcessEnv;
  /** One line of operator-facing output (the CLI prints it). */
  say(line: string): void;
}

export interface Primary {
  /** `http://host:port` every worker listens on (one port; node:cluster hands connections round-robin). */
  url: string;
  notices: FirstStartNotices;
  /** SIGTERM to every worker, then wait for them; resolves true when all exited cleanly within `graceMs`. */
  stop(graceMs?: number): Promise<boolean>;
}

/**
 * The one-time work before any worker starts, on the store the workers will use: SQLite in the data dir
 * (config files, migrations, runtime.db) or the PostgreSQL database (migrations under their advisory lock, the
 * fleet's keys, where a generated admin key is announced to this process only). Never both: a fleet on
 * PostgreSQL must not leave a second, unused set of keys in a data dir.
 */
async function prepareStore(
  config: ServerConfig,
  env: NodeJS.ProcessEnv,
): Promise<{ store: Store; runtime: Runtime }> {
  if (!config.databaseUrl) {
    return { store: createSqliteStore(config.dataDir), runtime: await createSqliteRuntime(config) };
  }
  const { createPostgresStore } = await import('../store/postgres/index.js');
  const { defaultRuntime } = await import('./index.js');
  const store = await createPostgresStore({ url: config.databaseUrl, poolMax: 2 });
  try {
    return { store, runtime: await defaultRuntime(config, store, env) };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * `--workers N`: N server processes on one port, each a full instance on the shared store (the SQLite data dir
 * with its shared runtime, or the PostgreSQL database). The primary does the one-time work first (keys,
 * migrations, the first admin), so workers start on a ready store and never race for it; it restarts a worker
 * that dies, and stops them all on a signal. It serves no requests itself.
 */
export async function startPrimary(opts: PrimaryOptions): Promise<Primary> {
  const env = opts.env ?? process.env;
  const { config, notices } = resolveServerConfig({
    host: opts.host,
    port: opts.port,
    dataDir: opts.dataDir,
    databaseUrl: opts.databaseUrl,
    env,
  });
  const { store, runtime } = await prepareStore(config, env);
  try {
    if (runtime.generatedApiKey) notices.generatedApiKey = runtime.generatedApiKey;
    await bootstrapAdmin(store, env, notices).catch((err: unknown) => {
      if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
      delete notices.generatedAdmin;
    });
  } finally {
    await runtime.close().finally(() => store.close());
  }

  let stopping = false;
  // Only a worker that got as far as listening is replaced when it dies: one that fails during start-up would
  // fail again, and replacing it would be a crash loop.
  const listened = new WeakSet<Worker>();
  const fork = (): Worker => {
    const w = cluster.fork();
    w.on('message', (m: unknown) => {
      if (isListeningMessage(m)) listened.add(w);
    });
    return w;
  };
  const first = Array.from({ length: opts.workers }, fork);
  const url = await new Promise<string>((resolve, reject) => {
    let listening = 0;
    for (const w of first) {
      w.on('message', (m: unknown) => {
        if (isListeningMessage(m) && ++listening === opts.workers) resolve(m.url);
      });
      w.once('exit', (code) => {
        if (listening < opts.workers) reject(new Error(`a worker exited (${code}) before listening`));
      });
    }
  }).catch(async (err: unknown) => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    throw err;
  });

  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    if (!listened.has(w)) {
      opts.say(`worker ${w.process.pid} exited (${signal ?? code}) during start-up; not restarting it`);
      return;
    }
    opts.say(`worker ${w.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });

  return {
    url,
    notices,
    async stop(graceMs = 4000) {
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
      const exits = alive.map(
        // A worker still loading when the signal came dies of it before its handlers exist: nothing was in
        // flight there, so that is a clean stop too.
        (w) =>
          new Promise<boolean>((res) => w.once('exit', (code, sig) => res(code === 0 || sig === 'SIGTERM'))),
      );
      for (const w of alive) w.process.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((res) => {
        timer = setTimeout(() => {
          for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
          res(false);
        }, graceMs);
      });
      const clean = await Promise.race([Promise.all(exits).then((r) => r.every(Boolean)), timeout]);
      clearTimeout(timer);
      return clean;
    },
  };
}
