/**
 * `npm run server -- [--host 127.0.0.1] [--port 8787] [--data-dir ./data] [--workers N] [--database-url postgres://…]`
 * Starts the standalone server (SQLite in the data dir, or PostgreSQL with a database URL) and prints
 * `listening on http://HOST:PORT` (tools and tests rely on it). With `--workers N` (node:cluster) N server
 * processes share the port and the store; this process then only supervises them.
 */
import cluster from 'node:cluster';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer, type RunningServer } from '../server/runner.js';
import { StartFailedWithNotices } from '../server/config.js';
import { startPrimary, type ListeningMessage, type Primary } from '../server/runtime/workers.js';
import { describeUrl } from '../server/store/postgres/describe-url.js';

const USAGE =
  'usage: npm run server -- [--host 127.0.0.1] [--port 8787] [--data-dir ./data] [--database-url postgres://…] [--workers 1] [--quiet]';

/**
 * `npm run server -- migrate-to-postgres --from DATA_DIR --database-url postgres://…`: copies an embedded server's
 * data and keys into an empty PostgreSQL database (see store/migrate/sqlite-to-postgres.ts). Stop the embedded
 * server first: rows written to server.db after the copy are not carried over.
 */
async function migrateToPostgres(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { from: { type: 'string' }, 'database-url': { type: 'string' } },
    strict: true,
  });
  const url = values['database-url'] || process.env.OUTPOST_DATABASE_URL;
  if (!values.from || !url) {
    throw new Error(
      'usage: npm run server -- migrate-to-postgres --from DATA_DIR --database-url postgres://…',
    );
  }
  const { migrateSqliteToPostgres } = await import('../server/store/migrate/sqlite-to-postgres.js');
  const report = await migrateSqliteToPostgres({ dataDir: resolve(values.from), databaseUrl: url });
  for (const [table, n] of Object.entries(report.tables)) console.log(`${table}: ${n} rows`);
  console.log(`keys: ${report.keys.join(', ') || '(none)'}`);
  console.log(`copied ${resolve(values.from)} to PostgreSQL ${describeUrl(url)}`);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'migrate-to-postgres') return migrateToPostgres(process.argv.slice(3));
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8787' },
      'data-dir': { type: 'string', default: './data' },
      workers: { type: 'string', default: '1' },
      'database-url': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port '${values.port}'`);
  const workers = /^\d{1,3}$/.test(values.workers) ? Number(values.workers) : NaN;
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new Error(`invalid --workers '${values.workers.slice(0, 16)}' (1..256)`);
  }
  const dataDir = resolve(values['data-dir']);
  if (workers > 1 && cluster.isPrimary) {
    return supervise({ host: values.host, port, dataDir, databaseUrl: values['database-url'], workers });
  }

  // Signal handlers go in before anything else: a supervisor (or a test) that signals as soon as it reads the
  // `listening on` line, or during start-up, must get a clean shutdown, never the default kill.
  const state: { server?: RunningServer; signalled?: string } = {};
  const onSignal = (signal: string) => {
    if (state.signalled) return;
    state.signalled = signal;
    if (state.server) shutdown(state.server, signal);
    // Still starting: main() shuts down as soon as startServer() returns.
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  watchNpmParent(() => onSignal('parent exited'));
  // A worker whose primary is gone can no longer be reached by anyone: stop like on a signal.
  if (cluster.isWorker) process.on('disconnect', () => onSignal('primary exited'));

  const server = await startServer({
    host: values.host,
    port,
    dataDir,
    databaseUrl: values['database-url'],
    logger: values.quiet ? false : { level: process.env.OUTPOST_LOG_LEVEL ?? 'info' },
  });
  state.server = server;
  // Generated credentials exist only now and only here: print them even if a signal came during start-up.
  printNotices(server.notices);
  if (state.signalled) {
    shutdown(server, state.signalled);
    return;
  }
  if (cluster.isWorker) {
    // The primary prints the one `listening on` line once every worker is up.
    const msg: ListeningMessage = { type: 'outpost:listening', url: server.url };
    process.send?.(msg);
    return;
  }
  const where = server.config.databaseUrl
    ? `PostgreSQL ${describeUrl(server.config.databaseUrl)}`
    : `data dir ${server.config.dataDir}`;
  console.log(`Outpost server listening on ${server.url} (${where})`);
}

function printNotices(notices: RunningServer['notices']): void {
  if (notices.generatedApiKey) {
    console.log(`Generated admin API key (shown once, stored only as a hash): ${notices.generatedApiKey}`);
  }
  if (notices.generatedAdmin) {
    console.log(
      `Created admin user '${notices.generatedAdmin.username}' with password (shown once): ${notices.generatedAdmin.password}`,
    );
  }
}

/** `--workers N`: prepare the data dir, start N workers, print one `listening on` line, stop them on a signal. */
async function supervise(opts: {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  workers: number;
}): Promise<void> {
  const state: { primary?: Primary; signalled?: string } = {};
  const onSignal = (signal: string) => {
    if (state.signalled) return;
    state.signalled = signal;
    if (state.primary) stopWorkers(state.primary, signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  watchNpmParent(() => onSignal('parent exited'));
  const primary = await startPrimary({ ...opts, say: (line) => console.log(line) });
  state.primary = primary;
  printNotices(primary.notices);
  if (state.signalled) return stopWorkers(primary, state.signalled);
  const url = opts.databaseUrl || process.env.OUTPOST_DATABASE_URL;
  const where = url ? `PostgreSQL ${describeUrl(url)}` : `data dir ${opts.dataDir}`;
  console.log(`Outpost server listening on ${primary.url} (${where}, ${opts.workers} workers)`);
}

function stopWorkers(primary: Primary, signal: string): void {
  console.log(`${signal}: stopping the workers`);
  primary.stop(4000).then(
    (clean) => process.exit(clean ? 0 : 1),
    (err: unknown) => {
      console.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

/**
 * Under `npm run server`, a SIGTERM sent to npm reaches only the `sh -c` npm spawned: the shell dies and this
 * process would live on as an orphan, holding the port and the database. When npm started us and our parent goes
 * away, shut down as if signalled. (A server started directly, e.g. by a supervisor or `nohup`, is left alone.)
 */
function watchNpmParent(onOrphaned: () => void): void {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, 500);
  timer.unref();
}

/** Stop accepting, finish in-flight requests, close the database; exit 0, or 1 if that fails or hangs. */
function shutdown(server: RunningServer, signal: string): void {
  console.log(`${signal}: finishing in-flight requests and closing the database`);
  // Hard stop if something hangs: the contract is exit within 5 s.
  setTimeout(() => {
    console.error('shutdown took longer than 4.5 s, exiting');
    process.exit(1);
  }, 4500).unref();
  server.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

main().catch((err: unknown) => {
  // Stored already and never generated again: shown once even though this start failed.
  if (err instanceof StartFailedWithNotices) printNotices(err.notices);
  console.error(`outpost server: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
