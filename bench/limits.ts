/**
 * `npm run bench -- limits [--devices 20] [--guesses 60] [--requests 1500] [--concurrency 16] [--rounds 2]`
 *
 * Fleet-wide guess budgets on PostgreSQL: three real instances on one fresh database, hit directly round robin
 * (OUTPOST_TRUST_PROXY=1, so each request can name its client address in X-Forwarded-For), and, in the same run,
 * three instances on the same database whose budgets are counted in their own memory
 * (bench/lib-fleet-server.ts BENCH_LIMITER=local), the per-process limiter the shared one replaces.
 * 1. Lockout: for each of `--devices` devices, `--guesses` wrong registration tokens fired at once, spread over
 *    the three instances, each from its own address (so only the device's budget applies); then `--guesses`
 *    wrong tokens from ONE address, each for a different device (only the address's budget applies). Counted:
 *    guesses answered 401 TOKEN_INVALID (evaluated) before the 429s. Target: ≤ configured limit + 10 %
 *    (10 per device, 30 per address; not 3 ×). Also per device, the same guesses one at a time round robin
 *    (what the counter alone does, without requests in flight together).
 * 2. Cost: `--requests` wrong-token registrations per mode and round (never over a budget: fresh devices,
 *    addresses rotating), `--concurrency` in flight, round robin over the mode's instances; p50/p99 of the
 *    guarded route with the shared PostgreSQL counter vs the in-process one, alternating. Target: +≤ 1 ms p99.
 * 3. Where the added time goes: from this process, at the same concurrency, the limiter's own statement (the
 *    guard's chained reservation of a device and an address, on a 4-connection pool like the runtime's) against
 *    a bare `SELECT 1` round trip on the same kind of pool, alternating.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GUESSES_PER_DEVICE, GUESSES_PER_IP } from '../src-main/server/devices/registration-guard.js';
import { tokenHash, newTokenCode } from '../src-main/server/devices/tokens.js';
import pg from 'pg';
import { PgLimiterGroup } from '../src-main/server/runtime/postgres/limiter.js';
import { reserveInOrder } from '../src-main/server/runtime/limiter-steps.js';
import { createBenchDb, loadAverage, type BenchDb } from './lib-pg.js';
import { fmt, httpPool, pct, r1, r3, startInstance, type Instance } from './lib-fleet.js';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    devices: { type: 'string', default: '20' },
    guesses: { type: 'string', default: '60' },
    requests: { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
  },
  strict: true,
});
const DEVICES = Math.max(1, Number(values.devices));
const GUESSES = Math.max(1, Number(values.guesses));
const REQUESTS = Math.max(1, Number(values.requests));
const CONCURRENCY = Math.max(1, Number(values.concurrency));
const ROUNDS = Math.max(1, Number(values.rounds));
/** Devices guessed one request at a time (the budget without concurrency). */
const SEQUENTIAL_DEVICES = 3;
/** Wrong guesses per device in the cost phase: under the budget, so every request takes the full path. */
const COST_PER_DEVICE = GUESSES_PER_DEVICE - 2;

type Pools = ReturnType<typeof httpPool>[];
let ipCounter = 0;
/** A distinct client address per call (10.x.y.z), as nginx would pass it. */
const nextIp = () => {
  const n = ipCounter++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

/**
 * `n` pending devices, each with a live one-time token, written in one statement into the store's tables (the
 * admin route does the same per device; thousands of them over HTTP would take minutes here).
 */
async function createDevices(db: BenchDb, n: number): Promise<{ key: string; token: string }[]> {
  const devices = Array.from({ length: n }, (_, i) => ({ key: `bench-guess-${i}`, token: newTokenCode() }));
  const now = new Date().toISOString();
  await db.client.query(
    `WITH d AS (
       INSERT INTO devices (device_key, status, token_hash, token_expires_at, created_at, updated_at)
       SELECT k, 'pending', h, $3, $4, $4 FROM unnest($1::text[], $2::text[]) AS t(k, h) RETURNING device_key)
     INSERT INTO device_heartbeats (device_key) SELECT device_key FROM d`,
    [
      devices.map((d) => d.key),
      devices.map((d) => tokenHash(d.key, d.token)),
      new Date(Date.now() + 3600_000).toISOString(),
      now,
    ],
  );
  return devices;
}

/** A token of the right shape that is not the device's. */
const wrongToken = (right: string) => (right === '000000' ? '000001' : '000000');

async function guess(
  pool: ReturnType<typeof httpPool>,
  d: { key: string; token: string },
  ip: string,
): Promise<{ status: number; code: string; ms: number }> {
  const t0 = performance.now();
  const r = await pool.post(
    `/api/devices/${d.key}/register`,
    { token_code: wrongToken(d.token) },
    {
      'x-forwarded-for': ip,
    },
  );
  const ms = performance.now() - t0;
  let code = '';
  try {
    code = (JSON.parse(r.text) as { code?: string }).code ?? '';
  } catch {
    /* not JSON: counted by status */
  }
  return { status: r.status, code, ms };
}

interface Lockout {
  perDevice: number[];
  perIp: number;
  /** Per device, the same guesses one after another (round robin over the instances): no request in flight together. */
  sequential: number[];
  other: number;
}

/** Phase 1 on one set of instances: accepted (evaluated) wrong guesses per device and for one address. */
async function lockout(pools: Pools, devices: { key: string; token: string }[]): Promise<Lockout> {
  let other = 0;
  const perDevice = await Promise.all(
    devices.slice(0, DEVICES).map(async (d) => {
      const answers = await Promise.all(
        Array.from({ length: GUESSES }, (_, j) => guess(pools[j % pools.length]!, d, nextIp())),
      );
      other += answers.filter((a) => a.status !== 401 && a.status !== 429).length;
      return answers.filter((a) => a.code === 'TOKEN_INVALID').length;
    }),
  );
  const ip = nextIp();
  const answers = await Promise.all(
    devices.slice(DEVICES, DEVICES + GUESSES).map((d, j) => guess(pools[j % pools.length]!, d, ip)),
  );
  other += answers.filter((a) => a.status !== 401 && a.status !== 429).length;
  const sequential: number[] = [];
  for (const d of devices.slice(DEVICES + GUESSES, DEVICES + GUESSES + SEQUENTIAL_DEVICES)) {
    let accepted = 0;
    for (let j = 0; j < GUESSES; j++) {
      if ((await guess(pools[j % pools.length]!, d, nextIp())).code === 'TOKEN_INVALID') accepted++;
    }
    sequential.push(accepted);
  }
  return { perDevice, perIp: answers.filter((a) => a.code === 'TOKEN_INVALID').length, sequential, other };
}

/** Phase 2: REQUESTS wrong guesses, CONCURRENCY in flight, every one under every budget; latencies in ms. */
async function cost(
  pools: Pools,
  devices: { key: string; token: string }[],
): Promise<{ ms: number[]; bad: number }> {
  const ms: number[] = [];
  let bad = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const d = devices[Math.floor(i / COST_PER_DEVICE)]!;
        const a = await guess(pools[i % pools.length]!, d, nextIp());
        if (a.code !== 'TOKEN_INVALID') bad++;
        ms.push(a.ms);
      }
    }),
  );
  return { ms: ms.sort((x, y) => x - y), bad };
}

/** Phase 3: latencies (ms) of `n` calls of `op`, CONCURRENCY in flight. */
async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        ms.push(performance.now() - t0);
      }
    }),
  );
  return ms.sort((x, y) => x - y);
}

type Shape = 'chain' | 'before' | 'select1';

/**
 * The guard's statement alone, from this process, alternating per round (p50/p99 in ms):
 * - chain: what the guard sends now, one chained reservation of device and address, on the unlogged table;
 * - before: what it sent before, two single reservations in parallel, on the table as it was (logged), so the
 *   difference is the cost of the WAL flush each commit waited for plus the second statement;
 * - select1: a bare round trip on the same kind of pool.
 * Run after the instances are done with the table (SET LOGGED / UNLOGGED rewrite it under an exclusive lock).
 */
async function statementCost(db: BenchDb): Promise<Record<Shape, number[]>> {
  const limiterPool = new pg.Pool({ connectionString: db.url, max: 4 });
  const plainPool = new pg.Pool({ connectionString: db.url, max: 4 });
  try {
    const group = new PgLimiterGroup(limiterPool, Date.now);
    const device = group.limiter('registration-device', { max: GUESSES_PER_DEVICE, windowMs: 15 * 60_000 });
    const byIp = group.limiter('registration-ip', { max: GUESSES_PER_IP, windowMs: 15 * 60_000 });
    const out: Record<Shape, number[][]> = { chain: [], before: [], select1: [] };
    let k = 0;
    const ops: Record<Shape, () => Promise<unknown>> = {
      chain: () =>
        reserveInOrder([
          { limiter: device, key: `cost-dev-${k++}` },
          { limiter: byIp, key: nextIp() },
        ]),
      before: () => Promise.all([device.reserve(`cost-dev-${k++}`), byIp.reserve(nextIp())]),
      select1: () => plainPool.query('SELECT 1'),
    };
    for (let r = 0; r < 2 * ROUNDS + 1; r++) {
      for (const shape of ['chain', 'before', 'select1'] as const) {
        if (shape === 'before') await db.client.query('ALTER TABLE runtime_limiter_counters SET LOGGED');
        // The first round warms the pools and prepared statements and is not counted.
        const ms = await timed(REQUESTS, ops[shape]);
        if (shape === 'before') await db.client.query('ALTER TABLE runtime_limiter_counters SET UNLOGGED');
        if (r > 0) out[shape].push(ms);
      }
    }
    const all = (xs: number[][]) => xs.flat().sort((x, y) => x - y);
    return { chain: all(out.chain), before: all(out.before), select1: all(out.select1) };
  } finally {
    await limiterPool.end();
    await plainPool.end();
  }
}

async function main(): Promise<void> {
  const loads = [loadAverage()];
  console.log(
    `limits bench: 3 instances with the shared PostgreSQL limiter vs 3 with in-process limiters, one database; ${DEVICES} devices × ${GUESSES} concurrent wrong tokens, ${GUESSES} from one address; cost ${fmt(REQUESTS)} requests × ${ROUNDS} rounds per mode, ${CONCURRENCY} in flight; ${cpus().length} CPUs, load ${loads[0]}`,
  );
  const tmp = mkdtempSync(join(tmpdir(), 'outpost-bench-limits-'));
  const db = await createBenchDb('limits');
  const instances: Instance[] = [];
  const pools: Pools = [];
  try {
    const env = { OUTPOST_TRUST_PROXY: '1' };
    const shared = await Promise.all(
      ['s1', 's2', 's3'].map((n) => startInstance(n, { dataDir: join(tmp, n), databaseUrl: db.url, env })),
    );
    instances.push(...shared);
    const local = await Promise.all(
      ['l1', 'l2', 'l3'].map((n) =>
        startInstance(n, {
          dataDir: join(tmp, n),
          databaseUrl: db.url,
          env: { ...env, BENCH_LIMITER: 'local' },
        }),
      ),
    );
    instances.push(...local);
    const sharedPools = shared.map((i) => httpPool(i.url, CONCURRENCY));
    const localPools = local.map((i) => httpPool(i.url, CONCURRENCY));
    pools.push(...sharedPools, ...localPools);

    const costDevices = Math.ceil(REQUESTS / COST_PER_DEVICE);
    const need = 2 * (DEVICES + GUESSES + SEQUENTIAL_DEVICES) + 2 * ROUNDS * costDevices + 2 * costDevices;
    const t0 = performance.now();
    const devices = await createDevices(db, need);
    console.log(`created ${fmt(need)} devices in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    let at = 0;
    const take = (n: number) => devices.slice(at, (at += n));

    const lockShared = await lockout(sharedPools, take(DEVICES + GUESSES + SEQUENTIAL_DEVICES));
    const lockLocal = await lockout(localPools, take(DEVICES + GUESSES + SEQUENTIAL_DEVICES));
    loads.push(loadAverage());
    const summary = (l: Lockout) => ({
      max: Math.max(...l.perDevice),
      mean: l.perDevice.reduce((t, x) => t + x, 0) / l.perDevice.length,
    });
    const ds = summary(lockShared);
    const dl = summary(lockLocal);
    console.log(
      `wrong tokens evaluated before lockout, per device (limit ${GUESSES_PER_DEVICE}): shared max ${ds.max}, mean ${r1(ds.mean)}; in-process max ${dl.max}, mean ${r1(dl.mean)}`,
    );
    console.log(
      `one guess at a time, round robin, per device (limit ${GUESSES_PER_DEVICE}): shared ${lockShared.sequential.join(', ')}; in-process ${lockLocal.sequential.join(', ')}`,
    );
    console.log(
      `wrong tokens evaluated before lockout, one address (limit ${GUESSES_PER_IP}): shared ${lockShared.perIp}; in-process ${lockLocal.perIp}; unexpected answers ${lockShared.other + lockLocal.other}`,
    );

    // Warm-up of both paths (JIT, pool connections), then alternating measured rounds.
    await cost(sharedPools, take(costDevices));
    await cost(localPools, take(costDevices));
    const sharedMs: number[][] = [];
    const localMs: number[][] = [];
    let bad = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? (['shared', 'local'] as const) : (['local', 'shared'] as const);
      for (const mode of order) {
        const res = await cost(mode === 'shared' ? sharedPools : localPools, take(costDevices));
        bad += res.bad;
        (mode === 'shared' ? sharedMs : localMs).push(res.ms);
        console.log(
          `round ${r + 1} ${mode === 'shared' ? 'shared PostgreSQL limiter' : 'in-process limiter       '}: p50 ${r1(pct(res.ms, 50))} ms, p99 ${r1(pct(res.ms, 99))} ms (${fmt(res.ms.length)} requests, ${res.bad} not TOKEN_INVALID)`,
        );
      }
    }
    loads.push(loadAverage());
    const stmt = await statementCost(db);
    loads.push(loadAverage());
    const line = (xs: number[]) => `p50 ${r3(pct(xs, 50))} ms, p99 ${r3(pct(xs, 99))} ms`;
    console.log(
      `the guard's budgets alone, ${CONCURRENCY} in flight: one chained statement, unlogged ${line(stmt.chain)}; two statements in parallel, logged (before) ${line(stmt.before)}; bare SELECT 1 ${line(stmt.select1)}`,
    );
    const all = (xs: number[][]) => xs.flat().sort((a, b) => a - b);
    const sp = all(sharedMs);
    const lp = all(localMs);
    const added = pct(sp, 99) - pct(lp, 99);
    const perDeviceOk = ds.max <= Math.floor(GUESSES_PER_DEVICE * 1.1);
    const perIpOk = lockShared.perIp <= Math.floor(GUESSES_PER_IP * 1.1);
    console.log(
      `guarded route p99: shared ${r1(pct(sp, 99))} ms vs in-process ${r1(pct(lp, 99))} ms → +${r3(added)} ms (target ≤ 1); p50 +${r3(pct(sp, 50) - pct(lp, 50))} ms; load ${loads.join(' | ')}`,
    );
    console.log(
      JSON.stringify({
        bench: 'limits',
        store: 'postgres',
        instances: 3,
        device_limit: GUESSES_PER_DEVICE,
        device_accepted_max: ds.max,
        device_accepted_mean: r1(ds.mean),
        device_accepted_max_in_process: dl.max,
        device_accepted_sequential: Math.max(...lockShared.sequential),
        device_accepted_sequential_in_process: Math.max(...lockLocal.sequential),
        ip_limit: GUESSES_PER_IP,
        ip_accepted: lockShared.perIp,
        ip_accepted_in_process: lockLocal.perIp,
        p50_ms: r3(pct(sp, 50)),
        p99_ms: r3(pct(sp, 99)),
        in_process_p50_ms: r3(pct(lp, 50)),
        in_process_p99_ms: r3(pct(lp, 99)),
        added_p99_ms: r3(added),
        statement_p50_ms: r3(pct(stmt.chain, 50)),
        statement_p99_ms: r3(pct(stmt.chain, 99)),
        before_statements_p50_ms: r3(pct(stmt.before, 50)),
        before_statements_p99_ms: r3(pct(stmt.before, 99)),
        select1_p50_ms: r3(pct(stmt.select1, 50)),
        select1_p99_ms: r3(pct(stmt.select1, 99)),
        unexpected: lockShared.other + lockLocal.other + bad,
        load: loads,
        pass: perDeviceOk && perIpOk && added <= 1,
      }),
    );
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(instances.map((i) => i.stop()));
    await db.drop().catch((e: unknown) => console.error('could not drop', db.name, e));
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
