/**
 * Helpers shared by the fleet benches (fanout, fleet, device-scale, limits): server instances as child processes
 * (bench/lib-fleet-server.ts, i.e. `startServer` as `npm run server` runs it), a private nginx running the shipped
 * example config (the e2e suite's launcher), and figures read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { procCpuSeconds } from './lib-pg.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

export const FLEET_API_KEY = 'bench-fleet-admin-key-0123456789abcdef';
export const FLEET_JWT_SECRET = 'bench-fleet-jwt-secret-0123456789abcdef0123456789';

/** The environment every bench instance gets: known admin key and JWT secret, request limits out of the way. */
export function fleetEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OUTPOST_')) env[k] = v;
  return {
    ...env,
    NODE_ENV: 'production',
    OUTPOST_API_KEYS: FLEET_API_KEY,
    OUTPOST_JWT_SECRET: FLEET_JWT_SECRET,
    OUTPOST_ADMIN_USER: 'admin',
    OUTPOST_ADMIN_PASSWORD: 'bench-admin-password',
    OUTPOST_RATE_LIMIT_PER_MIN: '1000000',
    OUTPOST_WS_MAX_PER_IP: '1000000',
    // All load comes from 127.0.0.1 (0: no per-IP connection cap).
    OUTPOST_MAX_CONNECTIONS_PER_IP: '0',
    ...extra,
  };
}

export interface Instance {
  name: string;
  child: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts one instance and resolves once it printed its `listening on` line. `databaseUrl` empty: SQLite in
 * `dataDir`. `env` adds the bench switches (BENCH_FANOUT, BENCH_LIMITER) or server settings.
 */
export function startInstance(
  name: string,
  opts: { dataDir: string; databaseUrl?: string; env?: Record<string, string>; nodeArgs?: string[] },
): Promise<Instance> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        // e.g. OUTPOST_BENCH_NODE_ARGS=--cpu-prof to profile the instances under load
        ...(opts.nodeArgs ?? (process.env.OUTPOST_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)),
        '--import',
        'tsx',
        join(here, 'lib-fleet-server.ts'),
      ],
      {
        cwd: root,
        env: fleetEnv({
          BENCH_DATA_DIR: opts.dataDir,
          BENCH_DATABASE_URL: opts.databaseUrl ?? '',
          ...opts.env,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/[^\s)]+)/.exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({
          name,
          child,
          pid: child.pid!,
          url: m[1]!,
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(t);
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}) before listening:\n${out}`)));
    setTimeout(() => reject(new Error(`${name} did not start within 90 s:\n${out}`)), 90_000).unref();
  });
}

/** Resident set size of a process in bytes (VmRSS), or NaN once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Direct children of a process (nginx's workers under its master). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Total utime + stime (s) of a set of processes; those gone count 0. */
export function cpuOf(pids: number[]): number {
  return pids.reduce((t, p) => t + (procCpuSeconds(p) ?? 0), 0);
}

/** JSON over HTTP with the admin key; throws on a non-2xx answer. */
export async function api<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': FLEET_API_KEY, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export const pct = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
export const r1 = (n: number): number => Math.round(n * 10) / 10;
export const r3 = (n: number): number => Math.round(n * 1000) / 1000;
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A bounded keep-alive pool to one origin, for load generators that fire requests without awaiting each. */
export function httpPool(
  origin: string,
  connections = 32,
): {
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
} {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  return {
    async post(path, body, headers = {}) {
      const r = await pool.request({
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: r.statusCode, text: await r.body.text() };
    },
    close: () => pool.close(),
  };
}
