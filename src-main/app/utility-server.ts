/**
 * Electron spawner for the embedded server: a utilityProcess (a Node child managed by Electron), so the main
 * process's event loop stays free for the UI. Same contract as the headless fork: readiness is the server CLI's
 * `listening on` line; the admin API key goes only into the child's environment. Two things differ from the
 * headless fork:
 * - stop asks first (a shutdown message over parentPort, answered by server-process.ts) and waits for the clean
 *   exit; `kill()` — a hard terminate on Windows — is only the fallback when the grace period runs out;
 * - a child that never reports `listening` is given up after a start timeout (killed, with the cause), so the
 *   window can say why instead of waiting forever.
 * The one-time admin password line goes to `onAdminNotice` and nowhere else (never to the log).
 */
import { utilityProcess } from 'electron';
import { createInterface } from 'node:readline';
import { parseAdminNotice, type ServerSpawner, type SpawnedServer } from '../agent/admin/embedded-server.js';
import { createLogger } from '../agent/logging/logger.js';
import { IDLE_PROCESS_ENV, IDLE_PROCESS_V8_FLAGS } from '../agent/v8-flags.js';
import type { AdminNotice } from '../../src-shared/ipc/shell-state.js';
import { SHUTDOWN_REQUEST } from './server-messages.js';

const log = createLogger('embedded-server');
const READY = /listening on (http:\/\/\S+)/;

export const SERVER_START_TIMEOUT_MS = 30_000;
export const SERVER_STOP_GRACE_MS = 6_000;

/** Timer functions, injectable so tests drive the timeouts without waiting. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export { parseAdminNotice };

/**
 * The spawner, plus `abortStarting()` for quitting while a child is still starting: the agent's stop waits for the
 * start to settle, so the shell stops such a child itself (same polite path) instead of waiting out the timeout.
 */
export type UtilityServerSpawner = ServerSpawner & { abortStarting(): void };

export function utilityServerSpawner(opts: {
  script: string;
  onAdminNotice?: (notice: AdminNotice) => void;
  startTimeoutMs?: number;
  stopGraceMs?: number;
  timers?: Timers;
}): UtilityServerSpawner {
  const timers = opts.timers ?? realTimers;
  const startTimeoutMs = opts.startTimeoutMs ?? SERVER_START_TIMEOUT_MS;
  const stopGraceMs = opts.stopGraceMs ?? SERVER_STOP_GRACE_MS;
  const starting = new Set<SpawnedServer>();
  const spawn = ({ host, port, dataDir, env }: Parameters<ServerSpawner>[0]): SpawnedServer => {
    const child = utilityProcess.fork(
      opts.script,
      ['--host', host, '--port', String(port), '--data-dir', dataDir],
      {
        env: {
          ...IDLE_PROCESS_ENV,
          ...process.env,
          OUTPOST_LOG_LEVEL: process.env.OUTPOST_LOG_LEVEL ?? 'warn',
          ...env,
        },
        // The same idle-process flags as the headless fork (agent/v8-flags.ts).
        execArgv: [...IDLE_PROCESS_V8_FLAGS],
        stdio: 'pipe',
        serviceName: 'Outpost embedded server',
      },
    );
    let done = false;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        done = true;
        resolve(code);
      }),
    );
    // The child's last stderr line is the cause a start failure shows (e.g. the port is taken).
    let lastStderr = '';
    const stderrClosed = new Promise<void>((resolve) => {
      if (!child.stderr) return resolve();
      const lines = createInterface({ input: child.stderr });
      lines.on('line', (line) => {
        lastStderr = line.slice(0, 300);
        log.warn({ line: line.slice(0, 500) }, 'server stderr');
      });
      lines.once('close', () => resolve());
    });
    const ready = new Promise<string>((resolve, reject) => {
      const timer = timers.setTimeout(() => {
        reject(
          new Error(
            `the server process did not report listening within ${Math.round(startTimeoutMs / 1000)} s`,
          ),
        );
        if (!done) child.kill();
      }, startTimeoutMs);
      void exited.then(async (code) => {
        timers.clearTimeout(timer);
        // stderr may still hold the last lines when 'exit' fires; its end comes right after.
        await stderrClosed;
        const cause = lastStderr ? `: ${lastStderr}` : '';
        reject(new Error(`server process exited with code ${code ?? 'signal'}${cause}`));
      });
      if (child.stdout) {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const m = READY.exec(line);
          if (m) {
            timers.clearTimeout(timer);
            resolve(m[1]!);
            return;
          }
          const notice = parseAdminNotice(line);
          if (notice) opts.onAdminNotice?.(notice);
          // Other stdout lines (request logs, the shutdown line) are not needed here.
        });
      }
    });
    ready.catch(() => undefined);
    const spawned: SpawnedServer = {
      ready,
      exited,
      lastOutput: () => lastStderr || null,
      get pid() {
        return child.pid;
      },
      async stop() {
        if (done || child.pid === undefined) return;
        child.postMessage(SHUTDOWN_REQUEST);
        const timer = timers.setTimeout(() => {
          if (done) return;
          log.warn({ grace_ms: stopGraceMs }, 'embedded server did not stop in time: terminating it');
          child.kill();
        }, stopGraceMs);
        const code = await exited;
        timers.clearTimeout(timer);
        if (code !== 0) log.warn({ code }, 'embedded server stopped with a non-zero code');
      },
    };
    starting.add(spawned);
    void ready.then(
      () => starting.delete(spawned),
      () => starting.delete(spawned),
    );
    return spawned;
  };
  return Object.assign(spawn, {
    abortStarting() {
      for (const s of [...starting]) void s.stop();
    },
  });
}
