/**
 * A real fleet for the end-to-end suite: server instances as child processes of the real CLI (what
 * `npm run server` runs, without npm in between, so SIGKILL reaches the server itself), one PostgreSQL database,
 * and a private nginx in front, configured from the shipped example `docs/nginx/outpost-fleet.conf`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { pgUnavailableReason } from '../../helpers/pg.js';
import { freePort } from './free-port.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'src-main/cli/server.ts');
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;
export const NGINX_EXAMPLE = join(ROOT, 'docs/nginx/outpost-fleet.conf');

export const FLEET_API_KEY = 'fleet-e2e-admin-key-0123456789abcdef';
export const FLEET_ADMIN = { username: 'admin', password: 'admin-password-123' };

/** The environment every fleet instance of the e2e suites starts with: one database, behind nginx, one admin. */
export function fleetEnv(databaseUrl: string): Record<string, string> {
  return {
    OUTPOST_DATABASE_URL: databaseUrl,
    OUTPOST_TRUST_PROXY: '1',
    OUTPOST_API_KEYS: FLEET_API_KEY,
    OUTPOST_ADMIN_USER: FLEET_ADMIN.username,
    OUTPOST_ADMIN_PASSWORD: FLEET_ADMIN.password,
    OUTPOST_RATE_LIMIT_PER_MIN: '1000000',
    OUTPOST_PG_POOL_MAX: '5',
  };
}

/** The nginx binary, or undefined. Debian installs it in /usr/sbin, which a non-root PATH may lack. */
export function nginxBinary(): string | undefined {
  const candidates = [process.env.OUTPOST_NGINX, '/usr/sbin/nginx', '/usr/bin/nginx'].filter(
    (p): p is string => !!p,
  );
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

/**
 * Why the fleet suite cannot run here (nginx or PostgreSQL missing), or null. Under CI=true a missing part is
 * an error, never a skip: CI installs nginx-light and starts PostgreSQL (.ci/run).
 */
export async function fleetSkipReason(): Promise<string | null> {
  const missing: string[] = [];
  if (!nginxBinary()) missing.push('nginx not found (apt-get install nginx-light)');
  const pg = await pgUnavailableReason();
  if (pg) missing.push(pg);
  if (missing.length === 0) return null;
  const reason = `fleet e2e: ${missing.join('; ')}`;
  if (process.env.CI === 'true') throw new Error(`${reason}: required under CI=true`);
  console.warn(`${reason}: skipping the nginx fleet suite`);
  return reason;
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OUTPOST_')) env[k] = v;
  return { ...env, NODE_ENV: 'test', ...extra };
}

/** One server instance: its own data dir, the fleet's database, a fixed port once it first listened. */
export class FleetInstance {
  proc: ChildProcess | undefined;
  port = 0;
  /** Times it was started (1 after the first start). */
  starts = 0;
  private out = '';
  private err = '';
  private exited: Promise<void> = Promise.resolve();
  private listening = false;

  constructor(
    readonly name: string,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Running and past its `listening on` line (not merely starting). */
  get ready(): boolean {
    return this.running && this.listening;
  }

  /** Starts (on its previous port after the first time) and waits for the `listening on` line. */
  async start(): Promise<void> {
    this.out = '';
    this.err = '';
    this.listening = false;
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, '--port', String(this.port), '--data-dir', this.dataDir, '--quiet'],
      { cwd: ROOT, env: childEnv(this.env), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((res) => proc.once('exit', () => res()));
    const url = await new Promise<string>((res, rej) => {
      const onData = () => {
        const m = LISTENING.exec(this.out);
        if (m?.[1]) {
          proc.stdout?.off('data', onData);
          res(m[1]);
        }
      };
      proc.stdout?.on('data', onData);
      void this.exited.then(() =>
        rej(
          new Error(
            `${this.name} exited (${proc.exitCode ?? proc.signalCode}) before listening: ${this.err}`,
          ),
        ),
      );
    });
    this.port = Number(new URL(url).port);
    this.listening = true;
    this.starts++;
  }

  /** SIGKILL: no shutdown, no flush, sockets reset by the kernel. Resolves once the process is gone. */
  async kill(): Promise<void> {
    this.listening = false;
    if (this.running) this.proc!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (clean shutdown), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const proc = this.proc!;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }

  stderr(): string {
    return this.err;
  }
}

/**
 * The shipped example made runnable here: its upstream `server` lines point at the given ports (keeping
 * their parameters), its `listen` at a loopback port, and a header names the instance that answered (so a test
 * can tell which instance a killed request was on; not in the example: it would tell clients the topology).
 */
export function nginxSiteFromExample(example: string, upstreamPorts: number[], listenPort: number): string {
  if (!/upstream outpost \{/.test(example)) {
    throw new Error('docs/nginx/outpost-fleet.conf: no `upstream outpost { … }` block');
  }
  // Every upstream block (round robin for the API, address-sticky for socket.io) lists the same instances.
  let site = example.replace(
    /(upstream [\w-]+ \{)([\s\S]*?)(\n\})/g,
    (_all, open: string, body: string, close: string) => {
      const first = /^(\s*)server\s+\S+(\s[^;]*)?;.*$/m.exec(body);
      if (!first) throw new Error(`docs/nginx/outpost-fleet.conf: ${open} has no server line`);
      const params = first[2] ?? '';
      const servers = upstreamPorts.map((p) => `${first[1]}server 127.0.0.1:${p}${params};`).join('\n');
      const directives = body.replace(/^\s*server\s+\S+(\s[^;]*)?;.*\n?/gm, '');
      return `${open}\n${servers}${directives}${close}`;
    },
  );
  if (!/^\s*listen\s+80;/m.test(site)) throw new Error('docs/nginx/outpost-fleet.conf: no `listen 80;`');
  site = site.replace(/^(\s*)listen\s+80;/m, `$1listen 127.0.0.1:${listenPort};`);
  site = site.replace(
    /^(\s*)server_name\s+[^;]*;/m,
    `$&\n$1add_header X-Outpost-Upstream $upstream_addr always;`,
  );
  return site;
}

export interface Nginx {
  url: string;
  port: number;
  prefix: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** A private nginx (own prefix, pid file, logs and temp dirs) running the example in front of `ports`. */
export async function startNginx(prefix: string, upstreamPorts: number[]): Promise<Nginx> {
  const bin = nginxBinary();
  if (!bin) throw new Error('nginx not found');
  const port = await freePort();
  mkdirSync(prefix, { recursive: true });
  // Workers run as an unprivileged user when nginx is started as root: they must reach the temp dirs.
  chmodSync(prefix, 0o755);
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(prefix, d), { recursive: true });
    chmodSync(join(prefix, d), 0o777);
  }
  const site = nginxSiteFromExample(readFileSync(NGINX_EXAMPLE, 'utf8'), upstreamPorts, port);
  writeFileSync(join(prefix, 'outpost-fleet.conf'), site);
  writeFileSync(
    join(prefix, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/error.log warn;`,
      'events { worker_connections 4096; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy;`,
      `  fastcgi_temp_path ${prefix}/fastcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;`,
      `  include ${prefix}/outpost-fleet.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const test = spawnSync(bin, ['-t', '-c', join(prefix, 'nginx.conf'), '-p', prefix], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t failed: ${test.stderr}`);
  const proc = spawn(bin, ['-c', join(prefix, 'nginx.conf'), '-p', prefix, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  await waitForPort(port, 10_000, () => (proc.exitCode !== null ? `nginx exited: ${err}` : undefined));
  const errorLog = () => {
    try {
      return readFileSync(join(prefix, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    prefix,
    errorLog,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGQUIT');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function waitForPort(port: number, limitMs: number, fatal: () => string | undefined): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    const why = fatal();
    if (why) throw new Error(why);
    if (Date.now() > until) throw new Error(`nothing listening on 127.0.0.1:${port} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `attempt` until `done` holds or the deadline passes; returns the last answer and when it was taken. */
export async function pollUntil<T>(
  attempt: () => Promise<T>,
  done: (v: T) => boolean,
  deadline: number,
): Promise<{ value: T; at: number }> {
  for (;;) {
    const value = await attempt();
    const at = Date.now();
    if (done(value) || at > deadline) return { value, at };
    await new Promise((r) => setTimeout(r, 10));
  }
}
