import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { request, type TestResponse } from '../helpers/server.js';
import { TestSocket } from './realtime-client.js';

/** Real server processes (the CLI entry point) sharing one data dir; not a test file itself. */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src-main/cli/server.ts');
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

export const API_KEY = 'multi-instance-admin-key-0123456789';
export const ADMIN = { username: 'admin', password: 'admin-password-123' };

export interface ChildServer {
  proc: ChildProcess;
  url: string;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  stdout(): string;
  stop(): Promise<number | null>;
}

export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OUTPOST_')) env[k] = v;
  return {
    ...env,
    NODE_ENV: 'test',
    OUTPOST_API_KEYS: API_KEY,
    OUTPOST_ADMIN_USER: ADMIN.username,
    OUTPOST_ADMIN_PASSWORD: ADMIN.password,
    OUTPOST_RATE_LIMIT_PER_MIN: '10000',
    ...extra,
  };
}

/** Starts `npm run server`'s entry point on an ephemeral port and waits for its `listening on` line. */
export async function spawnServer(
  dataDir: string,
  opts: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ChildServer> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, '--port', '0', '--data-dir', dataDir, '--quiet', ...(opts.args ?? [])],
    { cwd: ROOT, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const url = await new Promise<string>((res, rej) => {
    const onData = () => {
      const m = LISTENING.exec(out);
      if (m?.[1]) {
        proc.stdout?.off('data', onData);
        res(m[1]);
      }
    };
    proc.stdout?.on('data', onData);
    void exited.then((code) => rej(new Error(`server exited (${code}) before listening: ${err}`)));
  });
  return {
    proc,
    url,
    api: (method, path, body, headers) => request(url, method, path, body, headers),
    stdout: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

export const admin = { 'x-api-key': API_KEY };
export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

export async function enroll(
  on: ChildServer,
  registerOn: ChildServer = on,
): Promise<{ key: string; secret: string }> {
  const d = await on.api('POST', '/api/admin/devices', {}, admin);
  expect(d.status, d.text).toBe(200);
  const r = await registerOn.api('POST', `/api/devices/${d.body.device_key}/register`, {
    token_code: d.body.token_code,
  });
  expect(r.status, r.text).toBe(200);
  return { key: d.body.device_key as string, secret: r.body.device_secret as string };
}

export function heartbeat(on: ChildServer, key: string, secret: string): Promise<TestResponse> {
  return on.api('POST', `/api/devices/${key}/online`, {}, bearer(secret));
}

/**
 * Repeats `attempt` until `done` holds or `limitMs` passes, and returns the last answer. For what another
 * process does on its own clock (its poll of the shared tables); the bound is generous on purpose: the test
 * checks that the change arrives, the README's 1 s figure is checked with an injected clock elsewhere.
 */
export async function eventually<T>(
  attempt: () => Promise<T>,
  done: (v: T) => boolean,
  limitMs = 10_000,
): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const v = await attempt();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function createUser(on: ChildServer, username: string, role: string): Promise<void> {
  const r = await on.api(
    'POST',
    '/api/admin/users',
    { username, password: 'station-password-1', role },
    admin,
  );
  expect(r.status, r.text).toBe(201);
}

export async function login(on: ChildServer, username: string, deviceId?: string): Promise<string> {
  const r = await on.api('POST', '/api/auth/login', {
    username,
    password: 'station-password-1',
    ...(deviceId ? { device_id: deviceId } : {}),
  });
  expect(r.status, r.text).toBe(200);
  return r.body.token as string;
}

/** A socket logged in through the URL token, once the server confirmed it. */
export async function socketOn(on: ChildServer, token: string, deviceId?: string): Promise<TestSocket> {
  const q = `?token=${encodeURIComponent(token)}${deviceId ? `&device_id=${encodeURIComponent(deviceId)}` : ''}`;
  const s = await TestSocket.open(on.url, q);
  await s.next('authenticated');
  return s;
}

/**
 * 60 concurrent wrong tokens for one device, alternating between the instances, then the right token; and a
 * burst of right tokens for fresh devices. Returns the statuses so each store's suite asserts the same budget.
 */
export async function guessBurst(
  a: ChildServer,
  b: ChildServer,
): Promise<{ wrong: number[]; rightAfter: number; rightBurst: number[] }> {
  const d = await a.api('POST', '/api/admin/devices', {}, admin);
  const key = d.body.device_key as string;
  const right = d.body.token_code as string;
  const wrongCode = (i: number) => {
    const c = (parseInt(right, 16) + 1 + i) % 0x1000000;
    return c.toString(16).padStart(right.length, '0');
  };
  const wrong = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      (i % 2 ? b : a).api('POST', `/api/devices/${key}/register`, { token_code: wrongCode(i) }),
    ),
  );
  const rightAfter = await b.api('POST', `/api/devices/${key}/register`, { token_code: right });
  const fresh = await Promise.all(
    Array.from({ length: 40 }, () => a.api('POST', '/api/admin/devices', {}, admin)),
  );
  const rightBurst = await Promise.all(
    fresh.map((f, i) =>
      (i % 2 ? b : a).api('POST', `/api/devices/${f.body.device_key}/register`, {
        token_code: f.body.token_code,
      }),
    ),
  );
  return {
    wrong: wrong.map((r) => r.status),
    rightAfter: rightAfter.status,
    rightBurst: rightBurst.map((r) => r.status),
  };
}

/**
 * Failed logins over A and B for one fresh username (the server's budget is OUTPOST_LOGIN_MAX_FAILURES): first
 * more correct logins than the budget, one at a time; then 24 concurrent wrong passwords; then the right one.
 */
export async function loginBurst(
  a: ChildServer,
  b: ChildServer,
  username: string,
): Promise<{ rightFirst: number[]; wrong: number[]; rightAfter: number }> {
  await createUser(a, username, 'operator');
  const attempt = (on: ChildServer, password: string) =>
    on.api('POST', '/api/auth/login', { username, password });
  const rightFirst: number[] = [];
  for (let i = 0; i < 6; i++) rightFirst.push((await attempt(i % 2 ? b : a, 'station-password-1')).status);
  const wrong = await Promise.all(
    Array.from({ length: 24 }, (_, i) => attempt(i % 2 ? b : a, `wrong-password-${i}`)),
  );
  const rightAfter = await attempt(b, 'station-password-1');
  return { rightFirst, wrong: wrong.map((r) => r.status), rightAfter: rightAfter.status };
}

/** A license key of the right format that no license has (the random parts are 6 base-36 characters). */
export const unknownLicenseKey = (i: number) =>
  `PROGRAN3-2025-${(0x100000 + i).toString(36).toUpperCase().padStart(6, 'Z')}-ZZZZZZ`;

/**
 * License attempts from one address (loopback) over A and B, whose per-IP budget is 5 × their
 * OUTPOST_RATE_LIMIT_PER_MIN: one activation of a real license on each, 16 concurrent unknown keys (each costs
 * 10), then the real license again.
 */
export async function licenseBurst(
  a: ChildServer,
  b: ChildServer,
): Promise<{ known: number[]; unknown: number[]; knownAfter: number }> {
  const g = await a.api('POST', '/api/licenses/generate', { duration_days: 30, max_machines: 5 }, admin);
  expect(g.status, g.text).toBe(201);
  const key = g.body.data.license_key as string;
  const activate = (on: ChildServer, licenseKey: string, machine: string) =>
    on.api('POST', '/api/licenses/activate', {
      license_key: licenseKey,
      user_email: 'user@example.com',
      system_fingerprint: machine.repeat(64).slice(0, 64),
    });
  const known = [(await activate(a, key, 'a')).status, (await activate(b, key, 'b')).status];
  const unknown = await Promise.all(
    Array.from({ length: 16 }, (_, i) => activate(i % 2 ? b : a, unknownLicenseKey(i), 'c')),
  );
  const knownAfter = await activate(b, key, 'd');
  return { known, unknown: unknown.map((r) => r.status), knownAfter: knownAfter.status };
}

/**
 * What both stores' suites assert of a license burst with a per-IP budget of 60: known keys cost 1 each (not 10),
 * so the budget left holds at least 5 unknown keys and at most 6 are looked up; every other answer is a 429; and
 * the budget is spent fleet-wide, so the real license from the same address is then refused on the other instance.
 */
export function expectLicenseBudgetHeld(r: Awaited<ReturnType<typeof licenseBurst>>): void {
  expect(r.known).toEqual([200, 200]);
  expect(r.unknown.filter((s) => s !== 404 && s !== 429)).toEqual([]);
  const lookedUp = r.unknown.filter((s) => s === 404).length;
  expect(lookedUp).toBeLessThanOrEqual(6);
  expect(lookedUp).toBeGreaterThan(0);
  expect(r.knownAfter).toBe(429);
}
