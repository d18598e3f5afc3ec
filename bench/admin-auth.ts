/**
 * `npm run bench -- admin-auth [--requests 2000] [--rounds 3]`
 *
 * What the admin gate costs per request by kind of caller, on one in-process server (SQLite, real HTTP, one
 * request at a time): `GET /api/admin/users` (view level) with an environment key (a digest compare), a named
 * key (a cached digest lookup, plus its last-use write at most once a minute), and a user's JWT (a cached
 * signature check plus the principal gate's cached user). The three are interleaved request by request so load
 * drifts hit them alike. Reported: p50/p99 per caller and the p50 ratio to the environment key. Target: named key
 * and JWT p50 within 1.2 × the environment key's (a store read per request would show as far more).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '../src-main/server/runner.js';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } },
  strict: true,
});
const REQUESTS = Math.max(10, Number(values.requests));
const ROUNDS = Math.max(1, Number(values.rounds));
const KEY = 'bench-admin-auth-key-0123456789abcdef';

const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-auth-'));
const srv = await startServer({
  host: '127.0.0.1',
  port: 0,
  dataDir: dir,
  env: {
    OUTPOST_API_KEYS: KEY,
    OUTPOST_ADMIN_USER: 'admin',
    OUTPOST_ADMIN_PASSWORD: 'bench-admin-password',
    OUTPOST_RATE_LIMIT_PER_MIN: '1000000',
  },
});
try {
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(srv.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return (await r.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- bench reads known answers
  };
  const named = (await post('/api/admin/api-keys', { name: 'bench', role: 'viewer' }, { 'x-api-key': KEY }))
    .data.key as string;
  const token = (await post('/api/auth/login', { username: 'admin', password: 'bench-admin-password' }))
    .token as string;
  const callers: Record<string, Record<string, string>> = {
    environment: { 'x-api-key': KEY },
    named: { 'x-api-key': named },
    jwt: { authorization: `Bearer ${token}` },
  };
  const times: Record<string, number[]> = { environment: [], named: [], jwt: [] };
  // Interleaved request by request, so a load swing on this shared machine lands on all three alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < REQUESTS; i++) {
      for (const [who, headers] of Object.entries(callers)) {
        const t0 = performance.now();
        const r = await fetch(`${srv.url}/api/admin/users`, { headers });
        await r.arrayBuffer();
        if (r.status !== 200) throw new Error(`${who}: HTTP ${r.status}`);
        if (round > 0 || i >= 20) times[who]!.push(performance.now() - t0); // the first are warm-up
      }
    }
  }
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  };
  const base = pct(times.environment!, 50);
  const out: Record<string, unknown> = {
    requests: REQUESTS,
    rounds: ROUNDS,
    load: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  for (const [who, xs] of Object.entries(times)) {
    const p50 = pct(xs, 50);
    const p99 = pct(xs, 99);
    out[who] = {
      p50_ms: Math.round(p50 * 1000) / 1000,
      p99_ms: Math.round(p99 * 1000) / 1000,
      p50_ratio: Math.round((p50 / base) * 100) / 100,
    };
    process.stdout.write(
      `${who.padEnd(12)} p50 ${p50.toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  p50 × env ${(p50 / base).toFixed(2)}\n`,
    );
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
}
