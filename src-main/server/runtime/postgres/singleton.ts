import pg from 'pg';
import type { RuntimeLog, Singleton } from '../runtime.js';

/**
 * One leader per name for the fleet: a session-level `pg_try_advisory_lock` held on a connection of its own.
 * PostgreSQL releases it when that connection dies (instance crashed, network cut), and the next instance to
 * try takes over on its next turn. The job itself runs on the pool, never on the lock's connection.
 */
export class PgSingleton implements Singleton {
  private client: pg.Client | undefined;
  private leader = false;
  private running = false;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly name: string,
    everyMs: number,
    private readonly job: () => Promise<void>,
    private readonly log: () => RuntimeLog,
  ) {
    this.timer = setInterval(() => void this.turn(), everyMs);
    this.timer.unref();
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** One turn: become leader if nobody is, then run the job if leader. Tests call it directly. */
  async turn(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      if (!this.leader) this.leader = await this.tryLock();
      if (this.leader) await this.job();
    } catch (err) {
      this.log().warn({ err, singleton: this.name }, 'singleton turn failed');
    } finally {
      this.running = false;
    }
  }

  private async tryLock(): Promise<boolean> {
    if (!this.client) {
      const c = new pg.Client({ connectionString: this.url });
      c.on('error', () => this.lost(c));
      c.on('end', () => this.lost(c));
      await c.connect();
      this.client = c;
    }
    const r = await this.client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
      [`outpost-singleton:${this.name}`],
    );
    return r.rows[0]!.ok;
  }

  /** The lock's connection is gone, and the lock with it: stop acting as leader at once. */
  private lost(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = undefined;
    this.leader = false;
    c.end().catch(() => undefined);
  }

  /** The lock connection's backend pid (tests terminate it). */
  async backendPid(): Promise<number | undefined> {
    if (!this.client) return undefined;
    return (await this.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.leader = false;
    const c = this.client;
    this.client = undefined;
    c?.end().catch(() => undefined);
  }
}
