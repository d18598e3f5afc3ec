/**
 * `npm run bench -- ws [--sockets 5000,10000] [--procs 2] [--rounds 5] [--transport ws|socketio]`
 *
 * Seed 003 fan-out at scale: the real server in a child process (limits raised by env), N authenticated
 * seed-001 style sockets spread over `--procs` client processes, then one admin `PUT /api/admin/clients/:id`
 * per round, which the server fans out as one `quota_updated` frame (serialized once) to every socket. Latency =
 * arrival time in the client process − time the HTTP call was started (same machine clock). Levels are
 * cumulative: 5,000 sockets are measured, then 5,000 more are added and 10,000 are measured.
 * Server RSS (after GC) before any socket and at each level gives the memory per idle socket.
 * Targets at 5,000: p95 < 150 ms, p99 < 300 ms; ≤ 20 KB per idle socket.
 *
 * `--transport socketio` measures the same fan-out on two servers side by side in one run: plain `/ws`
 * sockets on one (the baseline), socket.io sockets (`/socket.io/`, websocket transport) on the other, default
 * 5,000 each, rounds alternating between them (see compareTransports). Target: socket.io p95 ≤ 1.3 × the plain
 * WebSocket p95 of the same run; KB per socket reported for each.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const API_KEY = 'bench-admin-key-0123456789abcdef';
const SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    sockets: { type: 'string', default: '5000,10000' },
    procs: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    transport: { type: 'string', default: 'ws' },
  },
  strict: true,
});
if (values.transport !== 'ws' && values.transport !== 'socketio') {
  throw new Error(`--transport must be ws or socketio, not '${values.transport}'`);
}
const compare = values.transport === 'socketio';
const socketsArg =
  compare && !process.argv.slice(3).some((a) => a.startsWith('--sockets')) ? '5000' : values.sockets;
const levels = socketsArg
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
  .sort((a, b) => a - b);
const procs = Math.max(1, Number(values.procs));
// Comparing two servers on a shared machine needs more rounds than one server's figure: 10 each by default.
const roundsGiven = process.argv.slice(3).some((a) => a.startsWith('--rounds'));
const rounds = Math.max(1, Number(values.transport === 'socketio' && !roundsGiven ? '10' : values.rounds));
const now = () => performance.timeOrigin + performance.now();

type Msg = { type: string } & Record<string, unknown>;

function child(file: string, env: NodeJS.ProcessEnv): ChildProcess {
  return fork(join(here, file), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', '--max-old-space-size=2048'],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Sends `msg` and resolves with the child's next message of `type`. */
function ask(c: ChildProcess, msg: object, type: string): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const on = (m: Msg) => {
      if (m.type === type) {
        c.off('message', on);
        resolve(m);
      } else if (m.type === 'fatal') {
        c.off('message', on);
        reject(new Error(String(m.error)));
      }
    };
    c.on('message', on);
    c.send(msg);
  });
}

const pct = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const r1 = (n: number) => Math.round(n * 10) / 10;

type Row = Record<string, number | number[]> & {
  sockets: number;
  p95_ms: number;
  p99_ms: number;
  kb_per_socket: number;
  delivered: number;
  expected: number;
};

/** One server process and `procs` client processes; the fan-out measured at each level of open sockets. */
async function measure(transport: 'ws' | 'socketio'): Promise<{ levels: Row[]; server_rss_base_mb: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-ws-'));
  const server = child('lib-ws-server.ts', {
    ...process.env,
    BENCH_DATA_DIR: dataDir,
    NODE_ENV: 'production',
    OUTPOST_API_KEYS: API_KEY,
    OUTPOST_ADMIN_USER: 'admin',
    OUTPOST_ADMIN_PASSWORD: 'bench-admin-password',
    OUTPOST_JWT_SECRET: SECRET,
    OUTPOST_RATE_LIMIT_PER_MIN: '1000000',
    OUTPOST_WS_MAX_PER_IP: '1000000',
    // Every client socket comes from 127.0.0.1: the per-address TCP cap (256 by default) would refuse the rest.
    OUTPOST_MAX_CONNECTIONS_PER_IP: '0',
    OUTPOST_WS_MAX_PER_DEVICE: '10',
  });
  const clients: ChildProcess[] = [];
  try {
    const ready = await new Promise<Msg>((resolve, reject) => {
      server.once('message', (m: Msg) => resolve(m));
      server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
    const url = String(ready.url);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(url + path, {
        method,
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as { data: { id: number } };
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const user = await api('POST', '/api/admin/users', {
      username: 'bench-station',
      password: 'bench-station-pw',
      role: 'station',
    });
    const client = await api('POST', '/api/admin/clients', { name: 'bench-client', quota: 1_000_000 });
    const mem0 = await ask(server, { cmd: 'mem' }, 'mem');
    console.log(`server ready at ${url}; RSS ${r1(Number(mem0.rss) / 2 ** 20)} MB (gc: ${String(mem0.gc)})`);

    for (let p = 0; p < procs; p++) clients.push(child('lib-ws-clients.ts', { ...process.env }));
    const results = [];
    let open = 0;
    for (const level of levels) {
      const add = level - open;
      const t0 = now();
      const per = Math.ceil(add / procs);
      const answers = await Promise.all(
        clients.map((c, p) =>
          ask(
            c,
            {
              cmd: 'connect',
              url,
              from: open + p * per,
              count: Math.max(0, Math.min(per, add - p * per)),
              userId: user.data.id,
              username: 'bench-station',
              secret: SECRET,
              tag: String(p),
              transport,
            },
            'connected',
          ),
        ),
      );
      const connectSec = (now() - t0) / 1000;
      const failed = answers.reduce((s, a) => s + Number(a.failed), 0);
      const perProc = answers.map((a) => Number(a.open));
      open = perProc.reduce((s, n) => s + n, 0);
      console.log(`${open} sockets open (${failed} failed) in ${r1(connectSec)} s`);
      const mem = await ask(server, { cmd: 'mem' }, 'mem');
      const kbPerSocket = (Number(mem.rss) - Number(mem0.rss)) / 1024 / open;

      const latencies: number[] = [];
      let delivered = 0;
      const roundMax: number[] = [];
      for (let r = 0; r < rounds; r++) {
        await Promise.all(clients.map((c) => ask(c, { cmd: 'reset' }, 'reset')));
        const sent = now();
        await api('PUT', `/api/admin/clients/${client.data.id}`, { add: 1 });
        const got = await Promise.all(
          clients.map((c, i) =>
            ask(c, { cmd: 'collect', expected: perProc[i], timeoutMs: 30_000 }, 'arrivals'),
          ),
        );
        const lat = got.flatMap((g) => (g.arrivals as number[]).map((t) => t - sent));
        delivered += lat.length;
        latencies.push(...lat);
        roundMax.push(Math.max(...lat));
        await new Promise((res) => setTimeout(res, 200));
      }
      latencies.sort((a, b) => a - b);
      const row = {
        sockets: open,
        connect_failed: failed,
        connect_s: r1(connectSec),
        rounds,
        delivered,
        expected: open * rounds,
        p50_ms: r1(pct(latencies, 50)),
        p95_ms: r1(pct(latencies, 95)),
        p99_ms: r1(pct(latencies, 99)),
        max_ms: r1(latencies[latencies.length - 1] ?? NaN),
        round_max_ms: roundMax.map(r1),
        server_rss_mb: r1(Number(mem.rss) / 2 ** 20),
        kb_per_socket: r1(kbPerSocket),
      };
      console.log(
        `${open} sockets: p50 ${row.p50_ms} ms, p95 ${row.p95_ms} ms, p99 ${row.p99_ms} ms, max ${row.max_ms} ms; ` +
          `delivered ${delivered}/${open * rounds}; server RSS ${row.server_rss_mb} MB → ${row.kb_per_socket} KB/socket`,
      );
      results.push(row);
    }
    return { levels: results, server_rss_base_mb: r1(Number(mem0.rss) / 2 ** 20) };
  } finally {
    for (const c of clients) {
      c.send({ cmd: 'stop' });
    }
    server.send({ cmd: 'stop' });
    await new Promise((r) => setTimeout(r, 500));
    for (const c of [...clients, server]) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A bench server child with the bench's user and client, ready for sockets. */
async function benchServer(name: string) {
  const dataDir = mkdtempSync(join(tmpdir(), `outpost-bench-${name}-`));
  const proc = child('lib-ws-server.ts', {
    ...process.env,
    BENCH_DATA_DIR: dataDir,
    NODE_ENV: 'production',
    OUTPOST_API_KEYS: API_KEY,
    OUTPOST_ADMIN_USER: 'admin',
    OUTPOST_ADMIN_PASSWORD: 'bench-admin-password',
    OUTPOST_JWT_SECRET: SECRET,
    OUTPOST_RATE_LIMIT_PER_MIN: '1000000',
    OUTPOST_WS_MAX_PER_IP: '1000000',
    OUTPOST_MAX_CONNECTIONS_PER_IP: '0',
    OUTPOST_WS_MAX_PER_DEVICE: '10',
  });
  const ready = await new Promise<Msg>((resolve, reject) => {
    proc.once('message', (m: Msg) => resolve(m));
    proc.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  const url = String(ready.url);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as { data: { id: number } };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const user = await api('POST', '/api/admin/users', {
    username: 'bench-station',
    password: 'bench-station-pw',
    role: 'station',
  });
  const client = await api('POST', '/api/admin/clients', { name: 'bench-client', quota: 1_000_000 });
  const mem0 = await ask(proc, { cmd: 'mem' }, 'mem');
  return {
    proc,
    url,
    userId: user.data.id,
    /** One fan-out: a quota change, which every socket receives as `quota_updated`. */
    raise: () => api('PUT', `/api/admin/clients/${client.data.id}`, { add: 1 }),
    rss0: Number(mem0.rss),
    async stop() {
      proc.send({ cmd: 'stop' });
      await new Promise((r) => setTimeout(r, 500));
      if (proc.exitCode === null) proc.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `--transport socketio`: a `/ws` server and a socket.io server side by side, N sockets on each (the same
 * client processes hold both), then rounds that alternate between them (the order flips every round), so the
 * load of a shared machine falls on both figures alike instead of on whichever phase ran at a bad moment.
 */
async function compareTransports(): Promise<void> {
  const n = levels[levels.length - 1]!;
  const transports = ['ws', 'socketio'] as const;
  const servers = { ws: await benchServer('ws'), socketio: await benchServer('socketio') };
  const clients: ChildProcess[] = [];
  try {
    for (let p = 0; p < procs; p++) clients.push(child('lib-ws-clients.ts', { ...process.env }));
    const perProc: Record<(typeof transports)[number], number[]> = { ws: [], socketio: [] };
    const setup: Record<
      string,
      { open: number; failed: number; connect_s: number; kb_per_socket: number; rss_mb: number }
    > = {};
    let before = clients.map(() => 0);
    for (const t of transports) {
      const srv = servers[t];
      const per = Math.ceil(n / procs);
      const t0 = now();
      const answers = await Promise.all(
        clients.map((c, p) =>
          ask(
            c,
            {
              cmd: 'connect',
              url: srv.url,
              from: p * per,
              count: Math.max(0, Math.min(per, n - p * per)),
              userId: srv.userId,
              username: 'bench-station',
              secret: SECRET,
              tag: String(p),
              transport: t,
            },
            'connected',
          ),
        ),
      );
      const total = answers.map((a) => Number(a.open));
      perProc[t] = total.map((v, i) => v - before[i]!);
      before = total;
      const open = perProc[t].reduce((a, b) => a + b, 0);
      const mem = await ask(srv.proc, { cmd: 'mem' }, 'mem');
      setup[t] = {
        open,
        failed: answers.reduce((a, x) => a + Number(x.failed), 0),
        connect_s: r1((now() - t0) / 1000),
        kb_per_socket: r1((Number(mem.rss) - srv.rss0) / 1024 / open),
        rss_mb: r1(Number(mem.rss) / 2 ** 20),
      };
      console.log(
        `${t}: ${open} sockets open in ${setup[t].connect_s} s; ${setup[t].kb_per_socket} KB/socket`,
      );
    }
    const lat: Record<string, number[]> = { ws: [], socketio: [] };
    const delivered: Record<string, number> = { ws: 0, socketio: 0 };
    /** Each round's own p95, to tell a steady difference from one unlucky round on a shared machine. */
    const roundP95: Record<string, number[]> = { ws: [], socketio: [] };
    for (let r = 0; r < rounds; r++) {
      for (const t of r % 2 === 0 ? transports : [...transports].reverse()) {
        await Promise.all(clients.map((c) => ask(c, { cmd: 'reset' }, 'reset')));
        const sent = now();
        await servers[t].raise();
        const got = await Promise.all(
          clients.map((c, i) =>
            ask(c, { cmd: 'collect', expected: perProc[t][i], timeoutMs: 30_000 }, 'arrivals'),
          ),
        );
        const l = got.flatMap((g) => (g.arrivals as number[]).map((x) => x - sent));
        delivered[t]! += l.length;
        lat[t]!.push(...l);
        roundP95[t]!.push(
          r1(
            pct(
              [...l].sort((a, b) => a - b),
              95,
            ),
          ),
        );
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    const rows = transports.map((t) => {
      const sorted = lat[t]!.sort((a, b) => a - b);
      return {
        transport: t,
        sockets: setup[t]!.open,
        connect_failed: setup[t]!.failed,
        connect_s: setup[t]!.connect_s,
        rounds,
        delivered: delivered[t]!,
        expected: setup[t]!.open * rounds,
        p50_ms: r1(pct(sorted, 50)),
        p95_ms: r1(pct(sorted, 95)),
        p99_ms: r1(pct(sorted, 99)),
        max_ms: r1(sorted[sorted.length - 1] ?? NaN),
        round_p95_ms: roundP95[t]!,
        server_rss_mb: setup[t]!.rss_mb,
        kb_per_socket: setup[t]!.kb_per_socket,
      };
    });
    const [w, s] = rows as [(typeof rows)[0], (typeof rows)[0]];
    for (const row of rows) {
      console.log(
        `${row.transport}: ${row.sockets} sockets: p50 ${row.p50_ms} ms, p95 ${row.p95_ms} ms, p99 ${row.p99_ms} ms, ` +
          `max ${row.max_ms} ms; delivered ${row.delivered}/${row.expected}; ${row.kb_per_socket} KB/socket`,
      );
    }
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const ratios = {
      p95: ratio(s.p95_ms, w.p95_ms),
      p99: ratio(s.p99_ms, w.p99_ms),
      kb_per_socket: ratio(s.kb_per_socket, w.kb_per_socket),
    };
    console.log(`socket.io / ws: p95 ×${ratios.p95}, p99 ×${ratios.p99}, KB/socket ×${ratios.kb_per_socket}`);
    const pass =
      ratios.p95 <= 1.3 && rows.every((row) => row.sockets === n && row.delivered === row.expected);
    console.log(
      JSON.stringify({
        bench: 'ws',
        transport: 'socketio',
        ws: w,
        socketio: s,
        ratios,
        client_procs: procs,
        loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
        targets: { socketio_p95_over_ws_p95: 1.3 },
        pass,
      }),
    );
  } finally {
    for (const c of clients) c.send({ cmd: 'stop' });
    await Promise.all([servers.ws.stop(), servers.socketio.stop()]);
    for (const c of clients) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

const meetsWsTargets = (results: Row[]) => {
  const at5k = results.find((r) => r.sockets >= 5000) ?? results[0]!;
  return (
    at5k.sockets >= 5000 &&
    at5k.p95_ms < 150 &&
    at5k.p99_ms < 300 &&
    results.every((r) => r.kb_per_socket <= 20 && r.delivered === r.expected)
  );
};

if (!compare) {
  const ws = await measure('ws');
  console.log(
    JSON.stringify({
      bench: 'ws',
      levels: ws.levels,
      server_rss_base_mb: ws.server_rss_base_mb,
      client_procs: procs,
      targets: { p95_ms_at_5k: 150, p99_ms_at_5k: 300, kb_per_idle_socket: 20 },
      pass: meetsWsTargets(ws.levels),
    }),
  );
} else {
  await compareTransports();
}
