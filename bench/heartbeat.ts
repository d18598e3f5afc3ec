/**
 * `npm run bench -- heartbeat [--duration 10] [--devices 10000] [--connections 100] [--enrol store|http]`
 *
 * Seed 004 heartbeats at fleet scale: the real server (`src-main/cli/server.ts`, SQLite in a temp data dir) in a
 * child process, N devices enrolled (by default through the Store before the server starts, which takes seconds
 * instead of a minute; `--enrol http` uses the admin and register routes), then autocannon (`-c 100 -p 1`) on
 * `POST /api/devices/:key/online`, each request a different device's key and bearer secret (rotating through all
 * N). In the same run, a bare node:http server in a child process answering a constant JSON under the same load
 * gives the ceiling of this machine; the ratio is the figure to compare across machines.
 * Target: ≥ 17,000 heartbeats/s (1 M devices at 60 s intervals) and ratio ≥ 0.6.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomSecret, sha256Hex } from '../src-main/server/auth/secret-hash.js';
import { tokenHash } from '../src-main/server/devices/tokens.js';
import { createSqliteStore } from '../src-main/server/store/sqlite/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const API_KEY = 'bench-admin-key-0123456789abcdef';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    duration: { type: 'string', default: '10' },
    devices: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '2' },
    // store: write the devices through the Store before the server starts (seconds); http: admin API + register
    enrol: { type: 'string', default: 'store' },
  },
  strict: true,
});
const duration = Number(values.duration);
const deviceCount = Number(values.devices);
const connections = Number(values.connections);
const warmup = Number(values.warmup);

/** Spawns a child and resolves with its URL once it prints `listening on http://…`. */
function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  name: string,
): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/[^\s)]+)/.exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}) before listening:\n${out}`)));
    setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${out}`)), 60_000).unref();
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 8000).unref();
  });
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Creates and registers `n` devices through the admin and device APIs, `parallel` at a time. */
async function enrol(url: string, n: number, parallel = 64): Promise<{ key: string; secret: string }[]> {
  const out: { key: string; secret: string }[] = new Array(n);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const key = `bench-${String(i).padStart(6, '0')}`;
      const created = await json(`${url}/api/admin/devices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({ device_key: key, note: 'bench' }),
      });
      const reg = await json(`${url}/api/devices/${key}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token_code: created.token_code, mac: '00:1A:2B:3C:4D:5E' }),
      });
      out[i] = { key, secret: reg.device_secret as string };
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/**
 * The fast path: the same repository calls the routes make (create with a token hash, then the conditional
 * register), straight on the data dir before the server process opens it.
 */
async function enrolThroughStore(dataDir: string, n: number): Promise<{ key: string; secret: string }[]> {
  const store = createSqliteStore(dataDir);
  try {
    const out: { key: string; secret: string }[] = [];
    const now = new Date().toISOString();
    const expires = new Date(Date.now() + 3600_000).toISOString();
    for (let i = 0; i < n; i++) {
      const key = `bench-${String(i).padStart(6, '0')}`;
      const token = tokenHash(key, 'ABC123');
      const secret = randomSecret(32);
      await store.devices.create({
        device_key: key,
        note: 'bench',
        token_hash: token,
        token_expires_at: expires,
      });
      const ok = await store.devices.register(key, {
        token_hash: token,
        secret_hash: sha256Hex(secret),
        now,
        info: { mac: '00:1A:2B:3C:4D:5E' },
      });
      if (!ok) throw new Error(`could not register ${key}`);
      out.push({ key, secret });
    }
    return out;
  } finally {
    await store.close();
  }
}

/**
 * One request template whose setupRequest hands out the next device's key, secret and info, so consecutive requests
 * (across all connections) rotate through every device. (A static list of 10,000 requests would be rebuilt by
 * each of the 100 connections at start-up: a million request builds before the first byte.)
 */
function heartbeatRequests(devices: { key: string; secret: string }[]): autocannon.Request[] {
  const prepared = devices.map((d, i) => ({
    path: `/api/devices/${d.key}/online`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${d.secret}` },
    body: JSON.stringify({
      ip_lan: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      ip_public: '203.0.113.42',
      mac: '00:1A:2B:3C:4D:5E',
      note: 'Updates Manager Tool',
    }),
  }));
  let next = 0;
  return [
    {
      method: 'POST',
      setupRequest: (req) => {
        const p = prepared[next++ % prepared.length]!;
        return { ...req, method: 'POST', path: p.path, headers: p.headers, body: p.body };
      },
    },
  ];
}

interface Load {
  rps: number;
  p99: number;
  ok: number;
  other: number;
  errors: number;
}

async function load(url: string, requests: autocannon.Request[], seconds: number): Promise<Load> {
  const r = await autocannon({ url, connections, pipelining: 1, duration: seconds, requests });
  const total = r['2xx'] + r.non2xx;
  return {
    // autocannon's per-second average, counting successful responses only.
    rps: total > 0 ? (r.requests.average * r['2xx']) / total : 0,
    p99: r.latency.p99,
    ok: r['2xx'],
    other: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

async function serverCpuSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^process_cpu_seconds_total (\S+)/m.exec(text)?.[1] ?? NaN);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  console.log(
    `heartbeat bench: ${deviceCount} devices, autocannon -c ${connections} -p 1, ${duration} s (+${warmup} s warm-up), ${cpus().length} CPUs, node ${process.versions.node}`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-hb-'));
  const env = {
    ...process.env,
    OUTPOST_API_KEYS: API_KEY,
    OUTPOST_ADMIN_USER: 'admin',
    OUTPOST_ADMIN_PASSWORD: 'bench-admin-password',
    OUTPOST_RATE_LIMIT_PER_MIN: '1000000', // enrolment of 10k devices comes from one IP
    NODE_ENV: 'production',
  };
  let server: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  try {
    const t0 = performance.now();
    let devices = values.enrol === 'store' ? await enrolThroughStore(dataDir, deviceCount) : [];
    const s = await startChild(
      [
        // e.g. OUTPOST_BENCH_NODE_ARGS=--cpu-prof to profile the server under load
        ...(process.env.OUTPOST_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
        '--import',
        'tsx',
        'src-main/cli/server.ts',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--quiet',
      ],
      env,
      'outpost server',
    );
    server = s.child;
    if (values.enrol !== 'store') devices = await enrol(s.url, deviceCount);
    console.log(
      `enrolled ${fmt(deviceCount)} devices (${values.enrol === 'store' ? 'through the store' : 'over HTTP'}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const requests = heartbeatRequests(devices);

    if (warmup > 0) await load(s.url, requests, warmup);
    const cpu0 = await serverCpuSeconds(s.url);
    const hb = await load(s.url, requests, duration);
    const cpu = (await serverCpuSeconds(s.url)) - cpu0;
    console.log(
      `outpost heartbeats: ${fmt(hb.rps)} req/s, p99 ${hb.p99} ms, ${fmt(hb.ok)} ok, ${hb.other} non-2xx, ${hb.errors} errors`,
    );
    console.log(
      `server process CPU ${cpu.toFixed(1)} s over ${duration} s (${((cpu / Math.max(1, hb.ok)) * 1e6).toFixed(0)} µs per heartbeat)`,
    );
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const counted = Number(/^outpost_device_heartbeats_total (\d+)/m.exec(metrics)?.[1] ?? NaN);
    console.log(`server counted ${fmt(counted)} accepted heartbeats (incl. warm-up)`);
    await stopChild(server);
    server = undefined;

    const b = await startChild(
      [...(process.env.OUTPOST_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), '-e', BARE_SERVER],
      env,
      'bare node:http',
    );
    bare = b.child;
    if (warmup > 0) await load(b.url, requests, warmup);
    const bareCpu0 = Number(await (await fetch(`${b.url}/__cpu`)).text());
    const base = await load(b.url, requests, duration);
    const bareCpu = Number(await (await fetch(`${b.url}/__cpu`)).text()) - bareCpu0;
    console.log(`bare node:http: ${fmt(base.rps)} req/s, p99 ${base.p99} ms, ${base.other} non-2xx`);
    // On a busy machine throughput mostly measures the CPU share a process got; CPU per request does not.
    const perHb = (cpu / Math.max(1, hb.ok)) * 1e6;
    const perBare = (bareCpu / Math.max(1, base.ok)) * 1e6;
    console.log(
      `CPU per request: outpost ${perHb.toFixed(1)} µs, bare ${perBare.toFixed(1)} µs (CPU-cost ratio ${(perBare / perHb).toFixed(3)})`,
    );

    const ratio = base.rps > 0 ? hb.rps / base.rps : 0;
    console.log(`ratio ${ratio.toFixed(3)} (target ≥ 0.6), heartbeats/s target ≥ 17,000`);
    if (hb.other > 0 || hb.errors > 0) console.log('WARNING: some heartbeats failed; rps counts 2xx only');
    console.log(
      JSON.stringify({
        bench: 'heartbeat',
        rps: Math.round(hb.rps),
        p99_ms: hb.p99,
        baseline_rps: Math.round(base.rps),
        ratio: Math.round(ratio * 1000) / 1000,
        devices: deviceCount,
        duration_s: duration,
      }),
    );
  } finally {
    if (server) await stopChild(server);
    if (bare) await stopChild(bare);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The baseline: reads the request body (as the real server must) and answers a constant JSON. */
const BARE_SERVER = `
const http = require('node:http');
const body = JSON.stringify({ ok: true, message: 'Heartbeat received', server_time: new Date().toISOString(), next_heartbeat_sec: 60 });
const server = http.createServer((req, res) => {
  if (req.url === '/__cpu') {
    const u = process.cpuUsage();
    return res.end(String((u.user + u.system) / 1e6));
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

await main();
