/**
 * The Electron server spawner's timeouts and stop path with real child processes. Electron's utilityProcess is
 * replaced by a child_process.fork wrapper with the same surface (postMessage, kill, exit code); the timers are
 * injected, so the tests fire the start timeout and the stop grace period themselves instead of waiting.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const forked: { child: ChildProcess; messages: unknown[]; killed: number }[] = [];

vi.mock('electron', () => ({
  utilityProcess: {
    fork(script: string, args: string[], opts: { env: NodeJS.ProcessEnv }) {
      const child = fork(script, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      const rec = { child, messages: [] as unknown[], killed: 0 };
      forked.push(rec);
      const proc = Object.assign(new EventEmitter(), {
        pid: child.pid,
        stdout: child.stdout,
        stderr: child.stderr,
        postMessage: (m: unknown) => {
          rec.messages.push(m);
          child.send(m as object);
        },
        kill: () => {
          rec.killed++;
          return child.kill('SIGKILL');
        },
      });
      child.on('exit', (code) => proc.emit('exit', code ?? 1));
      return proc;
    },
  },
}));

const { parseAdminNotice, utilityServerSpawner } = await import('../../src-main/app/utility-server.js');

class ManualTimers {
  pending = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  };
  clearTimeout = (id: unknown) => void this.pending.delete(id as number);
  fire(ms: number): void {
    for (const [id, t] of [...this.pending]) {
      if (t.ms !== ms) continue;
      this.pending.delete(id);
      t.fn();
    }
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-utility-'));
  // Starts, never says it listens, ignores every message: the hung child.
  writeFileSync(join(dir, 'hang.mjs'), "process.on('message', () => {}); setInterval(() => {}, 60_000);\n");
  // Says it listens, prints the admin line, exits 0 when asked over parentPort-as-IPC.
  writeFileSync(
    join(dir, 'polite.mjs'),
    [
      'console.log("Created admin user \'admin\' with password (shown once): s3cr3t-Pa55word");',
      "console.log('Outpost server listening on http://127.0.0.1:45678 (data dir x)');",
      "process.on('message', (m) => { if (m && m.type === 'outpost:shutdown') { console.log('bye'); process.exit(0); } });",
    ].join('\n'),
  );
});
afterAll(() => {
  for (const f of forked) f.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const spawnOpts = { host: '127.0.0.1', port: 0, dataDir: '/nonexistent', env: {} };

describe('utility server spawner', () => {
  it('gives up on a child that never reports listening: rejects with the cause and kills it', async () => {
    const timers = new ManualTimers();
    const spawned = utilityServerSpawner({ script: join(dir, 'hang.mjs'), timers, startTimeoutMs: 30_000 })(
      spawnOpts,
    );
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([30_000]);
    timers.fire(30_000);
    await expect(spawned.ready).rejects.toThrow('did not report listening within 30 s');
    await spawned.exited;
    expect(forked.at(-1)!.killed).toBe(1);
  });

  it('stops by asking over parentPort and waits for the clean exit (no kill)', async () => {
    const timers = new ManualTimers();
    const notices: unknown[] = [];
    const spawned = utilityServerSpawner({
      script: join(dir, 'polite.mjs'),
      timers,
      onAdminNotice: (n) => notices.push(n),
    })(spawnOpts);
    expect(await spawned.ready).toBe('http://127.0.0.1:45678');
    expect(notices).toEqual([{ username: 'admin', password: 's3cr3t-Pa55word' }]);
    expect(timers.pending.size).toBe(0); // the start timeout was cleared
    await spawned.stop();
    const rec = forked.at(-1)!;
    expect(rec.messages).toEqual([{ type: 'outpost:shutdown' }]);
    expect(rec.killed).toBe(0);
    expect(await spawned.exited).toBe(0);
  });

  it('kills a child that ignores the shutdown message once the grace period runs out', async () => {
    const timers = new ManualTimers();
    const spawned = utilityServerSpawner({ script: join(dir, 'hang.mjs'), timers, stopGraceMs: 6_000 })(
      spawnOpts,
    );
    const stopping = spawned.stop();
    const rec = forked.at(-1)!;
    expect(rec.messages).toEqual([{ type: 'outpost:shutdown' }]);
    expect(rec.killed).toBe(0);
    timers.fire(6_000);
    await stopping;
    expect(rec.killed).toBe(1);
  });

  it('reads the admin line exactly, nothing else', () => {
    expect(parseAdminNotice("Created admin user 'admin' with password (shown once): abc-DEF_123")).toEqual({
      username: 'admin',
      password: 'abc-DEF_123',
    });
    expect(parseAdminNotice('Outpost server listening on http://127.0.0.1:1')).toBeNull();
    expect(parseAdminNotice("x Created admin user 'a' with password (shown once): p")).toBeNull();
  });

  it('abortStarting() stops a child that is still starting (quit during start-up), politely first', async () => {
    const timers = new ManualTimers();
    const spawner = utilityServerSpawner({ script: join(dir, 'hang.mjs'), timers, stopGraceMs: 6_000 });
    const spawned = spawner(spawnOpts);
    const rec = forked.at(-1)!;
    spawner.abortStarting();
    expect(rec.messages).toEqual([{ type: 'outpost:shutdown' }]);
    timers.fire(6_000); // this child ignores the request: the grace period ends it
    await expect(spawned.ready).rejects.toThrow('server process exited');
    expect(rec.killed).toBe(1);
    spawner.abortStarting(); // nothing left starting
    expect(rec.messages).toHaveLength(1);
  });
});
