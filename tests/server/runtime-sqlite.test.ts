import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveServerConfig } from '../../src-main/server/config.js';
import { createSqliteRuntime, type SqliteRuntime } from '../../src-main/server/runtime/sqlite/index.js';
import type { Target } from '../../src-main/server/runtime/runtime.js';

/**
 * The shared SQLite runtime, two instances on one data dir in this process (each with its own connection to
 * runtime.db, as two processes would have), driven by hand: the poll timer is parked and the clock injected, so
 * "another instance sees it after its next poll" is checked without waiting.
 */
describe('SQLite runtime shared by two instances', () => {
  let dir: string;
  let t: number;
  let a: SqliteRuntime;
  let b: SqliteRuntime;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-rt-'));
    t = 1_700_000_000_000;
    const { config } = resolveServerConfig({ dataDir: dir, env: { OUTPOST_API_KEYS: 'k-0123456789abcdef' } });
    const opts = { pollMs: 3_600_000, now: () => t };
    a = createSqliteRuntime(config, opts);
    b = createSqliteRuntime(config, opts);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a credential change announced on A reaches B on its next poll, once, and A at once', async () => {
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.authEvents.subscribe((k) => seenA.push(k));
    b.authEvents.subscribe((k) => seenB.push(k));
    await a.authEvents.announce('dev-1');
    expect(seenA).toEqual(['dev-1']);
    expect(seenB).toEqual([]);
    b.poll();
    a.poll();
    expect(seenB).toEqual(['dev-1']);
    expect(seenA).toEqual(['dev-1']);
    b.poll();
    expect(seenB).toEqual(['dev-1']);
  });

  it('realtime events: delivered locally at once, on the other instance after its poll, never twice', async () => {
    const got: { on: string; target: Target; event: string; data: unknown }[] = [];
    a.fanout.bind((target, event, data) => got.push({ on: 'a', target, event, data }));
    b.fanout.bind((target, event, data) => got.push({ on: 'b', target, event, data }));
    a.fanout.publish({ kind: 'device', deviceId: 'S-1' }, 'quota_updated', { remaining: 3 });
    expect(got.map((g) => g.on)).toEqual(['a']);
    // Events are written once per tick, in one transaction.
    b.poll();
    expect(got.map((g) => g.on)).toEqual(['a']);
    await new Promise((r) => setImmediate(r));
    a.poll();
    b.poll();
    expect(got).toEqual([
      {
        on: 'a',
        target: { kind: 'device', deviceId: 'S-1' },
        event: 'quota_updated',
        data: { remaining: 3 },
      },
      {
        on: 'b',
        target: { kind: 'device', deviceId: 'S-1' },
        event: 'quota_updated',
        data: { remaining: 3 },
      },
    ]);
    b.poll();
    expect(got).toHaveLength(2);
  });

  it('an instance started later does not replay what was published before it existed', async () => {
    a.fanout.publish({ kind: 'authenticated' }, 'quota_updated', {});
    await a.authEvents.announce('old');
    await new Promise((r) => setImmediate(r));
    const { config } = resolveServerConfig({ dataDir: dir, env: { OUTPOST_API_KEYS: 'k-0123456789abcdef' } });
    const c = createSqliteRuntime(config, { pollMs: 3_600_000, now: () => t });
    try {
      const got: string[] = [];
      c.fanout.bind((_t, e) => got.push(e));
      c.authEvents.subscribe((k) => got.push(k));
      c.poll();
      expect(got).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('limiters count one budget across instances; the window ends on the clock; weights and reset are shared', async () => {
    const la = a.limiter('login-failures', { max: 3, windowMs: 60_000 });
    const lb = b.limiter('login-failures', { max: 3, windowMs: 60_000 });
    expect((await la.hit('alice')).allowed).toBe(true);
    expect((await lb.hit('alice')).allowed).toBe(true);
    expect((await lb.blocked('alice')).allowed).toBe(true);
    const third = await la.hit('alice');
    expect(third).toMatchObject({ allowed: true, remaining: 0 });
    expect(third.resetAt.getTime()).toBe(t + 60_000);
    expect((await lb.blocked('alice')).allowed).toBe(false);
    expect((await lb.hit('alice')).allowed).toBe(false);
    expect((await la.blocked('bob')).allowed).toBe(true);
    // Another name is another budget.
    expect(
      (await b.limiter('registration-device', { max: 3, windowMs: 60_000 }).blocked('alice')).allowed,
    ).toBe(true);
    t += 60_000;
    expect((await lb.blocked('alice')).allowed).toBe(true);
    const fresh = await la.hit('alice', 3);
    expect(fresh).toMatchObject({ allowed: true, remaining: 0 });
    expect(fresh.resetAt.getTime()).toBe(t + 60_000);
    expect((await lb.hit('alice')).allowed).toBe(false);
    await lb.reset('alice');
    expect((await la.blocked('alice')).allowed).toBe(true);
  });

  it('concurrent hits from two instances are all counted (one conditional statement each)', async () => {
    const la = a.limiter('registration-ip', { max: 1000, windowMs: 60_000 });
    const lb = b.limiter('registration-ip', { max: 1000, windowMs: 60_000 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? la : lb).hit('10.0.0.1')));
    expect((await la.blocked('10.0.0.1')).remaining).toBe(900);
  });

  it('presence: online once for the fleet, offline when the last socket anywhere closes; counts sum instances', async () => {
    const room = ['authenticated', 'device:D-1'] as const;
    expect(await a.presence.join(room)).toBe(true);
    expect(await b.presence.join(room)).toBe(false);
    expect(await a.presence.count({ kind: 'device', deviceId: 'D-1' })).toBe(2);
    expect(await b.presence.count({ kind: 'authenticated' })).toBe(2);
    expect(await a.presence.leave(room)).toBe(false);
    expect(await a.presence.count({ kind: 'device', deviceId: 'D-1' })).toBe(1);
    expect(await b.presence.leave(room)).toBe(true);
    expect(await b.presence.count({ kind: 'device', deviceId: 'D-1' })).toBe(0);
    expect(await b.presence.count({ kind: 'watchers' })).toBe(0);
  });

  it('an instance that stops refreshing its liveness no longer counts, and comes back when it does', async () => {
    await a.presence.join(['authenticated', 'device:D-2']);
    expect(await b.presence.count({ kind: 'device', deviceId: 'D-2' })).toBe(1);
    t += 11_000;
    b.housekeeping();
    expect(await b.presence.count({ kind: 'device', deviceId: 'D-2' })).toBe(0);
    // A, declared dead meanwhile, re-registers itself on its next housekeeping (its sockets are gone from the
    // table, so they count again only as they reconnect).
    a.housekeeping();
    expect(await a.presence.join(['authenticated', 'device:D-2'])).toBe(true);
    expect(await b.presence.count({ kind: 'device', deviceId: 'D-2' })).toBe(1);
  });

  it('old events are pruned; a reader past them carries on with new ones', async () => {
    const seen: string[] = [];
    b.authEvents.subscribe((k) => seen.push(k));
    await a.authEvents.announce('x-1');
    b.poll();
    t += 16 * 60_000;
    a.housekeeping();
    await a.authEvents.announce('x-2');
    b.poll();
    expect(seen).toEqual(['x-1', 'x-2']);
  });

  it('singleton: one lease holder runs the job; when it stops renewing, another takes over after 3 periods', async () => {
    const ran: string[] = [];
    const sa = a.singleton('offline-sweep', 1000, async () => void ran.push('a'));
    const sb = b.singleton('offline-sweep', 1000, async () => void ran.push('b'));
    try {
      sa.turn();
      sb.turn();
      await Promise.resolve();
      expect(ran).toEqual(['a']);
      expect([sa.isLeader(), sb.isLeader()]).toEqual([true, false]);
      t += 2_999;
      sb.turn();
      expect(sb.isLeader()).toBe(false);
      t += 1;
      sb.turn();
      await Promise.resolve();
      expect(sb.isLeader()).toBe(true);
      expect(ran).toEqual(['a', 'b']);
      sa.turn();
      expect(sa.isLeader()).toBe(false);
    } finally {
      sa.stop();
      sb.stop();
    }
  });

  it('both instances hold the same keys', () => {
    expect(b.keys.licenseSigningKeyPem).toBe(a.keys.licenseSigningKeyPem);
    expect(b.keys.sshHostKeyPem).toBe(a.keys.sshHostKeyPem);
    expect(Buffer.from(b.keys.jwtSecret).equals(Buffer.from(a.keys.jwtSecret))).toBe(true);
    expect(b.keys.apiKeyDigests).toEqual(a.keys.apiKeyDigests);
    expect(a.instanceId).not.toBe(b.instanceId);
  });
});

describe('secret files created by processes starting together', () => {
  it('eight processes racing to create one key file: one creates it, all read the same content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-race-'));
    const file = join(dir, 'key');
    const mod = resolve(import.meta.dirname, '../../src-main/server/runtime/secret-file.ts');
    const script = `import { readOrCreateSecretFile } from ${JSON.stringify(mod)};
      const r = readOrCreateSecretFile(${JSON.stringify(file)}, () => String(process.pid));
      process.stdout.write(JSON.stringify(r));`;
    try {
      const outs = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<{ content: string; created: boolean }>((res, rej) => {
              const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
              let out = '';
              p.stdout.on('data', (d: Buffer) => (out += d.toString()));
              p.on('error', rej);
              p.on('exit', (code) => (code === 0 ? res(JSON.parse(out)) : rej(new Error(`exit ${code}`))));
            }),
        ),
      );
      expect(outs.filter((o) => o.created)).toHaveLength(1);
      const content = readFileSync(file, 'utf8');
      for (const o of outs) expect(o.content).toBe(content);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('data-dir key files', () => {
  it('a damaged key file stops the runtime with one line naming the file, never an OpenSSL message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-keys-'));
    try {
      const { config } = resolveServerConfig({
        dataDir: dir,
        env: { OUTPOST_API_KEYS: 'k-0123456789abcdef' },
      });
      writeFileSync(join(dir, 'ssh_host_ed25519_key'), '-----BEGIN PRIVATE KEY-----\ngarbage\n', {
        mode: 0o600,
      });
      expect(() => createSqliteRuntime(config)).toThrow(
        `${join(dir, 'ssh_host_ed25519_key')}: the PEM private key cannot be decoded (corrupt or truncated?)`,
      );
      writeFileSync(join(dir, 'ssh_host_ed25519_key'), '', { mode: 0o600 });
      expect(() => createSqliteRuntime(config)).toThrow(/ssh_host_ed25519_key: empty key file$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
