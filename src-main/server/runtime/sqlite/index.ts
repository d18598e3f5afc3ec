import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ServerEvent } from '../../../../src-shared/api/realtime.js';
import type { ServerConfig } from '../../config.js';
import { migrate, openDatabase, type Db } from '../../store/sqlite/db.js';
import { loadDataDirKeys } from '../data-dir-keys.js';
import { LocalAuthBus } from '../local.js';
import {
  roomOf,
  type FanOut,
  type Limiter,
  type LimiterName,
  type LocalDelivery,
  type Presence,
  type PresenceRoom,
  type Runtime,
  type RuntimeLog,
  type Singleton,
  type Target,
} from '../runtime.js';
import { sqliteLimiter } from './limiter.js';
import { runtimeMigrations } from './schema.js';

export const RUNTIME_DB_FILE = 'runtime.db';
/** How often an instance reads what the others wrote: the bound on revocation and fan-out delay. */
export const DEFAULT_POLL_MS = 100;
/** An instance not seen for this long is dead: its presence no longer counts and its rows are removed. */
const INSTANCE_TIMEOUT_MS = 10_000;
/** Auth events outlive the auth cache's TTL, so an instance that stalled still sees every change it cached. */
const AUTH_EVENT_RETENTION_MS = 15 * 60_000;
/** Realtime events are for sockets that are connected now; a minute covers any stall a socket survives. */
const REALTIME_EVENT_RETENTION_MS = 60_000;
const BATCH = 1000;

export interface SqliteRuntimeOptions {
  pollMs?: number;
  now?: () => number;
}

/** A singleton whose turn a test can take by hand. */
export interface TurnableSingleton extends Singleton {
  turn(): void;
}

/** The SQLite runtime, plus the hooks a test needs to drive it without waiting. */
export interface SqliteRuntime extends Runtime {
  singleton(name: string, everyMs: number, job: () => Promise<void>): TurnableSingleton;
  /** Reads what other instances wrote since the last poll (the timer calls this every `pollMs`). */
  poll(): void;
  /** Refreshes this instance's liveness and prunes old rows (the timer calls this about once a second). */
  housekeeping(): void;
}

/**
 * Fleet-wide state for several server processes on one data dir (`--workers N`, or two servers started by
 * hand on one directory), through `runtime.db`: credential changes and realtime events are rows each process
 * reads past its own cursor every `pollMs`; guess budgets are shared counters; presence is per-instance socket
 * counts summed over live instances; the keys are the data dir's files, each created once.
 */
export function createSqliteRuntime(config: ServerConfig, opts: SqliteRuntimeOptions = {}): SqliteRuntime {
  const now = opts.now ?? Date.now;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const keys = loadDataDirKeys(config);
  const db = openDatabase(join(config.dataDir, RUNTIME_DB_FILE));
  migrate(db, runtimeMigrations);
  const instanceId = randomBytes(6).toString('hex');
  db.prepare('INSERT INTO instances (id, pid, started_at, seen_at) VALUES (?, ?, ?, ?)').run(
    instanceId,
    process.pid,
    now(),
    now(),
  );
  let log: RuntimeLog = { warn: () => undefined };

  const authBus = new SqliteAuthBus(db, instanceId, now);
  const fanout = new SqliteFanOut(db, instanceId, now);
  const presence = new SqlitePresence(db, instanceId, now);
  const limiters = new Map<LimiterName, Limiter>();

  const pruneStmts = [
    db.prepare('DELETE FROM auth_events WHERE at < ?'),
    db.prepare('DELETE FROM realtime_events WHERE at < ?'),
  ];
  const touch = db.prepare('UPDATE instances SET seen_at = ? WHERE id = ?');
  const reinsert = db.prepare(
    'INSERT OR IGNORE INTO instances (id, pid, started_at, seen_at) VALUES (?, ?, ?, ?)',
  );
  const deadPresence = db.prepare(
    'DELETE FROM presence WHERE instance_id IN (SELECT id FROM instances WHERE seen_at < ?)',
  );
  const deadInstances = db.prepare('DELETE FROM instances WHERE seen_at < ?');
  const expiredCounters = db.prepare('DELETE FROM limiter_counters WHERE reset_at <= ?');

  const housekeeping = db.transaction(() => {
    const t = now();
    // Another process may have declared this one dead after a long stall: come back rather than vanish.
    if (touch.run(t, instanceId).changes === 0) reinsert.run(instanceId, process.pid, t, t);
    pruneStmts[0]!.run(t - AUTH_EVENT_RETENTION_MS);
    pruneStmts[1]!.run(t - REALTIME_EVENT_RETENTION_MS);
    deadPresence.run(t - INSTANCE_TIMEOUT_MS);
    deadInstances.run(t - INSTANCE_TIMEOUT_MS);
    expiredCounters.run(t);
  });

  const poll = () => {
    authBus.poll();
    fanout.poll();
  };

  let ticks = 0;
  const perSecond = Math.max(1, Math.round(1000 / pollMs));
  const timer = setInterval(() => {
    // A failed tick (disk full, a lock held past the busy timeout) is logged and retried on the next one.
    try {
      poll();
      if (++ticks % perSecond === 0) housekeeping();
    } catch (err) {
      log.warn({ err }, 'runtime poll failed');
    }
  }, pollMs);
  timer.unref();
  fanout.onError = (err) => log.warn({ err }, 'realtime event not shared with other instances');

  let closed = false;
  return {
    kind: 'sqlite',
    instanceId,
    fanout,
    presence,
    authEvents: authBus,
    keys,
    limiter(name, o) {
      let l = limiters.get(name);
      if (!l) limiters.set(name, (l = sqliteLimiter(db, name, o, now)));
      return l;
    },
    singleton(name, everyMs, job) {
      return leaseSingleton(db, instanceId, name, everyMs, job, now, () => log);
    },
    bindLogger(l) {
      log = l;
    },
    poll,
    housekeeping,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      try {
        fanout.flush();
        db.transaction(() => {
          db.prepare('DELETE FROM presence WHERE instance_id = ?').run(instanceId);
          db.prepare('DELETE FROM instances WHERE id = ?').run(instanceId);
        })();
      } finally {
        db.close();
      }
    },
  };
}

/** Credential changes as rows: announce = insert (after the store committed), the others read them on poll. */
class SqliteAuthBus extends LocalAuthBus {
  private cursor: number;
  private readonly insert;
  private readonly read;

  constructor(
    db: Db,
    private readonly instanceId: string,
    private readonly now: () => number,
  ) {
    super();
    this.insert = db.prepare('INSERT INTO auth_events (device_key, origin, at) VALUES (?, ?, ?)');
    this.read = db.prepare(
      `SELECT id, device_key, origin FROM auth_events WHERE id > ? ORDER BY id LIMIT ${BATCH}`,
    );
    this.cursor = maxId(db, 'auth_events');
  }

  override async announce(deviceKey: string): Promise<void> {
    // Written before the caller answers, so an acknowledged revoke is always announced to the others.
    this.insert.run(deviceKey, this.instanceId, this.now());
    this.notify(deviceKey);
  }

  poll(): void {
    for (;;) {
      const rows = this.read.all(this.cursor) as { id: number; device_key: string; origin: string }[];
      for (const r of rows) {
        this.cursor = r.id;
        if (r.origin !== this.instanceId) this.notify(r.device_key);
      }
      if (rows.length < BATCH) return;
    }
  }
}

/** Realtime events: delivered here at once, written for the other instances, read back by them on poll. */
class SqliteFanOut implements FanOut {
  private deliver: LocalDelivery = () => undefined;
  private cursor: number;
  private readonly insertAll: (rows: unknown[][]) => void;
  private readonly read;
  private pending: unknown[][] = [];
  onError: (err: unknown) => void = () => undefined;

  constructor(
    db: Db,
    private readonly instanceId: string,
    private readonly now: () => number,
  ) {
    const insert = db.prepare(
      'INSERT INTO realtime_events (origin, target, event, data, at) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertAll = db.transaction((rows: unknown[][]) => {
      for (const r of rows) insert.run(...r);
    });
    this.read = db.prepare(
      `SELECT id, origin, target, event, data FROM realtime_events WHERE id > ? ORDER BY id LIMIT ${BATCH}`,
    );
    this.cursor = maxId(db, 'realtime_events');
  }

  bind(deliver: LocalDelivery): void {
    this.deliver = deliver;
  }

  publish(target: Target, event: ServerEvent, data: unknown): void {
    this.deliver(target, event, data);
    // Written once per tick in one transaction: a sync push raises several events, one commit is enough.
    this.pending.push([this.instanceId, JSON.stringify(target), event, JSON.stringify(data), this.now()]);
    if (this.pending.length === 1) setImmediate(() => this.flush());
  }

  /** The rows are written synchronously, so writing them now is all it takes. */
  shared(): Promise<void> {
    this.flush();
    return Promise.resolve();
  }

  /** Writes what was published this tick (also on close, so nothing published is left behind). */
  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    try {
      this.insertAll(rows);
    } catch (err) {
      // The write that raised the event already committed; failing its request now would make it retry.
      this.onError(err);
    }
  }

  poll(): void {
    for (;;) {
      const rows = this.read.all(this.cursor) as EventRow[];
      for (const r of rows) {
        this.cursor = r.id;
        if (r.origin === this.instanceId) continue;
        this.deliver(JSON.parse(r.target) as Target, r.event as ServerEvent, JSON.parse(r.data));
      }
      if (rows.length < BATCH) return;
    }
  }
}

interface EventRow {
  id: number;
  origin: string;
  target: string;
  event: string;
  data: string;
}

/** Socket counts per (room, instance); fleet-wide figures sum over instances seen recently. */
class SqlitePresence implements Presence {
  private readonly bump;
  private readonly drop;
  private readonly sum;
  private readonly change;

  constructor(
    db: Db,
    private readonly instanceId: string,
    private readonly now: () => number,
  ) {
    this.bump = db.prepare(`
      INSERT INTO presence (room, instance_id, sockets) VALUES (@room, @id, max(@delta, 0))
      ON CONFLICT (room, instance_id) DO UPDATE SET sockets = max(sockets + @delta, 0)`);
    this.drop = db.prepare('DELETE FROM presence WHERE room = ? AND instance_id = ? AND sockets = 0');
    this.sum = db.prepare(`
      SELECT coalesce(sum(p.sockets), 0) AS n FROM presence p JOIN instances i ON i.id = p.instance_id
      WHERE p.room = ? AND i.seen_at >= ?`);
    // One transaction: the count read after the change is the one this change produced.
    this.change = db.transaction((rooms: readonly PresenceRoom[], delta: number): boolean => {
      let flipped = false;
      for (const room of rooms) {
        this.bump.run({ room, id: this.instanceId, delta });
        if (delta < 0) this.drop.run(room, this.instanceId);
        if (room.startsWith('device:')) {
          const n = this.count1(room);
          flipped = delta > 0 ? n === 1 : n === 0;
        }
      }
      return flipped;
    });
  }

  async join(rooms: readonly PresenceRoom[]): Promise<boolean> {
    return this.change(rooms, 1);
  }
  async leave(rooms: readonly PresenceRoom[]): Promise<boolean> {
    return this.change(rooms, -1);
  }
  async count(target: Target): Promise<number> {
    return this.count1(roomOf(target));
  }

  private count1(room: PresenceRoom): number {
    return (this.sum.get(room, this.now() - INSTANCE_TIMEOUT_MS) as { n: number }).n;
  }
}

/**
 * One holder per name through a lease row: a turn renews the lease when this instance holds it or takes it when
 * it expired (one conditional upsert, so two instances never both win), then runs the job. A dead holder's lease
 * runs out after three periods and the next instance to try takes over.
 */
function leaseSingleton(
  db: Db,
  instanceId: string,
  name: string,
  everyMs: number,
  job: () => Promise<void>,
  now: () => number,
  log: () => RuntimeLog,
): TurnableSingleton {
  const claim = db.prepare(`
    INSERT INTO leases (name, holder, expires_at) VALUES (@name, @holder, @expiresAt)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE leases.holder = excluded.holder OR leases.expires_at <= @now
    RETURNING holder`);
  const release = db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?');
  let leader = false;
  let running = false;
  const turn = () => {
    if (running) return;
    try {
      const t = now();
      leader = claim.get({ name, holder: instanceId, expiresAt: t + 3 * everyMs, now: t }) !== undefined;
    } catch (err) {
      leader = false;
      log().warn({ err }, 'singleton lease failed');
      return;
    }
    if (!leader) return;
    running = true;
    job()
      .catch((err: unknown) => log().warn({ err, singleton: name }, 'singleton job failed'))
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(turn, everyMs);
  timer.unref();
  return {
    isLeader: () => leader,
    turn,
    stop() {
      clearInterval(timer);
      if (leader && db.open) release.run(name, instanceId);
      leader = false;
    },
  };
}

function maxId(db: Db, table: 'auth_events' | 'realtime_events'): number {
  return (db.prepare(`SELECT coalesce(max(id), 0) AS n FROM ${table}`).get() as { n: number }).n;
}
