/**
 * The embedded server child is supervised: killed, it comes back after a backoff that doubles per crash in a
 * row (driven by an injected clock, never by waiting), the cause is shown in words (a port taken by another
 * program is named as such), and Restart starts it at once with the backoff forgotten. Real forked server
 * processes, killed for real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EmbeddedServer,
  describeServerFailure,
  type ServerSpawner,
  type SpawnedServer,
  type SupervisorClock,
} from '../../src-main/agent/admin/embedded-server.js';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { SettingsStore } from '../../src-main/agent/settings/settings.js';
import { forkServerSpawner } from '../../src-main/cli/web-ui/fork-server.js';

class FakeClock implements SupervisorClock {
  t = 1_000_000;
  private next = 1;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time on and runs what fell due. */
  advance(ms: number): void {
    this.t += ms;
    for (const [id, timer] of [...this.timers]) {
      if (timer.at <= this.t) {
        this.timers.delete(id);
        timer.fn();
      }
    }
  }
}

async function until<T>(what: () => T | undefined | false, label: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function occupy(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

async function freePort(): Promise<number> {
  const s = await occupy();
  const p = portOf(s);
  await close(s);
  return p;
}

describe('embedded server supervisor (real server processes)', { timeout: 120_000 }, () => {
  let dir: string;
  let server: EmbeddedServer | undefined;
  let clock: FakeClock;
  let children: SpawnedServer[];
  let spawner: ServerSpawner;
  const blockers: Server[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-supervisor-'));
    clock = new FakeClock();
    children = [];
    const fork = forkServerSpawner();
    spawner = (opts) => {
      const c = fork(opts);
      children.push(c);
      return c;
    };
  });
  afterEach(async () => {
    await server?.stop();
    for (const b of blockers.splice(0)) await close(b);
    rmSync(dir, { recursive: true, force: true });
  });

  function build(port: number) {
    const settings = SettingsStore.open(dir, {});
    settings.update({ embedded_server: { mode: 'local', port } });
    server = new EmbeddedServer(
      { dataDir: dir, settings, secrets: createMemorySecretStore() },
      spawner,
      {},
      {
        clock,
        baseDelayMs: 1_000,
        maxDelayMs: 8_000,
        healthyAfterMs: 60_000,
      },
    );
    return server;
  }

  it('restarts a killed server after 1 s, then 2 s for a second crash in a row; Restart forgets the backoff', async () => {
    const port = await freePort();
    const s = build(port);
    expect((await s.startFromSettings()).running).toBe(true);
    const first = children[0]!;
    process.kill(first.pid!, 'SIGKILL');

    const down = await until(() => {
      const st = s.status();
      return !st.running && st.restarting_at ? st : undefined;
    }, 'the crash to be seen');
    expect(down.last_error).toBe(
      'Embedded server stopped unexpectedly: it was killed by a signal. Restarting in 1 s (attempt 1).',
    );
    expect(down.restarting_at).toBe(new Date(clock.t + 1_000).toISOString());
    expect(down.crashes).toBe(1);
    // Nothing happens before the delay is up.
    clock.advance(999);
    await new Promise((r) => setTimeout(r, 200));
    expect(children).toHaveLength(1);

    clock.advance(1);
    const up = await until(() => (s.status().running ? s.status() : undefined), 'the restart');
    expect(up).toMatchObject({
      running: true,
      url: `http://127.0.0.1:${port}`,
      last_error: null,
      restarting_at: null,
    });
    expect(children).toHaveLength(2);
    expect(children[1]!.pid).not.toBe(first.pid);
    // The restarted server answers.
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    // A second crash soon after: twice the delay.
    clock.advance(5_000);
    process.kill(children[1]!.pid!, 'SIGKILL');
    const again = await until(() => (s.status().restarting_at ? s.status() : undefined), 'the second crash');
    expect(again.last_error).toMatch(/Restarting in 2 s \(attempt 2\)\.$/);
    expect(again.restarting_at).toBe(new Date(clock.t + 2_000).toISOString());

    // Restart: at once, the pending restart cancelled, the count back to 0.
    const restarted = await s.restart();
    expect(restarted).toMatchObject({ running: true, crashes: 0, restarting_at: null, last_error: null });
    expect(clock.timers.size).toBe(0);
    expect(children).toHaveLength(3);
  });

  it('names a port taken by another program, at start and when a restart finds it taken', async () => {
    const blocker = await occupy();
    blockers.push(blocker);
    const taken = portOf(blocker);
    const s = build(taken);
    const st = await s.startFromSettings();
    expect(st.running).toBe(false);
    expect(st.last_error).toBe(`Embedded server did not start: port ${taken} is in use by another program`);
    // A failed start is not retried behind the operator's back: Restart is theirs to press.
    expect(clock.timers.size).toBe(0);
    await expect(s.restart()).rejects.toThrow(`port ${taken} is in use by another program`);

    // Running on a free port; killed; the port is taken before the restart: the retry says why and backs off.
    await close(blocker);
    blockers.splice(0);
    const port = await freePort();
    await s.configure({ mode: 'local', port });
    expect(s.status().running).toBe(true);
    process.kill(children.at(-1)!.pid!, 'SIGKILL');
    await until(() => s.status().restarting_at, 'the crash');
    blockers.push(await occupy(port));
    clock.advance(1_000);
    const failed = await until(() => {
      const cur = s.status();
      return cur.crashes === 2 && cur.restarting_at ? cur : undefined;
    }, 'the failed restart');
    expect(failed.last_error).toBe(
      `Embedded server did not start: port ${port} is in use by another program. Restarting in 2 s (attempt 2).`,
    );
    expect(failed.running).toBe(false);
  });

  it('turns the server CLI’s last line into words', () => {
    expect(
      describeServerFailure(
        'server process exited with code 1: outpost server: listen EADDRINUSE: address already in use 127.0.0.1:8787',
        8787,
      ),
    ).toBe('port 8787 is in use by another program');
    expect(
      describeServerFailure(
        'outpost server: cannot use data dir /proc/x: directories cannot be created there',
        1,
      ),
    ).toBe('cannot use data dir /proc/x: directories cannot be created there');
  });
});
