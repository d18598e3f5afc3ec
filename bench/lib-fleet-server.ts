/**
 * Child process for the fleet benches: one real server instance (`startServer`, what `npm run server` runs) on
 * BENCH_DATABASE_URL (or SQLite in BENCH_DATA_DIR when it is empty), on BENCH_PORT (0: ephemeral), printing the
 * CLI's `listening on http://…` line. Two switches exist only here, so that the same run can measure what a
 * shared piece of the PostgreSQL runtime costs against the per-process piece it replaces; the server itself
 * always runs the shared one:
 * - BENCH_FANOUT=local: realtime events go to this instance's sockets only (no outbox row, no NOTIFY, and a sync
 *   push no longer waits for its events to be shared). Credential changes still go through the outbox.
 * - BENCH_LIMITER=local: the guess budgets are counted in this process's memory instead of in PostgreSQL.
 */
import { startServer } from '../src-main/server/runner.js';
import { defaultRuntime } from '../src-main/server/runtime/index.js';
import { LocalFanOut, memoryLimiter } from '../src-main/server/runtime/local.js';
import type { Limiter, LimiterName, Runtime } from '../src-main/server/runtime/runtime.js';

const env = process.env;

async function benchRuntime(shared: Runtime): Promise<Runtime> {
  if (env.BENCH_FANOUT !== 'local' && env.BENCH_LIMITER !== 'local') return shared;
  const fanout = env.BENCH_FANOUT === 'local' ? new LocalFanOut() : shared.fanout;
  const local = new Map<LimiterName, Limiter>();
  const limiter: Runtime['limiter'] =
    env.BENCH_LIMITER === 'local'
      ? (name, o) => {
          let l = local.get(name);
          if (!l) local.set(name, (l = memoryLimiter(o)));
          return l;
        }
      : (name, o) => shared.limiter(name, o);
  // The PostgreSQL runtime is a plain object of methods: only these two members change.
  return { ...shared, fanout, limiter };
}

const srv = await startServer({
  host: '127.0.0.1',
  port: Number(env.BENCH_PORT ?? 0),
  dataDir: env.BENCH_DATA_DIR!,
  databaseUrl: env.BENCH_DATABASE_URL || undefined,
  env,
  logger: false,
  runtime: async (config, store) => benchRuntime(await defaultRuntime(config, store, env)),
});
console.log(`Outpost server listening on ${srv.url}`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void srv.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
