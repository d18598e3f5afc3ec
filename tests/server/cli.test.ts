import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { verifyPassword } from '../../src-main/server/auth/password.js';
import { request } from '../helpers/server.js';

/**
 * The server CLI contract (README, Standalone server), against the real entry point in a child process:
 * `node --import tsx src-main/cli/server.ts [--host] [--port] [--data-dir]`.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src-main/cli/server.ts');
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

interface Cli {
  proc: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'outpost-cli-'));
  dirs.push(d);
  return d;
}

/** The parent's environment without any OUTPOST_* setting, plus the given ones. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OUTPOST_')) env[k] = v;
  return { ...env, NODE_ENV: 'test', ...extra };
}

function run(args: string[], env: Record<string, string> = {}): Omit<Cli, 'url'> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Starts the CLI on an ephemeral port and waits for its `listening on` line. */
async function startCli(dataDir: string, env: Record<string, string> = {}): Promise<Cli> {
  const cli = run(['--port', '0', '--data-dir', dataDir, '--quiet'], env);
  const url = await new Promise<string>((res, rej) => {
    const onData = () => {
      const m = LISTENING.exec(cli.stdout());
      if (m?.[1]) {
        cli.proc.stdout?.off('data', onData);
        res(m[1]);
      }
    };
    cli.proc.stdout?.on('data', onData);
    void cli.exited.then((code) => rej(new Error(`CLI exited (${code}) before listening: ${cli.stderr()}`)));
  });
  return { ...cli, url };
}

async function stopCli(cli: Cli): Promise<number | null> {
  cli.proc.kill('SIGTERM');
  return cli.exited;
}

const generatedKey = (out: string) => /Generated admin API key[^:]*: (\S+)/.exec(out)?.[1];
const generatedPassword = (out: string) => /Created admin user '([^']+)' with password[^:]*: (\S+)/.exec(out);

function readDb<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'server.db'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// Each test starts real processes through tsx (several seconds each on a busy 2-core machine).
describe('server CLI contract', { timeout: 90_000 }, () => {
  it('first start prints a generated API key and admin password once; the key works; a restart prints neither and keeps the data', async () => {
    const dataDir = tempDir();
    const first = await startCli(dataDir);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(LISTENING.exec(first.stdout())?.[2])).toBeGreaterThan(0);

    const key = generatedKey(first.stdout());
    const admin = generatedPassword(first.stdout());
    expect(key).toBeTruthy();
    expect(admin?.[1]).toBe('admin');
    expect(admin?.[2]?.length).toBeGreaterThanOrEqual(12);
    // Printed exactly once.
    expect(first.stdout().split(key!).length - 1).toBe(1);

    const withKey = await request(first.url, 'GET', '/api/admin/devices', undefined, { 'x-api-key': key! });
    expect(withKey.status).toBe(200);
    const wrongKey = await request(first.url, 'GET', '/api/admin/devices', undefined, {
      'x-api-key': `${key!}x`,
    });
    expect(wrongKey.status).toBe(401);
    const hb = await request(first.url, 'POST', '/api/heartbeat', { plugin_id: 'cli-restart-check' });
    expect(hb.status).toBe(200);
    expect(await stopCli(first)).toBe(0);

    // Secrets are kept only as hashes in the data dir.
    const stored = readDb(dataDir, (db) =>
      db.prepare('SELECT username, password_hash FROM users').all(),
    ) as Array<{
      username: string;
      password_hash: string;
    }>;
    expect(stored).toHaveLength(1);
    expect(stored[0]!.password_hash).not.toContain(admin![2]!);
    expect(await verifyPassword(admin![2]!, stored[0]!.password_hash)).toBe(true);

    // Generated secrets live in the data dir, owner-only; the JWT secret survives restarts (tokens stay valid).
    // The database (users' password hashes, device secret digests) is owner-only too, WAL file included.
    for (const f of ['api-keys.sha256', 'jwt-secret', 'server.db', 'server.db-wal']) {
      expect(statSync(join(dataDir, f)).mode & 0o777, f).toBe(0o600);
    }
    expect(readFileSync(join(dataDir, 'api-keys.sha256'), 'utf8')).not.toContain(key!);
    const jwtSecret = readFileSync(join(dataDir, 'jwt-secret'), 'utf8');

    const second = await startCli(dataDir);
    expect(second.stdout()).not.toMatch(/Generated admin API key|Created admin user/);
    expect(second.stdout()).not.toContain(key!);
    expect(second.stdout()).not.toContain(admin![2]!);
    const again = await request(second.url, 'GET', '/api/admin/devices', undefined, { 'x-api-key': key! });
    expect(again.status).toBe(200);
    const plugins = await request(second.url, 'GET', '/api/plugins', undefined, { 'x-api-key': key! });
    expect(plugins.body.data.plugins.map((p: { plugin_id: string }) => p.plugin_id)).toContain(
      'cli-restart-check',
    );
    expect(await stopCli(second)).toBe(0);
    expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8')).toBe(jwtSecret);
    expect(readDb(dataDir, (db) => db.prepare('SELECT COUNT(*) FROM users').pluck().get())).toBe(1);
  });

  it('honours OUTPOST_API_KEYS (every listed key, nothing generated) and OUTPOST_ADMIN_USER/PASSWORD', async () => {
    const dataDir = tempDir();
    const cli = await startCli(dataDir, {
      OUTPOST_API_KEYS: 'cli-key-one-0123456789, cli-key-two-0123456789',
      OUTPOST_ADMIN_USER: 'boss',
      OUTPOST_ADMIN_PASSWORD: 'boss-password-42',
    });
    expect(cli.stdout()).not.toMatch(/Generated admin API key|Created admin user/);
    for (const k of ['cli-key-one-0123456789', 'cli-key-two-0123456789']) {
      const r = await request(cli.url, 'GET', '/api/admin/devices', undefined, { 'x-api-key': k });
      expect(r.status, k).toBe(200);
    }
    for (const k of ['cli-key-three', '', 'cli-key-one-0123456789,cli-key-two-0123456789']) {
      const r = await request(cli.url, 'GET', '/api/admin/devices', undefined, { 'x-api-key': k });
      expect(r.status, `key '${k}'`).toBe(401);
    }
    expect(await stopCli(cli)).toBe(0);
    expect(existsSync(join(dataDir, 'api-keys.sha256'))).toBe(false);
    const users = readDb(dataDir, (db) =>
      db.prepare('SELECT username, role, password_hash FROM users').all(),
    ) as Array<{
      username: string;
      role: string;
      password_hash: string;
    }>;
    expect(users.map((u) => [u.username, u.role])).toEqual([['boss', 'admin']]);
    expect(await verifyPassword('boss-password-42', users[0]!.password_hash)).toBe(true);
    expect(users[0]!.password_hash).not.toContain('boss-password-42');
  });

  it('SIGTERM with a request in flight: the request completes, exit code 0, server.db closed cleanly', async () => {
    const dataDir = tempDir();
    const cli = await startCli(dataDir, { OUTPOST_API_KEYS: 'cli-sigterm-key-0123456789' });
    const url = new URL(cli.url);
    const body = JSON.stringify({ plugin_id: 'sigterm-in-flight', plugin_name: 'held open' });
    const half = Math.floor(body.length / 2);

    // Headers and half the body now; the rest only after the signal.
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/api/heartbeat',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    });
    const response = new Promise<{ status: number; text: string }>((res, rej) => {
      req.on('response', (r) => {
        let text = '';
        r.on('data', (d: Buffer) => (text += d.toString()));
        r.on('end', () => res({ status: r.statusCode ?? 0, text }));
      });
      req.on('error', rej);
    });
    await new Promise<void>((res) => req.write(body.slice(0, half), () => res()));
    // A round trip on another connection: by the time it answers, the server has read the held request's headers.
    expect((await request(cli.url, 'GET', '/api/health')).status).toBe(200);

    cli.proc.kill('SIGTERM');
    await new Promise<void>((res) => {
      const check = () => (/SIGTERM/.test(cli.stdout()) ? res() : setTimeout(check, 20));
      check();
    });
    // New connections are refused (or answered 503) while the held one is still served.
    req.end(body.slice(half));
    const done = await response;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.text)).toMatchObject({
      success: true,
      plugin: { plugin_id: 'sigterm-in-flight' },
    });

    // Exit code 0 also means it beat the CLI's own 4.5 s hard-stop timer (which exits 1).
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');

    // Closed cleanly: the last connection's close checkpoints and removes the WAL; the file checks out.
    expect(existsSync(join(dataDir, 'server.db-wal'))).toBe(false);
    readDb(dataDir, (db) => {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(
        db.prepare("SELECT plugin_name FROM plugins WHERE plugin_id = 'sigterm-in-flight'").pluck().get(),
      ).toBe('held open');
    });
  });

  it('SIGINT right after the listening line exits 0 through the clean shutdown', async () => {
    const cli = await startCli(tempDir(), { OUTPOST_API_KEYS: 'cli-sigint-key-0123456789' });
    // Signalled the moment the `listening on` line appears: the handlers must already be in place.
    cli.proc.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toMatch(/SIGINT: finishing/);
  });

  it('`npm run server`: SIGTERM to npm (which only reaches its sh) still shuts the server down cleanly', async () => {
    const dataDir = tempDir();
    const proc = spawn(
      'npm',
      ['run', '--silent', 'server', '--', '--port', '0', '--data-dir', dataDir, '--quiet'],
      {
        cwd: ROOT,
        env: childEnv({ OUTPOST_API_KEYS: 'cli-npm-key-0123456789' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(proc);
    let out = '';
    const url = await new Promise<string>((res) => {
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = LISTENING.exec(out);
        if (m?.[1]) res(m[1]);
      });
    });
    expect((await request(url, 'POST', '/api/heartbeat', { plugin_id: 'via-npm' })).status).toBe(200);
    proc.kill('SIGTERM');
    // The server notices its parent shell is gone and stops: the port closes and the WAL is checkpointed away.
    await vi.waitFor(
      async () => {
        await expect(fetch(`${url}/api/health`)).rejects.toThrow();
        expect(existsSync(join(dataDir, 'server.db-wal'))).toBe(false);
      },
      { timeout: 15_000, interval: 250 },
    );
    readDb(dataDir, (db) => expect(db.pragma('integrity_check', { simple: true })).toBe('ok'));
  });

  it.each([
    ['--port abc', ['--port', 'abc'], /invalid --port 'abc'/],
    ['--port 70000', ['--port', '70000'], /invalid --port '70000'/],
    ['--port -1', ['--port=-1'], /invalid --port '-1'/],
    ['an unknown flag --bogus', ['--bogus'], /--bogus/],
  ])('%s → non-zero exit and a one-line reason on stderr', async (_name, args, reason) => {
    const cli = run([...args, '--data-dir', tempDir()]);
    const code = await cli.exited;
    expect(code).not.toBe(0);
    const lines = cli.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(reason);
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
    expect(cli.stdout()).not.toMatch(/listening on/);
  });

  it('a port already in use → non-zero exit and a one-line reason', async () => {
    const dataDir = tempDir();
    const first = await startCli(dataDir, { OUTPOST_API_KEYS: 'cli-busy-key-0123456789' });
    const port = new URL(first.url).port;
    const second = run(['--port', port, '--data-dir', tempDir(), '--quiet'], {
      OUTPOST_API_KEYS: 'cli-busy-key-0123456789',
    });
    expect(await second.exited).not.toBe(0);
    expect(second.stderr().trim().split('\n')).toHaveLength(1);
    expect(second.stderr()).toMatch(/EADDRINUSE|in use/);
    expect(await stopCli(first)).toBe(0);
  });

  it('a first start that cannot listen still shows the credentials it stored, once; the retry generates none and they work', async () => {
    const busy = await startCli(tempDir(), { OUTPOST_API_KEYS: 'cli-busy-key-0123456789' });
    const dataDir = tempDir();
    const failed = run(['--port', new URL(busy.url).port, '--data-dir', dataDir, '--quiet']);
    expect(await failed.exited).not.toBe(0);
    expect(failed.stderr()).toMatch(/EADDRINUSE|in use/);
    const key = generatedKey(failed.stdout());
    const creds = generatedPassword(failed.stdout());
    expect(key).toBeTruthy();
    expect(creds?.[2]).toBeTruthy();
    expect(await stopCli(busy)).toBe(0);

    const retry = await startCli(dataDir);
    expect(retry.stdout()).not.toMatch(/Generated admin API key|Created admin user/);
    const listed = await request(retry.url, 'GET', '/api/admin/clients', undefined, { 'x-api-key': key! });
    expect(listed.status).toBe(200);
    const login = await request(retry.url, 'POST', '/api/auth/login', {
      username: creds![1],
      password: creds![2],
    });
    expect(login.status).toBe(200);
    expect(await stopCli(retry)).toBe(0);
  });
});
