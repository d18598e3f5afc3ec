import type pg from 'pg';
import { roomOf, type Presence, type PresenceRoom, type Target } from '../runtime.js';

/**
 * Socket counts per (room, instance) in `runtime_presence`, summed over instances seen within `timeoutMs`. A
 * change to a device room takes a transaction-scoped advisory lock on the room first, so two instances opening
 * (or closing) the device's sockets at the same moment see each other's change and only one announces it.
 */
export class PgPresence implements Presence {
  constructor(
    private readonly pool: pg.Pool,
    private readonly instanceId: string,
    private readonly now: () => number,
    private readonly timeoutMs: number,
  ) {}

  join(rooms: readonly PresenceRoom[]): Promise<boolean> {
    return this.change(rooms, 1);
  }
  leave(rooms: readonly PresenceRoom[]): Promise<boolean> {
    return this.change(rooms, -1);
  }
  async count(target: Target): Promise<number> {
    return this.sum(this.pool, roomOf(target));
  }

  private async change(rooms: readonly PresenceRoom[], delta: 1 | -1): Promise<boolean> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      let flipped = false;
      for (const room of rooms) {
        const device = room.startsWith('device:');
        if (device) await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [room]);
        await client.query(
          `INSERT INTO runtime_presence AS p (room, instance_id, sockets) VALUES ($1, $2, greatest($3, 0))
           ON CONFLICT (room, instance_id) DO UPDATE SET sockets = greatest(p.sockets + $3, 0)`,
          [room, this.instanceId, delta],
        );
        if (delta < 0) {
          await client.query(
            'DELETE FROM runtime_presence WHERE room = $1 AND instance_id = $2 AND sockets = 0',
            [room, this.instanceId],
          );
        }
        if (device) {
          const n = await this.sum(client, room);
          flipped = delta > 0 ? n === 1 : n === 0;
        }
      }
      await client.query('COMMIT');
      return flipped;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async sum(on: pg.Pool | pg.PoolClient, room: PresenceRoom): Promise<number> {
    const r = await on.query<{ n: string }>(
      `SELECT coalesce(sum(p.sockets), 0)::text AS n FROM runtime_presence p
       JOIN runtime_instances i ON i.id = p.instance_id WHERE p.room = $1 AND i.seen_at >= $2`,
      [room, this.now() - this.timeoutMs],
    );
    return Number(r.rows[0]!.n);
  }
}
