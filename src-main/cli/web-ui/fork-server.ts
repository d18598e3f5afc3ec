/**
 * Headless spawner for the embedded server: a forked `src-main/cli/server.ts` (its own process, so the agent's
 * event loop stays free), with the admin API key only in the child's environment. Readiness = the
 * `listening on http://…` line the server CLI prints; its one-time admin-password notice is handed to the caller
 * (the terminal operator needs it to log a station in), everything else goes to the agent log.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AdminNotice } from '../../../src-shared/ipc/shell-state.js';
import {
  parseAdminNotice,
  type ServerSpawner,
  type SpawnedServer,
} from '../../agent/admin/embedded-server.js';
import { createLogger } from '../../agent/logging/logger.js';
import { IDLE_PROCESS_ENV, IDLE_PROCESS_V8_FLAGS } from '../../agent/v8-flags.js';

const log = createLogger('embedded-server');
const READY = /listening on (http:\/\/\S+)/;
const STOP_GRACE_MS = 6_000;

/** tsx's loader by absolute URL, so the child does not depend on its working directory. */
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

/**
 * The embedded server child idles for one site's agents: it runs with the idle-process V8 flags (young generation
 * capped, V8's memory-over-speed mode, a fixed malloc mmap threshold; see agent/v8-flags.ts). The standalone server
 * CLI (`npm run server`, bench/heartbeat.ts) does not go through here and keeps V8's defaults for throughput.
 * From source the child is server-child.ts under tsx; in the agent bundle (dist/agent, `npm run build:agent`) it is
 * the server-child.js built next to it.
 */
export function serverScript(): { file: string; execArgv: string[] } {
  const ts = fileURLToPath(new URL('./server-child.ts', import.meta.url));
  if (existsSync(ts)) return { file: ts, execArgv: [...IDLE_PROCESS_V8_FLAGS, '--import', tsxLoader()] };
  return {
    file: fileURLToPath(new URL('./server-child.js', import.meta.url)),
    execArgv: [...IDLE_PROCESS_V8_FLAGS],
  };
}

export function forkServerSpawner(
  opts: {
    /** The first-start line as printed (for the terminal). */
    onNotice?: (line: string) => void;
    /** The same, split, for the web UI's one-time credentials panel. */
    onAdminNotice?: (notice: AdminNotice) => void;
  } = {},
): ServerSpawner {
  return ({ host, port, dataDir, env }): SpawnedServer => {
    const { file, execArgv } = serverScript();
    const child = fork(file, ['--host', host, '--port', String(port), '--data-dir', dataDir], {
      env: {
        ...IDLE_PROCESS_ENV,
        ...process.env,
        OUTPOST_LOG_LEVEL: process.env.OUTPOST_LOG_LEVEL ?? 'warn',
        ...env,
      },
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // The last stderr line is the server CLI's one-line reason when it exits (port in use, data dir unusable).
    let lastStderr: string | null = null;
    const stderrClosed = new Promise<void>((resolve) => {
      const lines = createInterface({ input: child.stderr! });
      lines.on('line', (line) => {
        lastStderr = line.slice(0, 300);
        log.warn({ line: line.slice(0, 500) }, 'server stderr');
      });
      lines.once('close', () => resolve());
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      void exited.then(async (code) => {
        await stderrClosed;
        const cause = lastStderr ? `: ${lastStderr}` : '';
        reject(new Error(`server process exited with code ${code ?? 'signal'}${cause}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = READY.exec(line);
        if (m) return resolve(m[1]!);
        const notice = parseAdminNotice(line);
        if (notice) {
          opts.onNotice?.(line);
          opts.onAdminNotice?.(notice);
        }
        // pino JSON request logs and other lines: not needed here (the server keeps its own log level).
      });
    });
    ready.catch(() => undefined);
    return {
      ready,
      exited,
      pid: child.pid,
      lastOutput: () => lastStderr,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      },
    };
  };
}
