import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, withPg, type TestDatabase } from '../helpers/pg.js';
import { admin, enroll, eventually, spawnServer, type ChildServer } from './multi-instance-helpers.js';

/**
 * Starting a fleet on PostgreSQL from the CLI: `--workers N --database-url`, and the fleet's generated admin key.
 * Real processes on a real database of their own; only the server-postgres project runs this file (vitest.config.ts
 * POSTGRES_ONLY).
 */

/** A POST on a connection of its own, so node:cluster's round-robin hands each one to the next worker. */
function freshPost(url: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      { method: 'POST', agent: false, headers: { ...headers, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

function workerPids(primary: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(primary), '-o', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('src-main/cli/server.ts'))
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

const KEY_LINE = /Generated admin API key \(shown once, stored only as a hash\): (opk_\S+)/g;
const keysPrinted = (out: string) => [...out.matchAll(KEY_LINE)].map((m) => m[1]!);

describe('--workers 2 --database-url', () => {
  let dir: string;
  let db: TestDatabase;
  let srv: ChildServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-fleet-workers-'));
    db = await createTestDatabase();
    // No OUTPOST_API_KEYS: the fleet generates its key, and exactly one process may print it.
    srv = await spawnServer(dir, {
      args: ['--workers', '2', '--database-url', db.url],
      env: { OUTPOST_API_KEYS: '' },
    });
  }, 90_000);

  afterAll(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  it('serves from two workers on the database, not on a SQLite data dir, and prints one admin key', async () => {
    expect(srv.stdout()).toMatch(
      /listening on http:\/\/127\.0\.0\.1:\d+ \(PostgreSQL outpost_test_\w+ on .*, 2 workers\)/,
    );
    // The URL may carry a password: never on the console.
    expect(srv.stdout()).not.toContain(db.url);
    expect(workerPids(srv.proc.pid!)).toHaveLength(2);
    // No SQLite store, no runtime.db, no per-instance key files: all of it is in the database.
    expect(readdirSync(dir)).toEqual([]);
    const tables = await withPg(db.url, async (c) =>
      (await c.query<{ name: string }>('SELECT name FROM runtime_keys ORDER BY name')).rows.map(
        (r) => r.name,
      ),
    );
    expect(tables).toEqual(['api-key-digests', 'jwt-secret', 'license-signing-key', 'ssh-host-key']);
    // The primary prints the key before its `listening on` line, which spawnServer waited for.
    const printed = keysPrinted(srv.stdout());
    expect(printed).toHaveLength(1);
    // Every worker accepts it (fresh connections go round both).
    const codes = await Promise.all(
      Array.from({ length: 4 }, () =>
        srv.api('GET', '/api/admin/devices', undefined, { 'x-api-key': printed[0]! }).then((r) => r.status),
      ),
    );
    expect(codes).toEqual([200, 200, 200, 200]);
  });

  it('a revoke made through one worker is refused by both', async () => {
    const key = keysPrinted(srv.stdout())[0]!;
    const d = await enroll({ ...srv, api: (m, p, b, h) => srv.api(m, p, b, { ...h, 'x-api-key': key }) });
    const hb = () =>
      freshPost(srv.url, `/api/devices/${d.key}/online`, { authorization: `Bearer ${d.secret}` });
    // Four fresh connections go round the two workers twice: both have the secret cached now.
    for (let i = 0; i < 4; i++) expect(await hb()).toBe(200);
    const del = await srv.api('DELETE', `/api/admin/devices/${d.key}`, undefined, { 'x-api-key': key });
    expect(del.status).toBe(200);
    const refusals = await eventually(
      async () => Promise.all(Array.from({ length: 4 }, hb)),
      (codes) => codes.every((c) => c === 401),
    );
    expect(refusals).toEqual([401, 401, 401, 401]);
  });
});

describe('two instances starting at once on one fresh database', () => {
  const dirs: string[] = [];
  let db: TestDatabase;
  let a: ChildServer;
  let b: ChildServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    dirs.push(
      mkdtempSync(join(tmpdir(), 'outpost-fleet-a-')),
      mkdtempSync(join(tmpdir(), 'outpost-fleet-b-')),
    );
    const env = { OUTPOST_API_KEYS: '', OUTPOST_DATABASE_URL: db.url };
    [a, b] = await Promise.all([spawnServer(dirs[0]!, { env }), spawnServer(dirs[1]!, { env })]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db?.drop();
  });

  it('exactly one prints the generated admin key, and it works on both', async () => {
    const printed = [...keysPrinted(a.stdout()), ...keysPrinted(b.stdout())];
    expect(printed).toHaveLength(1);
    const key = printed[0]!;
    for (const srv of [a, b]) {
      const r = await srv.api('GET', '/api/admin/devices', undefined, { 'x-api-key': key });
      expect(r.status, r.text).toBe(200);
      // The test helpers' usual key was not configured here: refused.
      expect((await srv.api('GET', '/api/admin/devices', undefined, admin)).status).toBe(401);
    }
    // Nothing key-like in either data dir: a file there would be a second, per-instance key.
    for (const d of dirs) {
      expect(existsSync(join(d, 'api-keys.sha256'))).toBe(false);
      expect(existsSync(join(d, 'jwt-secret'))).toBe(false);
    }
  });

  it('a restarted instance prints no key and still accepts the fleet key', async () => {
    const key = [...keysPrinted(a.stdout()), ...keysPrinted(b.stdout())][0]!;
    await a.stop();
    a = await spawnServer(dirs[0]!, { env: { OUTPOST_API_KEYS: '', OUTPOST_DATABASE_URL: db.url } });
    expect(keysPrinted(a.stdout())).toEqual([]);
    expect((await a.api('GET', '/api/admin/devices', undefined, { 'x-api-key': key })).status).toBe(200);
  });
});
