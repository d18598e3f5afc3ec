import { randomUUID } from 'node:crypto';
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
    // READ COMMITTED is enough: UNIQUE (device_id, op_key) with INSERT … ON CONFLICT DO NOTHING. A second insert
    // of the same key waits for the first transaction; if it commits, the insert does nothing and the batch runs
    // again (it then reads the stored result); copies also queue on the client's row lock first.
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
    // No row lock orders these batches: the loser's INSERT … ON CONFLICT DO NOTHING stores fewer rows than it
    // expected, so its transaction is rolled back and run again, and then answers every op as a duplicate.
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
