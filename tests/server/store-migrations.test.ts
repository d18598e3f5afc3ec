import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src-main/server/store/postgres/index.js';
import { migrations } from '../../src-main/server/store/postgres/migrations/index.js';
import { createTestDatabase, withPg, type TestDatabase } from '../helpers/pg.js';
import { STORE_KINDS } from './store-helpers.js';

/** PostgreSQL schema versions: several instances starting at once, and a database newer than the build. */
describe.skipIf(!STORE_KINDS.includes('postgres'))('PostgreSQL migrations', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it('the migration list is strictly ordered, versions 1-19 for the store', () => {
    const versions = migrations.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions.filter((v) => v < 20).length).toBeGreaterThan(0);
  });

  it('five instances starting at once on an empty database: all start, each migration applied once', async () => {
    db = await createTestDatabase();
    const url = db.url;
    const stores = await Promise.all(
      Array.from({ length: 5 }, () => createPostgresStore({ url, poolMax: 2 })),
    );
    try {
      const applied = await withPg(url, (c) =>
        c.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version'),
      );
      expect(applied.rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
      // Every instance answers on the same schema.
      for (const s of stores) expect((await s.ping()).status).toBe('connected');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses a schema newer than it knows with one clear line, and changes nothing', async () => {
    db = await createTestDatabase();
    const url = db.url;
    await (await createPostgresStore({ url })).close();
    await withPg(url, (c) => c.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')"));
    const err = await createPostgresStore({ url }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^database schema is at version 999 but this build knows up to \d+: /);
    expect(err?.message).not.toContain('\n');
    const versions = await withPg(url, (c) => c.query('SELECT count(*)::int AS n FROM schema_migrations'));
    expect(versions.rows[0].n).toBe(migrations.length + 1);
  });

  it('a failing migration rolls back whole and leaves the lock free for the next start', async () => {
    db = await createTestDatabase();
    const url = db.url;
    const broken = [
      ...migrations,
      { version: 99, name: 'broken', up: 'CREATE TABLE half_done (x int); SELECT no_such_function();' },
    ];
    await expect(createPostgresStore({ url, migrations: broken })).rejects.toThrow();
    const s = await createPostgresStore({ url });
    await s.close();
    const tables = await withPg(url, (c) => c.query("SELECT 1 FROM pg_tables WHERE tablename = 'half_done'"));
    expect(tables.rows).toHaveLength(0);
  });
});

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'outpost-cli-pg-'));
  dirs.push(d);
  return d;
};

/** `npm run server -- --database-url …` as a real child process (tsx, as the npm script runs it). */
function runCli(args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OUTPOST_')) childEnv[k] = v;
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src-main/cli/server.ts'), ...args], {
    cwd: ROOT,
    env: { ...childEnv, OUTPOST_API_KEYS: 'cli-test-key-0123456789abcdef', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, exited, out: () => out, err: () => err };
}

describe.skipIf(!STORE_KINDS.includes('postgres'))('server CLI on PostgreSQL', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('--database-url: starts on PostgreSQL, answers, and SIGTERM closes the pool and exits 0', async () => {
    db = await createTestDatabase();
    const dbUrl = db.url;
    const dataDir = tempDir();
    const cli = runCli(['--port', '0', '--quiet', '--data-dir', dataDir, '--database-url', dbUrl]);
    const url = await new Promise<string>((res, rej) => {
      const t = setInterval(() => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+) \(PostgreSQL (\S+) on 127\.0\.0\.1:5432\)/.exec(
          cli.out(),
        );
        if (m) {
          clearInterval(t);
          expect(m[2]).toBe(db!.name);
          res(m[1]!);
        }
      }, 50);
      void cli.exited.then((code) => {
        clearInterval(t);
        rej(new Error(`exited ${code}: ${cli.err()}`));
      });
    });
    const health = await (await fetch(`${url}/health`)).json();
    expect(health.database).toMatchObject({ status: 'connected', kind: 'postgres' });
    cli.proc.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    // The pool is gone: no connection of the server's is left in the database.
    const left = await withPg(dbUrl, (c) =>
      c.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'outpost'", [
        db!.name,
      ]),
    );
    expect(left.rows).toHaveLength(0);
  });

  it('OUTPOST_DATABASE_URL on a newer schema: exit 1 with one line naming the versions', async () => {
    db = await createTestDatabase();
    const url = db.url;
    await (await createPostgresStore({ url })).close();
    await withPg(url, (c) => c.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')"));
    const dataDir = tempDir();
    const cli = runCli(['--port', '0', '--quiet', '--data-dir', dataDir], { OUTPOST_DATABASE_URL: url });
    expect(await cli.exited).toBe(1);
    expect(cli.err().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^outpost server: database schema is at version 999 but this build knows up to \d+: /,
      ),
    ]);
  });
});
