import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { ServerEvent } from '../../../../src-shared/api/realtime.js';
import { LocalAuthBus } from '../local.js';
import type { FanOut, Limiter, LimiterName, LocalDelivery, Runtime, RuntimeLog, Target } from '../runtime.js';
import { PgEventLog, type EventRow } from './event-log.js';
import { loadFleetKeys, type FleetKeyInput } from './keys.js';
import { PgLimiterGroup } from './limiter.js';
import { PgPresence } from './presence.js';
import { PgSingleton } from './singleton.js';

export { operatorKeys } from './keys.js';
export { runtimePgMigrations } from './migrations.js';

/** An instance not seen for this long is dead: its presence no longer counts and its rows are removed. */
const INSTANCE_TIMEOUT_MS = 10_000;
/** Auth events outlive the auth cache's TTL; realtime events are for sockets connected now. */
const EVENT_RETENTION_MS = 15 * 60_000;
/** The reader's fallback poll when no notification arrives: the bound on revocation delay if one is lost. */
const FALLBACK_POLL_MS = 500;

export interface PostgresRuntimeOptions {
  /** The Store's pool (same database; the runtime's tables are migrated with the Store's). */
  pool: pg.Pool;
  /** A direct URL to PostgreSQL (not a transaction-mode pooler) for LISTEN and the singleton locks. */
  url: string;
  keys?: FleetKeyInput;
  now?: () => number;
  fallbackPollMs?: number;
  housekeepingMs?: number;
  /** Connections of the guess budgets' own pool (default 4). */
  limiterPoolMax?: number;
}

export interface PostgresRuntime extends Runtime {
  /** A generated admin API key, only on the instance that created it (print once); otherwise undefined. */
  readonly generatedApiKey: string | undefined;
  /** Reads events past the cursor now (the notification / fallback timer does it otherwise). */
  poll(): Promise<void>;
  /** Liveness and pruning (a timer does it about once a second). */
  housekeeping(): Promise<void>;
  /** Tests: the listening connection's backend pid and how often it (re)connected. */
  listener(): { pid: number | undefined; connects: number };
  singleton(name: string, everyMs: number, job: () => Promise<void>): PgSingleton;
}

/** Credential changes through the outbox; this instance's cache is told at once, the others on their read. */
class PgAuthBus extends LocalAuthBus {
  log: PgEventLog | undefined;

  override async announce(deviceKey: string): Promise<void> {
    // Committed before the route answers: an acknowledged revoke is always in the outbox.
    await this.log?.append('auth', { device_key: deviceKey });
    this.notify(deviceKey);
  }
}

/**
 * The runtime of a PostgreSQL fleet: realtime events and credential changes go through the `runtime_events`
 * outbox (NOTIFY after COMMIT, per-instance cursor, replay after a reconnect), guess budgets are fleet-wide
 * counters, presence sums live instances, keys are one row each, and singleton jobs hold an advisory lock.
 */
export async function createPostgresRuntime(opts: PostgresRuntimeOptions): Promise<PostgresRuntime> {
  const { pool } = opts;
  const now = opts.now ?? Date.now;
  const instanceId = `${hostname().slice(0, 32)}-${process.pid}-${randomBytes(3).toString('hex')}`;
  let log: RuntimeLog = { warn: () => undefined };
  const { keys, generatedApiKey } = await loadFleetKeys(pool, opts.keys ?? {});
  await pool.query(
    'INSERT INTO runtime_instances (id, pid, host, started_at, seen_at) VALUES ($1, $2, $3, $4, $4)',
    [instanceId, process.pid, hostname(), now()],
  );

  const auth = new PgAuthBus();
  let deliver: LocalDelivery = () => undefined;
  const onRow = (row: EventRow) => {
    if (row.kind === 'auth') {
      const p = row.payload as { device_key?: unknown };
      if (typeof p.device_key === 'string') auth.notify(p.device_key);
    } else if (row.kind === 'realtime') {
      const p = row.payload as { target: Target; event: ServerEvent; data: unknown };
      deliver(p.target, p.event, p.data);
    }
  };
  const events = new PgEventLog(
    pool,
    opts.url,
    instanceId,
    onRow,
    now,
    () => log,
    opts.fallbackPollMs ?? FALLBACK_POLL_MS,
  );
  await events.start();
  auth.log = events;

  const fanout: FanOut = {
    bind(d) {
      deliver = d;
    },
    shared() {
      return events.appended();
    },
    publish(target, event, data) {
      deliver(target, event, data);
      // The write that raised the event already committed; failing its request now would make it retry.
      events.append('realtime', { target, event, data }).catch((err: unknown) => {
        log.warn({ err }, 'realtime event not shared with other instances');
      });
    },
    // A Store write (a sync push) inserts its `realtime` rows into runtime_events itself, in its own
    // transaction: one commit instead of two, and durable when the write is. Only the wake-up is left here.
    outbox: {
      origin: instanceId,
      at: now,
      committed(raised) {
        for (const e of raised) deliver(e.target, e.event, e.data);
        events.notify();
      },
    },
  };
  const housekeeping = async () => {
    const t = now();
    const seen = await pool.query('UPDATE runtime_instances SET seen_at = $1 WHERE id = $2', [t, instanceId]);
    // Declared dead by another instance after a stall: come back rather than vanish.
    if (seen.rowCount === 0) {
      await pool.query(
        'INSERT INTO runtime_instances (id, pid, host, started_at, seen_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING',
        [instanceId, process.pid, hostname(), t],
      );
    }
    await pool.query('DELETE FROM runtime_events WHERE at < $1', [t - EVENT_RETENTION_MS]);
    await pool.query(
      'DELETE FROM runtime_presence WHERE instance_id IN (SELECT id FROM runtime_instances WHERE seen_at < $1)',
      [t - INSTANCE_TIMEOUT_MS],
    );
    await pool.query('DELETE FROM runtime_instances WHERE seen_at < $1', [t - INSTANCE_TIMEOUT_MS]);
    await pool.query('DELETE FROM runtime_limiter_counters WHERE reset_at <= $1', [t]);
  };
  const hkTimer = setInterval(
    () => void housekeeping().catch((err: unknown) => log.warn({ err }, 'runtime housekeeping failed')),
    opts.housekeepingMs ?? 1000,
  );
  hkTimer.unref();

  // The guess budgets get a small pool of their own: a guarded route's one statement never queues behind the
  // Store's heartbeat flushes and sync transactions, and a flood of guesses cannot take the Store's connections.
  const limiterPool = new pg.Pool({
    connectionString: opts.url,
    max: opts.limiterPoolMax ?? 4,
    application_name: 'outpost-limits',
    idleTimeoutMillis: 30_000,
  });
  // A dropped idle connection is replaced on the next checkout (the failing statement answers 503).
  limiterPool.on('error', () => undefined);
  const limiterGroup = new PgLimiterGroup(limiterPool, now);
  const limiters = new Map<LimiterName, Limiter>();
  const singletons: PgSingleton[] = [];
  let closed = false;
  return {
    kind: 'postgres',
    instanceId,
    fanout,
    presence: new PgPresence(pool, instanceId, now, INSTANCE_TIMEOUT_MS),
    authEvents: auth,
    keys,
    generatedApiKey,
    limiter(name, o) {
      let l = limiters.get(name);
      if (!l) limiters.set(name, (l = limiterGroup.limiter(name, o)));
      return l;
    },
    singleton(name, everyMs, job) {
      const s = new PgSingleton(opts.url, name, everyMs, job, () => log);
      singletons.push(s);
      return s;
    },
    bindLogger(l) {
      log = l;
    },
    poll: () => events.poll(),
    housekeeping,
    listener: () => ({ pid: events.listenerPid(), connects: events.connects }),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(hkTimer);
      for (const s of singletons) s.stop();
      await events.close();
      await pool
        .query('DELETE FROM runtime_presence WHERE instance_id = $1', [instanceId])
        .catch(() => undefined);
      await pool.query('DELETE FROM runtime_instances WHERE id = $1', [instanceId]).catch(() => undefined);
      await limiterPool.end().catch(() => undefined);
    },
  };
}
