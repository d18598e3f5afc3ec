import pg from 'pg';
import type { RuntimeLog } from '../runtime.js';

export const CHANNEL = 'outpost_runtime';
/** A missing id (a transaction that took it has not committed yet) is waited for this long, then given up. */
const GAP_WAIT_MS = 5_000;
/** Gaps wider than this are not tracked id by id (a bulk delete, a restored database): read on. */
const MAX_TRACKED_GAP = 1_000;
const BATCH = 1_000;

export interface EventRow {
  id: number;
  origin: string;
  kind: string;
  payload: unknown;
}

/**
 * The fleet's event log over `runtime_events`: writers append rows (batched per tick, one INSERT) and then send
 * a standalone NOTIFY, after the INSERT committed and never inside any transaction (NOTIFY takes an
 * instance-wide lock at commit; inside a write transaction it would serialise every notifying writer). Readers
 * are woken by LISTEN on a connection of their own, straight to PostgreSQL (LISTEN does not survive a
 * transaction-mode pooler), and read rows past their own cursor, so a payload is never bound by NOTIFY's 8 kB
 * and a reader whose connection dropped replays what it missed once it is back. A fallback poll bounds the delay
 * if a notification is lost.
 * Identity ids are taken at INSERT but become visible at COMMIT, so a row can appear behind the cursor: ids
 * skipped over are remembered and looked for again for a few seconds.
 */
export class PgEventLog {
  private cursor = 0;
  private readonly missing = new Map<number, number>();
  private reading: Promise<void> | undefined;
  private again = false;
  private pending: { kind: string; payload: string }[] = [];
  private flushing: Promise<void> | undefined;
  private notifying: Promise<void> | undefined;
  private notifyAgain = false;
  private listener: pg.Client | undefined;
  private listenerBackend = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Times the listening connection was (re)established; tests watch it. */
  connects = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly listenUrl: string,
    private readonly origin: string,
    private readonly onRow: (row: EventRow) => void,
    private readonly now: () => number,
    private readonly log: () => RuntimeLog,
    private readonly fallbackPollMs: number,
  ) {}

  async start(): Promise<void> {
    const r = await this.pool.query<{ n: string }>(
      'SELECT coalesce(max(id), 0)::text AS n FROM runtime_events',
    );
    this.cursor = Number(r.rows[0]!.n);
    await this.connectListener();
    this.pollTimer = setInterval(
      () => void this.poll().catch(this.warn('runtime poll failed')),
      this.fallbackPollMs,
    );
    this.pollTimer.unref();
  }

  /** Appends a row; resolves once it is committed (the other instances are notified after, see notify()). */
  append(kind: string, payload: unknown): Promise<void> {
    this.pending.push({ kind, payload: JSON.stringify(payload) });
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
    return this.flushing;
  }

  /** Resolves once every row appended so far is committed or its append failed (failures are logged by the caller). */
  appended(): Promise<void> {
    return this.flushing?.catch(() => undefined) ?? Promise.resolve();
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.flushing = undefined;
    if (batch.length === 0) return;
    await this.pool.query(
      `INSERT INTO runtime_events (origin, kind, payload, at)
       SELECT $1, k, p::json, $4 FROM unnest($2::text[], $3::text[]) AS t(k, p)`,
      [this.origin, batch.map((b) => b.kind), batch.map((b) => b.payload), this.now()],
    );
    this.notify();
  }

  /**
   * The wake-up for the other instances, off the write path: the append's caller (a push waiting to answer)
   * needs the row committed, not the NOTIFY, which is one more round trip and commit (it takes an xid) and would
   * only add to its latency; a lost one is covered by the readers' fallback poll. Its own statement on an idle
   * connection, autocommit, after the INSERT committed. One at a time: readers read everything past their
   * cursor, so flushes committed while one is in flight need one more NOTIFY after it, not one each.
   * Also called after a Store write committed rows it inserted into the outbox in its own transaction.
   */
  notify(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = (async () => {
      try {
        do {
          this.notifyAgain = false;
          await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, this.origin]);
        } while (this.notifyAgain);
      } catch (err) {
        this.log().warn({ err }, 'runtime notification not sent');
      } finally {
        this.notifying = undefined;
      }
    })();
  }

  /** Reads everything past the cursor (and any gap that has filled since); concurrent calls share one read. */
  poll(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.again = false;
          while ((await this.readOnce()) === BATCH);
        } while (this.again);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private async readOnce(): Promise<number> {
    const t = this.now();
    for (const [id, since] of this.missing) if (t - since > GAP_WAIT_MS) this.missing.delete(id);
    const gaps = [...this.missing.keys()];
    // The id travels as text (a pool may parse int8 either way); ordering is by the bigint column itself.
    // This instance's own rows are read only for their ids (the cursor and the gaps must move past them) and
    // dropped: their payloads (a sync push's copy_completed is ~44 kB) would be sent and parsed for nothing.
    const r = await this.pool.query<{ id_text: string; origin: string; kind: string; payload: unknown }>(
      `SELECT e.id::text AS id_text, e.origin, e.kind,
              CASE WHEN e.origin = $3 THEN NULL ELSE e.payload END AS payload
       FROM runtime_events e
       WHERE e.id > $1 OR e.id = ANY($2::bigint[]) ORDER BY e.id LIMIT ${BATCH}`,
      [this.cursor, gaps, this.origin],
    );
    for (const { id_text, ...raw } of r.rows) {
      const id = Number(id_text);
      if (this.missing.delete(id)) {
        this.deliver({ ...raw, id });
        continue;
      }
      if (id <= this.cursor) continue;
      if (id - this.cursor - 1 <= MAX_TRACKED_GAP) {
        for (let g = this.cursor + 1; g < id; g++) this.missing.set(g, t);
      }
      this.cursor = id;
      this.deliver({ ...raw, id });
    }
    return r.rows.length;
  }

  private deliver(row: EventRow): void {
    if (row.origin === this.origin) return;
    try {
      this.onRow(row);
    } catch (err) {
      // One bad row must not stop the reader.
      this.log().warn({ err, event_id: row.id }, 'runtime event not applied');
    }
  }

  private async connectListener(): Promise<void> {
    const c = new pg.Client({ connectionString: this.listenUrl });
    c.on('notification', (n) => {
      if (n.payload !== this.origin) void this.poll().catch(this.warn('runtime poll failed'));
    });
    c.on('error', (err) => {
      this.log().warn({ err }, 'runtime listening connection failed');
      this.dropListener(c);
    });
    c.on('end', () => this.dropListener(c));
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    const pid = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    this.listenerBackend = pid.rows[0]!.pid;
    this.listener = c;
    this.connects++;
  }

  /** The connection is gone: reconnect with a short delay, then read what was missed meanwhile. */
  private dropListener(c: pg.Client): void {
    if (this.listener !== c) return;
    this.listener = undefined;
    c.end().catch(() => undefined);
    this.scheduleReconnect(250);
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectListener()
        .then(() => this.poll())
        .catch((err: unknown) => {
          this.log().warn({ err }, 'runtime listening connection not re-established');
          this.scheduleReconnect(Math.min(delayMs * 2, 5_000));
        });
    }, delayMs);
    this.reconnectTimer.unref();
  }

  /** The listening connection's backend pid (tests terminate it to simulate a dropped connection). */
  listenerPid(): number | undefined {
    return this.listener ? this.listenerBackend : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    await this.flushing?.catch(() => undefined);
    await this.notifying;
    const c = this.listener;
    this.listener = undefined;
    await c?.end().catch(() => undefined);
    await this.reading?.catch(() => undefined);
  }

  private warn(msg: string) {
    return (err: unknown) => this.log().warn({ err }, msg);
  }
}
