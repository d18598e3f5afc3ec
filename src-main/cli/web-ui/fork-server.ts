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
import type { ServerSpawner, SpawnedServer } from '../../agent/admin/embedded-server.js';
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

export function forkServerSpawner(opts: { onNotice?: (line: string) => void } = {}): ServerSpawner {
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
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      void exited.then((code) => reject(new Error(`server process exited with code ${code ?? 'signal'}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = READY.exec(line);
        if (m) resolve(m[1]!);
        else if (/^Created admin user/.test(line)) opts.onNotice?.(line);
        // pino JSON request logs and other lines: not needed here (the server keeps its own log level).
      });
      createInterface({ input: child.stderr! }).on('line', (line) =>
        log.warn({ line: line.slice(0, 500) }, 'server stderr'),
      );
    });
    ready.catch(() => undefined);
    return {
      ready,
      exited,
      pid: child.pid,
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
