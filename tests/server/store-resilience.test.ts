import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src-main/server/errors.js';
import type { PostgresStore } from '../../src-main/server/store/postgres/index.js';
import { withPg } from '../helpers/pg.js';
import { inAnHour, openFleet, STORE_KINDS, type StoreFleet } from './store-helpers.js';

/**
 * An unlucky operator's PostgreSQL: connections dropped under a running instance (a restart, a failover, an
 * idle timeout in a proxy). The instance must answer 503, never a 500 with SQL text, and recover by itself.
 */
describe.skipIf(!STORE_KINDS.includes('postgres'))(
  'PostgreSQL connections dropped under a running store',
  () => {
    let fleet: StoreFleet;
    afterEach(async () => {
      await fleet.dispose();
    });

    const killServerConnections = (url: string, name: string) =>
      withPg(url, (c) =>
        c.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'outpost'",
          [name],
        ),
      );

    it('a query whose connection is killed answers SERVICE_UNAVAILABLE; the pool replaces it, idle ones too', async () => {
      fleet = await openFleet('postgres');
      const store = await fleet.open();
      const name = new URL(fleet.url!).pathname.slice(1);
      await store.users.count();
      // Idle connections killed: the next query gets a fresh one.
      await killServerConnections(fleet.url!, name);
      await expect.poll(() => store.users.count().catch((e: unknown) => e)).toBe(0);
      // A query in flight when its connection dies.
      const slow = (store as PostgresStore).db.query('SELECT pg_sleep(5)').catch((e: unknown) => e);
      await expect
        .poll(
          async () =>
            (
              await withPg(fleet.url!, (c) =>
                c.query(
                  "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep%'",
                  [name],
                ),
              )
            ).rows.length,
        )
        .toBe(1);
      await killServerConnections(fleet.url!, name);
      const err = await slow;
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('SERVICE_UNAVAILABLE');
      expect((err as AppError).message).not.toMatch(/pg_sleep|terminat/i);
      expect((await store.ping()).status).toBe('connected');
    });

    it('heartbeats whose flush fails are kept and written by the next flush', async () => {
      fleet = await openFleet('postgres', { heartbeatFlushMs: 3_600_000 });
      const store = await fleet.open();
      await store.devices.create({
        device_key: 'keep',
        note: null,
        token_hash: 't',
        token_expires_at: inAnHour(),
      });
      const t = '2026-07-07T07:07:07.000Z';
      store.devices.recordHeartbeat('keep', { last_seen: t, info: { mac: 'M' } });
      // Break the flush: the heartbeat table is locked (a DBA's ALTER, a long migration elsewhere) and the
      // waiting flush is cancelled.
      await withPg(fleet.url!, async (c) => {
        await c.query('BEGIN');
        await c.query('LOCK TABLE device_heartbeats IN ACCESS EXCLUSIVE MODE');
        const failing = store.devices.flush().catch((e: unknown) => e);
        await expect
          .poll(async () => {
            const r = await withPg(fleet.url!, (w) =>
              w.query(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%device_heartbeats%'",
              ),
            );
            // Cancel the waiting flush, as a statement_timeout or a DBA would.
            for (const { pid } of r.rows) await cancelBackend(fleet.url!, pid as number);
            return r.rows.length;
          })
          .toBeGreaterThan(0);
        expect(await failing).toBeInstanceOf(Error);
        await c.query('ROLLBACK');
      });
      // Still visible to reads, and the next flush writes it.
      expect((await store.devices.get('keep'))!.last_seen).toBe(t);
      await store.devices.flush();
      const other = await fleet.open();
      expect(await other.devices.get('keep')).toMatchObject({ last_seen: t, mac: 'M' });
    });
  },
);

const cancelBackend = (url: string, pid: number) =>
  withPg(url, (c) => c.query('SELECT pg_cancel_backend($1)', [pid]));
