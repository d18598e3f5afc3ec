/**
 * `npm run bench -- fanout [--rate 1000] [--sockets 10] [--steady 15] [--drop 10] [--stations 8] [--push-ops 50]
 *  [--push-s 8] [--rounds 3] [--in-flight 64] [--pool 32]`
 *
 * Realtime fan-out across a PostgreSQL fleet (the runtime's `runtime_events` outbox, NOTIFY after COMMIT, a
 * cursor per instance). Two real instances A and B on one fresh database:
 * 1. Latency: `POST /api/admin/notify` (`all: true`) on A at `--rate` per second, each carrying a sequence number
 *    and the sender's clock, open-loop (sent on schedule, not after the previous answer; `--in-flight` only bounds
 *    the backlog if A falls behind, and then the rate raised is lower and reported; A's pool is `--pool`); `--sockets` station sockets on B (in a child process) stamp each arrival. Steady phase: p50/p99/max
 *    of arrival − the notification's timestamp (raised on A), and of arrival − request sent. Target p99 < 100 ms.
 * 2. Dropped listener: the same load for `--drop` s; halfway, `pg_terminate_backend` of B's listening backend
 *    (found by the application_name B connects with). Afterwards every socket must hold every sequence number:
 *    target 0 lost (the reconnect replays past B's cursor). The phase's latencies are reported apart: the events
 *    raised while B was not listening wait for the reconnect or the 500 ms fallback poll.
 * 3. Write cost: `--stations` stations pushing `--push-ops` copies per `POST /api/sync/push` as fast as they can
 *    for `--push-s` s, to an instance with fan-out on (each push raises quota_updated, copy_completed and
 *    sync_completed into the outbox in the batch's own transaction, then NOTIFY after the commit) and to one with fan-out
 *    off (bench/lib-fleet-server.ts BENCH_FANOUT=local: this instance's sockets only), alternating `--rounds`
 *    times on the same database with B's sockets connected. Target: on/off ≥ 0.95.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { BackendCpu, createBenchDb, loadAverage, procCpuSeconds } from './lib-pg.js';
import {
  FLEET_API_KEY,
  FLEET_JWT_SECRET,
  api,
  fmt,
  httpPool,
  pct,
  r1,
  r3,
  sleep,
  startInstance,
  type Instance,
} from './lib-fleet.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    rate: { type: 'string', default: '1000' },
    sockets: { type: 'string', default: '10' },
    steady: { type: 'string', default: '15' },
    drop: { type: 'string', default: '10' },
    stations: { type: 'string', default: '8' },
    'push-ops': { type: 'string', default: '50' },
    'push-s': { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    'in-flight': { type: 'string', default: '64' },
    pool: { type: 'string', default: '32' },
  },
  strict: true,
});
const RATE = Math.max(1, Number(values.rate));
const SOCKETS = Math.max(1, Number(values.sockets));
const STEADY_S = Number(values.steady);
const DROP_S = Number(values.drop);
const STATIONS = Math.max(1, Number(values.stations));
const PUSH_OPS = Math.min(1000, Math.max(1, Number(values['push-ops'])));
const PUSH_S = Number(values['push-s']);
const ROUNDS = Math.max(1, Number(values.rounds));
const B_APP = 'bench_fanout_b';
/** The fan-out-off instance's application_name, so its backends are told apart from A's. */
const OFF_APP = 'bench_fanout_off';
/**
 * Notify requests open at once at most: only a safety bound. The sender is open-loop (each request leaves at its
 * scheduled time whether or not earlier ones were answered), so the rate asked is the rate raised as long as A
 * keeps up; the bound only stops a backlog growing without end once A does not (the rate raised then drops and
 * is reported). With 8 open (the earlier default) and ~17 ms per request the cap was ~480/s, Little's law.
 */
const MAX_IN_FLIGHT = Math.max(1, Number(values['in-flight']));
/**
 * A's PostgreSQL pool (OUTPOST_PG_POOL_MAX): at 1,000/s and ~15-20 ms per request about 20 notify requests are
 * open at once, each holding up to 2 connections for a moment; with the default 10 they would queue for a
 * connection in front of the pool, and the latency measured would be that queue.
 */
const POOL = Math.max(1, Number(values.pool));
const now = () => performance.timeOrigin + performance.now();

type Msg = { type: string } & Record<string, unknown>;
function ask(c: ChildProcess, msg: object, type: string): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const on = (m: Msg) => {
      if (m.type === type || m.type === 'fatal') {
        c.off('message', on);
        if (m.type === 'fatal') reject(new Error(String(m.error)));
        else resolve(m);
      }
    };
    c.on('message', on);
    c.send(msg);
  });
}

/**
 * Sends notifications to `url` at RATE per second for `seconds`, numbering them from `seq0`; calls `at(ms)`
 * hooks on the way. Resolves with the next free number once every request was answered.
 */
async function notifyAtRate(
  url: string,
  seq0: number,
  seconds: number,
  hooks: { atMs: number; run: () => Promise<void> }[] = [],
): Promise<{ next: number; failed: number; rate: number }> {
  let seq = seq0;
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  const http = httpPool(url, MAX_IN_FLIGHT);
  const t0 = performance.now();
  const pending = [...hooks];
  for (;;) {
    const elapsed = performance.now() - t0;
    if (elapsed >= seconds * 1000) break;
    for (const h of pending.filter((h) => elapsed >= h.atMs)) {
      pending.splice(pending.indexOf(h), 1);
      void h.run();
    }
    // Open loop: every request due by now leaves now (the schedule does not wait for answers); MAX_IN_FLIGHT
    // only bounds the backlog once A falls behind, and the rate raised is reported.
    const due = Math.min(Math.floor((elapsed / 1000) * RATE) - (seq - seq0), MAX_IN_FLIGHT - inflight.size);
    for (let i = 0; i < due; i++) {
      const s = seq++;
      const p = http
        .post(
          '/api/admin/notify',
          { all: true, title: 'bench', message: 'fan-out', data: { seq: s, t: now() } },
          { 'x-api-key': FLEET_API_KEY },
        )
        .then((r) => {
          if (r.status !== 201) {
            if (failed++ === 0) console.log(`notify answered ${r.status}`);
          }
        })
        .catch((err: unknown) => {
          if (failed++ === 0)
            console.log(`notify failed: ${String(err)}`, (err as { cause?: unknown }).cause);
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await sleep(2);
  }
  await Promise.all(inflight);
  const rate = ((seq - seq0) / (performance.now() - t0)) * 1000;
  await http.close();
  return { next: seq, failed, rate };
}

async function stationToken(userId: number, deviceId: string): Promise<string> {
  return new SignJWT({ username: 'bench-station', role: 'station', device_id: deviceId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(userId))
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(FLEET_JWT_SECRET));
}

/**
 * Backend CPU of the bench database by instance: B's backends (application_name B_APP: its pool's reads of the
 * outbox and its listening connection), the fan-out-off instance's (OFF_APP) and A's (every other one). Sampled
 * every 500 ms like BackendCpu, so a backend that exits meanwhile still counts up to its last sample.
 */
class SplitBackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { s: number; who: 'b' | 'off' | 'a' }>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();
  constructor(private readonly db: Awaited<ReturnType<typeof createBenchDb>>) {}
  private async sample(): Promise<void> {
    const { rows } = await this.db.client.query<{ pid: number; app: string }>(
      `SELECT pid, application_name AS app FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    for (const { pid, app } of rows) {
      const s = procCpuSeconds(pid);
      if (s === undefined) continue;
      if (!this.first.has(pid)) this.first.set(pid, this.timer ? 0 : s);
      this.last.set(pid, { s, who: app === B_APP ? 'b' : app === OFF_APP ? 'off' : 'a' });
    }
  }
  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample()).catch(() => {});
    }, 500);
  }
  async stop(): Promise<{ b: number; off: number; a: number }> {
    await this.sampling;
    await this.sample();
    clearInterval(this.timer);
    const out = { b: 0, off: 0, a: 0 };
    for (const [pid, { s, who }] of this.last) out[who] += s - (this.first.get(pid) ?? 0);
    return out;
  }
}

let opCounter = 0;
/** `STATIONS` stations pushing PUSH_OPS new copies per request, back to back, for `seconds`: ops/s acknowledged. */
async function pushLoad(
  url: string,
  tokens: { token: string; device: string }[],
  clientId: number,
  seconds: number,
): Promise<{ opsPerS: number; pushes: number; failed: number }> {
  const until = performance.now() + seconds * 1000;
  let ops = 0;
  let pushes = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    tokens.map(async ({ token, device }) => {
      while (performance.now() < until) {
        const queue = Array.from({ length: PUSH_OPS }, () => {
          const n = opCounter++;
          return {
            id: n,
            uuid: `bench-op-${n}-${device}`,
            type: 'copy',
            payload: { client_id: clientId, uid: (0x10000000 + (n % 0xefffffff)).toString(16).toUpperCase() },
          };
        });
        const r = await fetch(`${url}/api/sync/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ device_id: device, queue }),
        });
        const body = (await r.json()) as { data?: { status: string }[] };
        if (r.status !== 200) failed++;
        else {
          pushes++;
          ops += body.data!.filter((x) => x.status === 'synced').length;
        }
      }
    }),
  );
  return { opsPerS: (ops / (performance.now() - t0)) * 1000, pushes, failed };
}

async function main(): Promise<void> {
  const loads = [loadAverage()];
  console.log(
    `fanout bench: notify at ${RATE}/s on A, ${SOCKETS} sockets on B, steady ${STEADY_S} s, drop phase ${DROP_S} s; sync ${STATIONS} stations × ${PUSH_OPS} ops, ${ROUNDS} × ${PUSH_S} s per mode; ${cpus().length} CPUs, load ${loads[0]}`,
  );
  const tmp = mkdtempSync(join(tmpdir(), 'outpost-bench-fanout-'));
  const db = await createBenchDb('fanout');
  const bUrl = new URL(db.url);
  bUrl.searchParams.set('application_name', B_APP);
  const instances: Instance[] = [];
  let sockets: ChildProcess | undefined;
  try {
    const a = await startInstance('A', {
      dataDir: join(tmp, 'a'),
      databaseUrl: db.url,
      env: { OUTPOST_PG_POOL_MAX: String(POOL) },
    });
    instances.push(a);
    const b = await startInstance('B', { dataDir: join(tmp, 'b'), databaseUrl: bUrl.toString() });
    instances.push(b);
    const user = await api<{ data: { id: number } }>(a.url, 'POST', '/api/admin/users', {
      username: 'bench-station',
      password: 'bench-station-password',
      role: 'station',
    });
    const userId = user.data.id;

    sockets = fork(join(here, 'lib-fanout-sockets.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await ask(
      sockets,
      {
        cmd: 'connect',
        url: b.url,
        count: SOCKETS,
        userId,
        username: 'bench-station',
        secret: FLEET_JWT_SECRET,
      },
      'connected',
    );
    console.log(`A ${a.url}, B ${b.url} on ${db.name}; ${SOCKETS} sockets open on B`);

    // Warm-up (connections, JIT), not counted: the sequence numbers restart after it on fresh sockets' maps.
    await ask(sockets, { cmd: 'phase', name: 'warmup' }, 'phase');
    const warm = await notifyAtRate(a.url, 0, 2);
    await ask(sockets, { cmd: 'phase', name: 'steady' }, 'phase');
    const backends = new BackendCpu(db);
    await backends.start();
    const cpuA0 = procCpuSeconds(a.pid)!;
    const cpuB0 = procCpuSeconds(b.pid)!;
    const steady = await notifyAtRate(a.url, warm.next, STEADY_S);
    await sleep(500);
    const n = steady.next - warm.next;
    const cpu = {
      a: ((procCpuSeconds(a.pid)! - cpuA0) / n) * 1e6,
      b: ((procCpuSeconds(b.pid)! - cpuB0) / n) * 1e6,
      pg: ((await backends.stop()).seconds / n) * 1e6,
    };
    loads.push(loadAverage());

    // Halfway through the drop phase: end B's listening connection from the database side.
    let terminated: number[] = [];
    const listenerPids = async () =>
      (
        await db.client.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1
             AND query = 'SELECT pg_backend_pid() AS pid'`,
          [B_APP],
        )
      ).rows.map((r) => r.pid);
    await ask(sockets, { cmd: 'phase', name: 'drop' }, 'phase');
    const drop = await notifyAtRate(a.url, steady.next, DROP_S, [
      {
        atMs: (DROP_S * 1000) / 2,
        run: async () => {
          terminated = await listenerPids();
          await db.client.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [
            terminated,
          ]);
          console.log(`terminated B's listening backend(s) ${terminated.join(', ')}`);
        },
      },
    ]);
    const got = await ask(sockets, { cmd: 'collect', expected: drop.next, timeoutMs: 5000 }, 'collected');
    const after = await listenerPids();
    const reconnectedPid = after.find((p) => !terminated.includes(p));
    loads.push(loadAverage());

    const phases = got.phases as Record<string, { sent: number[]; raised: number[] }>;
    const stat = (xs: number[] = []) => {
      const s = [...xs].sort((x, y) => x - y);
      return { n: s.length, p50: r1(pct(s, 50)), p99: r1(pct(s, 99)), max: r1(s.at(-1) ?? NaN) };
    };
    const st = stat(phases.steady?.raised);
    const stSent = stat(phases.steady?.sent);
    const dr = stat(phases.drop?.raised);
    const lost = got.missing_count as number;
    console.log(
      `steady: ${fmt(steady.next - warm.next)} events raised on A at ${fmt(steady.rate)}/s (asked ${RATE}/s), ${fmt(st.n)} deliveries to ${SOCKETS} sockets on B; raised → received p50 ${st.p50} ms, p99 ${st.p99} ms, max ${st.max} ms; request sent → received p50 ${stSent.p50}, p99 ${stSent.p99} ms; ${steady.failed} notify calls failed`,
    );
    console.log(
      `CPU per event (steady): A ${r1(cpu.a)} µs (the notify route: store, presence count, outbox), B ${r1(cpu.b)} µs (read + write to ${SOCKETS} sockets), PostgreSQL backends ${r1(cpu.pg)} µs`,
    );
    console.log(
      `drop phase: ${fmt(dr.n)} deliveries, raised → received p50 ${dr.p50} ms, p99 ${dr.p99} ms, max ${dr.max} ms; listener ${terminated.join(',') || 'NOT FOUND'} → ${reconnectedPid ?? 'no new listener seen'}; lost ${lost} of ${fmt(drop.next * SOCKETS)} deliveries (all phases), duplicates ${String(got.duplicates)}; ${drop.failed} notify calls failed`,
    );

    // Write cost of fan-out: the same pushes to an instance sharing its events and to one that does not.
    const offUrl = new URL(db.url);
    offUrl.searchParams.set('application_name', OFF_APP);
    const off = await startInstance('A-local', {
      dataDir: join(tmp, 'a-local'),
      databaseUrl: offUrl.toString(),
      env: { BENCH_FANOUT: 'local', OUTPOST_PG_POOL_MAX: String(POOL) },
    });
    instances.push(off);
    const client = await api<{ data: { id: number } }>(a.url, 'POST', '/api/admin/clients', {
      name: 'bench-fanout-client',
      quota: 1_000_000_000,
    });
    const tokens = await Promise.all(
      Array.from({ length: STATIONS }, async (_, k) => {
        const device = `bench-sync-${k}`;
        return { device, token: await stationToken(userId, device) };
      }),
    );
    await pushLoad(a.url, tokens, client.data.id, 1);
    await pushLoad(off.url, tokens, client.data.id, 1);
    const on: number[] = [];
    const offRates: number[] = [];
    // CPU of the whole fleet per op: the pushed instance, B (reads the outbox, writes its sockets), the sockets'
    // process and every backend of the bench database. On a shared machine the ops/s of one 8 s window move
    // with the other sessions' load; the CPU each op cost does much less.
    const cpuPerOp = { on: [] as number[], off: [] as number[] };
    // The write side alone: the pushed instance and its own backends (B's reads and sockets excluded).
    const writePerOp = { on: [] as number[], off: [] as number[] };
    const socketsPid = sockets.pid!;
    let pushFailed = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so a drift in the machine's load does not favour one mode.
      const order = r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const mode of order) {
        const target = mode === 'on' ? a : off;
        // The instance not pushed to still listens: with fan-out on, A-local reads A's events too (a third
        // receiver), so it counts on the receiving side with B, not on the write side.
        const idle = mode === 'on' ? off : a;
        const pids = [target.pid, b.pid, socketsPid, idle.pid];
        const be = new SplitBackendCpu(db);
        await be.start();
        const c0 = pids.map((pid) => procCpuSeconds(pid) ?? 0);
        const res = await pushLoad(target.url, tokens, client.data.id, PUSH_S);
        await sleep(300); // B's reads of the last pushes' events
        const c1 = pids.map((pid) => procCpuSeconds(pid) ?? 0);
        const pg = await be.stop();
        const pgS = pg.b + pg.off + pg.a;
        const own = mode === 'on' ? pg.a : pg.off;
        const others = mode === 'on' ? pg.off : pg.a;
        const parts = c1.map((x, i) => x - c0[i]!);
        const ops = res.opsPerS * PUSH_S || 1;
        const us = ((parts.reduce((t, x) => t + x, 0) + pgS) / ops) * 1e6;
        const write = ((parts[0]! + own) / ops) * 1e6;
        pushFailed += res.failed;
        (mode === 'on' ? on : offRates).push(res.opsPerS);
        cpuPerOp[mode].push(us);
        writePerOp[mode].push(write);
        const u = (x: number) => r1((x / ops) * 1e6);
        console.log(
          `round ${r + 1} fan-out ${mode}: ${fmt(res.opsPerS)} ops/s (${fmt(res.pushes)} pushes, ${res.failed} failed); CPU µs/op: instance ${u(parts[0]!)} + its backends ${u(own)} = write side ${r1(write)}; B ${u(parts[1]!)} + B's backends ${u(pg.b)}, sockets ${u(parts[2]!)}, the other instance ${u(parts[3]!)} + its backends ${u(others)}; all ${r1(us)}`,
        );
      }
    }
    loads.push(loadAverage());
    const avg = (xs: number[]) => xs.reduce((t, x) => t + x, 0) / xs.length;
    const ratio = avg(on) / avg(offRates);
    // The same comparison by CPU: ops per CPU-second of the fleet with fan-out on over off.
    const cpuRatio = avg(cpuPerOp.off) / avg(cpuPerOp.on);
    const writeRatio = avg(writePerOp.off) / avg(writePerOp.on);
    const pass =
      st.p99 < 100 && lost === 0 && ratio >= 0.95 && terminated.length > 0 && reconnectedPid !== undefined;
    console.log(
      `sync pushes: fan-out on ${fmt(avg(on))} vs off ${fmt(avg(offRates))} ops/s → ratio ${r3(ratio)} (target ≥ 0.95), by fleet CPU per op ${r1(avg(cpuPerOp.on))} vs ${r1(avg(cpuPerOp.off))} µs → ${r3(cpuRatio)}, write side alone ${r1(avg(writePerOp.on))} vs ${r1(avg(writePerOp.off))} µs → ${r3(writeRatio)}; steady p99 ${st.p99} ms (target < 100); lost ${lost} (target 0); load ${loads.join(' | ')}`,
    );
    console.log(
      JSON.stringify({
        bench: 'fanout',
        store: 'postgres',
        rate: RATE,
        sockets: SOCKETS,
        events: drop.next - warm.next,
        raised_per_s: Math.round(steady.rate),
        p50_ms: st.p50,
        p99_ms: st.p99,
        max_ms: st.max,
        sent_p99_ms: stSent.p99,
        a_us_per_event: r1(cpu.a),
        b_us_per_event: r1(cpu.b),
        pg_us_per_event: r1(cpu.pg),
        drop_p99_ms: dr.p99,
        drop_max_ms: dr.max,
        lost,
        duplicates: got.duplicates,
        listener_terminated: terminated.length,
        listener_reconnected: reconnectedPid !== undefined,
        notify_failed: steady.failed + drop.failed,
        push_ops_per_s_fanout_on: Math.round(avg(on)),
        push_ops_per_s_fanout_off: Math.round(avg(offRates)),
        push_ratio: r3(ratio),
        push_cpu_us_per_op_on: r1(avg(cpuPerOp.on)),
        push_cpu_us_per_op_off: r1(avg(cpuPerOp.off)),
        push_cpu_ratio: r3(cpuRatio),
        push_write_us_per_op_on: r1(avg(writePerOp.on)),
        push_write_us_per_op_off: r1(avg(writePerOp.off)),
        push_write_cpu_ratio: r3(writeRatio),
        push_failed: pushFailed,
        stations: STATIONS,
        push_ops: PUSH_OPS,
        load: loads,
        pass,
      }),
    );
  } finally {
    if (sockets && sockets.exitCode === null) sockets.send({ cmd: 'stop' });
    await Promise.all(instances.map((i) => i.stop()));
    await db.drop().catch((e: unknown) => console.error('could not drop', db.name, e));
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
