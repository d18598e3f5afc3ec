import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { opKey, type ApplyOp } from '../../src-main/server/store/sync-repo.js';
import type { Store } from '../../src-main/server/store/store.js';
import { inAnHour, openFleet, STORE_KINDS, type StoreFleet } from './store-helpers.js';

/**
 * The races that SQLite's single writer used to settle for free, run against several store instances on one
 * database at once (on PostgreSQL: one pool each, as separate server instances would have). Every PostgreSQL
 * statement here runs at READ COMMITTED, the default; each case says why that is enough.
 */
const copyOp = (clientId: number, device: string, uuid = randomUUID()): ApplyOp => ({
  type: 'copy',
  key: opKey(device, uuid, uuid),
  uuid,
  opId: uuid,
  clientId,
  uid: `uid-${uuid.slice(0, 8)}`,
});
const writeOp = (device: string, uuid = randomUUID()): ApplyOp => ({
  type: 'write',
  key: opKey(device, uuid, uuid),
  uuid,
  opId: uuid,
  payload: '{"x":1}',
});

describe.each(STORE_KINDS)('store atomicity across instances (%s)', (kind) => {
  let fleet: StoreFleet;
  let stores: Store[];
  const open = async (n: number) => {
    fleet = await openFleet(kind);
    stores = [];
    for (let i = 0; i < n; i++) stores.push(await fleet.open());
    return stores;
  };
  afterEach(async () => {
    await fleet.dispose();
  });

  it('one-time token: of 30 concurrent registrations over 3 instances exactly one wins', async () => {
    // READ COMMITTED is enough: the burn is one UPDATE … WHERE token_hash = $t AND token_expires_at > now.
    // Concurrent UPDATEs of the row queue on its row lock; each waiter then re-evaluates the WHERE clause on the
    // committed winner's row version (EvalPlanQual), where token_hash is NULL, and updates nothing.
    const [a] = await open(3);
    await a!.devices.create({
      device_key: 'dev-race',
      note: null,
      token_hash: 'tok',
      token_expires_at: inAnHour(),
    });
    const now = new Date().toISOString();
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % 3]!.devices.register('dev-race', {
          token_hash: 'tok',
          secret_hash: `secret-${i}`,
          now,
          info: { ip_lan: `10.0.0.${i}` },
        }),
      ),
    );
    const winners = outcomes.flatMap((won, i) => (won ? [i] : []));
    expect(winners).toHaveLength(1);
    const row = await stores[2]!.devices.get('dev-race');
    expect(row).toMatchObject({
      status: 'registered',
      secret_hash: `secret-${winners[0]}`,
      token_hash: null,
      used_token_hash: 'tok',
      ip_lan: `10.0.0.${winners[0]}`,
    });
    // The burned token stays burned: a replay on any instance loses.
    expect(
      await stores[1]!.devices.register('dev-race', {
        token_hash: 'tok',
        secret_hash: 'late',
        now,
        info: {},
      }),
    ).toBe(false);
  });

  it('quota: concurrent batches over 3 instances never apply more copies than the quota, never below 0', async () => {
    // READ COMMITTED is enough: a batch first locks its clients' rows (SELECT … FOR UPDATE, in id order), so
    // every other batch for those clients waits for its commit and then reads the committed remaining; the final
    // UPDATE is conditional (remaining >= n) and CHECK (remaining >= 0) backs it up.
    await open(3);
    const client = await stores[0]!.clients.create('Acme', 7);
    const other = await stores[0]!.clients.create('Other', 100);
    const batches = Array.from({ length: 12 }, (_, i) =>
      stores[i % 3]!.sync.applyBatch(
        { deviceId: `station-${i}`, userId: 1, now: new Date().toISOString() },
        // Clients in both orders across batches: locking in id order keeps that free of deadlocks.
        i % 2 === 0
          ? [
              copyOp(client.id, `station-${i}`),
              copyOp(other.id, `station-${i}`),
              copyOp(client.id, `station-${i}`),
            ]
          : [
              copyOp(other.id, `station-${i}`),
              copyOp(client.id, `station-${i}`),
              copyOp(client.id, `station-${i}`),
            ],
      ),
    );
    const outcomes = await Promise.all(batches);
    const applied = outcomes
      .flatMap((o) => o.results)
      .filter((r) => r.status === 'synced' && !r.duplicate).length;
    const exceeded = outcomes.flatMap((o) => o.results).filter((r) => r.error === 'QUOTA_EXCEEDED').length;
    expect(applied).toBe(7 + 12); // 7 for Acme (its whole quota), 12 for Other
    expect(exceeded).toBe(24 - 7);
    expect(await stores[1]!.clients.get(client.id)).toMatchObject({ remaining: 0, used: 7 });
    expect(await stores[2]!.clients.get(other.id)).toMatchObject({ remaining: 88, used: 12 });
    expect((await stores[0]!.sync.listCopies({ clientId: client.id, limit: 100 })).total).toBe(7);
  });

  it('quota: 20 concurrent decrements by 1 of remaining 5 over 4 instances: 5 succeed, remaining 0', async () => {
    // READ COMMITTED is enough: one UPDATE … WHERE remaining + delta >= 0; a waiter re-checks the condition on
    // the committed row version after the row lock is released.
    await open(4);
    const c = await stores[0]!.clients.create('Dec', 5);
    const outs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stores[i % 4]!.clients.addRemaining(c.id, -1)),
    );
    expect(outs.filter((o) => !o.belowZero)).toHaveLength(5);
    expect(outs.filter((o) => o.belowZero)).toHaveLength(15);
    expect((await stores[3]!.clients.get(c.id))!.remaining).toBe(0);
  });

  it('op idempotency: one batch replayed on 3 instances at once is applied once', async () => {
    // READ COMMITTED is enough: UNIQUE (device_id, op_key). A second insert of the same key waits for the first
    // transaction; if it commits, the insert fails with a unique violation, nothing of that batch is applied and
    // it runs again (it then reads the stored result); copies also queue on the client's row lock first.
    await open(3);
    const c = await stores[0]!.clients.create('Replay', 50);
    const d = 'station-r';
    const ops = [copyOp(c.id, d), writeOp(d), copyOp(c.id, d), writeOp(d), copyOp(c.id, d)];
    const by = { deviceId: 'station-r', userId: 1, now: new Date().toISOString() };
    const outcomes = await Promise.all(stores.map((s) => s.sync.applyBatch(by, ops)));
    for (let i = 0; i < ops.length; i++) {
      const fresh = outcomes.filter((o) => !o.results[i]!.duplicate);
      expect(fresh).toHaveLength(1); // exactly one instance applied op i; the others answered its stored result
      for (const o of outcomes) expect(o.results[i]!.status).toBe('synced');
    }
    expect(await stores[1]!.clients.get(c.id)).toMatchObject({ remaining: 47, used: 3 });
    expect((await stores[2]!.sync.listCopies({ deviceId: 'station-r', limit: 100 })).total).toBe(3);
  });

  it('op idempotency: tag writes only (no client row to queue on) replayed on 3 instances at once', async () => {
    // No row lock orders these batches: the loser's INSERT waits for the winner's commit and then hits the unique
    // index, so its transaction is rolled back and run again, and then answers every op as a duplicate.
    await open(3);
    const ops = Array.from({ length: 50 }, () => writeOp('station-w'));
    const by = { deviceId: 'station-w', userId: 1, now: new Date().toISOString() };
    const outcomes = await Promise.all([0, 1, 2, 0, 1, 2].map((i) => stores[i]!.sync.applyBatch(by, ops)));
    for (let i = 0; i < ops.length; i++) {
      expect(outcomes.filter((o) => !o.results[i]!.duplicate)).toHaveLength(1);
    }
  });

  it('an op key repeated inside one batch is applied once', async () => {
    await open(1);
    const c = await stores[0]!.clients.create('Twice', 5);
    const op = copyOp(c.id, 'station-t');
    const out = await stores[0]!.sync.applyBatch(
      { deviceId: 'station-t', userId: 1, now: new Date().toISOString() },
      [op, op],
    );
    expect(out.results.map((r) => r.duplicate)).toEqual([false, true]);
    expect((await stores[0]!.clients.get(c.id))!.remaining).toBe(4);
  });

  it('the same uuid from two devices is two ops (idempotency is per device)', async () => {
    await open(2);
    const c = await stores[0]!.clients.create('PerDevice', 5);
    const uuid = randomUUID();
    const now = new Date().toISOString();
    const [a, b] = await Promise.all([
      stores[0]!.sync.applyBatch({ deviceId: 'st-a', userId: 1, now }, [copyOp(c.id, 'st-a', uuid)]),
      stores[1]!.sync.applyBatch({ deviceId: 'st-b', userId: 1, now }, [copyOp(c.id, 'st-b', uuid)]),
    ]);
    expect([a.results[0]!.duplicate, b.results[0]!.duplicate]).toEqual([false, false]);
    expect((await stores[0]!.clients.get(c.id))!.remaining).toBe(3);
  });

  it('overlapping batches of one device on 2 instances at once: each op counted once, quota exact, never below 0', async () => {
    // READ COMMITTED is enough. Batches with copies lock the client's row first, before any op is read, so they
    // are ordered; the ops a batch finds stored are answered as replays, without quota.
    // Tag-write-only batches take no lock at all: a batch that meets a write stored after it looked is rolled
    // back whole and run again, so nothing is counted twice there either.
    await open(2);
    const quota = 30;
    const c = await stores[0]!.clients.create('Overlap', quota);
    const d = 'station-o';
    const ops: ApplyOp[] = Array.from({ length: 60 }, (_, i) => (i % 6 === 5 ? writeOp(d) : copyOp(c.id, d)));
    const copies = ops.filter((o) => o.type === 'copy').length;
    // 8 windows of 24 ops, 8 apart: every op is in 2-3 batches; odd windows reversed, so the same ops arrive in
    // different orders in the batches that race for them.
    const windows = Array.from({ length: 8 }, (_, w) => {
      const win = ops.slice(w * 8, w * 8 + 24);
      return w % 2 === 1 ? [...win].reverse() : win;
    });
    // Plus tag-write-only batches, which take no client lock: they race the windows for the same writes.
    const writes = ops.filter((o) => o.type === 'write');
    windows.push(writes, [...writes].reverse(), writes, [...writes].reverse());
    const by = { deviceId: d, userId: 1, now: new Date().toISOString() };
    const outcomes = await Promise.all(windows.map((win, w) => stores[w % 2]!.sync.applyBatch(by, win)));

    const answers = new Map<string, { status: string; error: string | null; fresh: number }>();
    outcomes.forEach((o, w) =>
      o.results.forEach((r, i) => {
        const key = windows[w]![i]!.key;
        const a = answers.get(key) ?? { status: r.status, error: r.error, fresh: 0 };
        // A replay answers the first stored result, whichever instance stored it.
        expect({ status: r.status, error: r.error }).toEqual({ status: a.status, error: a.error });
        if (!r.duplicate) a.fresh++;
        answers.set(key, a);
      }),
    );
    expect(answers.size).toBe(ops.length);
    for (const a of answers.values()) expect(a.fresh).toBe(1);
    const copyAnswers = ops.filter((o) => o.type === 'copy').map((o) => answers.get(o.key)!);
    expect(copyAnswers.filter((a) => a.status === 'synced')).toHaveLength(quota);
    expect(copyAnswers.filter((a) => a.error === 'QUOTA_EXCEEDED')).toHaveLength(copies - quota);
    for (const o of outcomes)
      for (const ch of o.changedClients) expect(ch.remaining).toBeGreaterThanOrEqual(0);
    expect(await stores[1]!.clients.get(c.id)).toMatchObject({ remaining: 0, used: quota });
    expect((await stores[0]!.sync.listCopies({ deviceId: d, limit: 100 })).total).toBe(quota);

    // One more batch mixing stored ops with new ones, after quota is added: the stored ones keep their first
    // result (even a QUOTA_EXCEEDED one) and take nothing; only the new copies are counted.
    await stores[0]!.clients.addRemaining(c.id, 5);
    const fresh = [copyOp(c.id, d), writeOp(d), copyOp(c.id, d)];
    const mixed = [ops[0]!, fresh[0]!, ops[59]!, fresh[1]!, ops[58]!, fresh[2]!, fresh[0]!];
    const out = await stores[1]!.sync.applyBatch(by, mixed);
    expect(out.results.map((r) => r.duplicate)).toEqual([true, false, true, false, true, false, true]);
    expect(out.results[2]).toMatchObject({ status: answers.get(ops[59]!.key)!.status });
    expect(out.results[4]).toMatchObject({ status: answers.get(ops[58]!.key)!.status });
    expect(out.changedClients).toEqual([{ id: c.id, name: 'Overlap', remaining: 3, used: quota + 2 }]);
    expect(await stores[0]!.clients.get(c.id)).toMatchObject({ remaining: 3, used: quota + 2 });
  });

  // PostgreSQL only: the interleaving is forced with two raw transactions, which SQLite's single writer cannot have.
  if (kind === 'postgres')
    it('an op stored by another transaction after the replay lookup makes the batch run again: not lost, not doubled', async () => {
      // The batch [x, y] first meets x, held by transaction A: it waits, A commits, the unique index rejects x
      // and the batch is decided again with a lookup of stored ops, which sees x but not y (B has not
      // committed). Its insert of y then waits for B; B commits; that unique violation leaves the store's
      // statement with nothing applied, and the store runs the batch again, which answers both as replays.
      await open(1);
      const d = 'station-race';
      const [x, y] = [writeOp(d), writeOp(d)];
      const a = new pg.Client({ connectionString: fleet.url });
      const b = new pg.Client({ connectionString: fleet.url });
      const watch = new pg.Client({ connectionString: fleet.url });
      await Promise.all([a.connect(), b.connect(), watch.connect()]);
      try {
        const hold = async (c: pg.Client, op: ApplyOp) => {
          await c.query('BEGIN');
          await c.query(
            `INSERT INTO sync_ops (device_id, op_key, user_id, op_id, uuid, type, status, payload, created_at)
             VALUES ($1, $2, 1, $3, $4, 'write', 'synced', '{"x":1}', now())`,
            [d, op.key, op.opId, op.uuid],
          );
          return (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        };
        const [pidA, pidB] = [await hold(a, x), await hold(b, y)];
        /** Resolves once some backend waits for `holder`'s transaction. */
        const waitedOn = async (holder: number) => {
          for (let i = 0; i < 1000; i++) {
            const r = await watch.query(
              'SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)) LIMIT 1',
              [holder],
            );
            if (r.rowCount) return;
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          throw new Error(`nothing waited for backend ${holder}`);
        };
        const by = { deviceId: d, userId: 1, now: new Date().toISOString() };
        const pushing = stores[0]!.sync.applyBatch(by, [x, y]);
        await waitedOn(pidA);
        await a.query('COMMIT');
        await waitedOn(pidB);
        await b.query('COMMIT');
        const out = await pushing;
        expect(out.results).toEqual([
          { status: 'synced', error: null, duplicate: true },
          { status: 'synced', error: null, duplicate: true },
        ]);
        const rows = await watch.query('SELECT count(*)::int AS n FROM sync_ops WHERE device_id = $1', [d]);
        expect(rows.rows[0].n).toBe(2);
      } finally {
        await Promise.all([a.end(), b.end(), watch.end()]);
      }
    });

  it('station binding: two users claiming one device id at once on two instances get one owner', async () => {
    // READ COMMITTED is enough: the loser's INSERT … ON CONFLICT DO NOTHING waits for the winner's commit; its
    // next statement (a new snapshot) reads the winner as the owner.
    await open(2);
    const now = new Date().toISOString();
    const u1 = await stores[0]!.users.create({ username: 'st1', password_hash: 'x', role: 'station' });
    const u2 = await stores[1]!.users.create({ username: 'st2', password_hash: 'x', role: 'station' });
    const owners = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stores[i % 2]!.bindings.claim('station-x', i % 2 === 0 ? u1.id : u2.id, now),
      ),
    );
    expect(new Set(owners).size).toBe(1);
    expect(await stores[1]!.bindings.ownerOf('station-x')).toBe(owners[0]);
    expect(await stores[0]!.users.remove(owners[0]!)).toBe(true);
    expect(await stores[1]!.bindings.ownerOf('station-x')).toBeUndefined();
  });

  it('license seats: 12 machines activating a 2-seat license at once on 3 instances → exactly 2 seats', async () => {
    // READ COMMITTED is enough: each activation first locks the license row (SELECT … FOR UPDATE). Activations
    // of one license therefore run one after another across instances, and the seat COUNT, a new statement
    // after the lock, sees every seat committed by the ones before.
    await open(3);
    const now = new Date().toISOString();
    await stores[0]!.licenses.create({
      id: randomUUID(),
      license_key: 'PROGRAN3-2026-AAAAAA-BBBBBB',
      duration_days: 30,
      max_machines: 2,
      description: null,
      now,
    });
    const outs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        stores[i % 3]!.licenses.activate({
          license_key: 'PROGRAN3-2026-AAAAAA-BBBBBB',
          email: `u${i}@example.com`,
          fingerprint: `fp-${i}`,
          now,
        }),
      ),
    );
    expect(outs.filter((o) => o.kind === 'ok')).toHaveLength(2);
    expect(outs.filter((o) => o.kind === 'in_use')).toHaveLength(10);
    const lic = await stores[1]!.licenses.findByKey('PROGRAN3-2026-AAAAAA-BBBBBB');
    expect(lic).toMatchObject({ machines: 2, status: 'active' });
  });

  it('license seats: one machine activating on 3 instances at once takes one seat, every call succeeds', async () => {
    await open(3);
    const now = new Date().toISOString();
    const id = randomUUID();
    await stores[0]!.licenses.create({
      id,
      license_key: 'PROGRAN3-2026-CCCCCC-DDDDDD',
      duration_days: 30,
      max_machines: 1,
      description: null,
      now,
    });
    const outs = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        stores[i % 3]!.licenses.activate({
          license_key: 'PROGRAN3-2026-CCCCCC-DDDDDD',
          email: 'same@example.com',
          fingerprint: 'fp-same',
          now,
        }),
      ),
    );
    expect(outs.every((o) => o.kind === 'ok')).toBe(true);
    expect(outs.filter((o) => o.kind === 'ok' && o.newSeat)).toHaveLength(1);
    expect((await stores[2]!.licenses.findById(id))!.machines).toBe(1);
  });
});
