/**
 * Electron spawner for the embedded server: a utilityProcess (a Node child managed by Electron), so the main
 * process's event loop stays free for the UI. Same contract as the headless fork: readiness is the server CLI's
 * `listening on` line; the admin API key goes only into the child's environment.
 */
import { utilityProcess } from 'electron';
import { createInterface } from 'node:readline';
import type { ServerSpawner, SpawnedServer } from '../agent/admin/embedded-server.js';
import { createLogger } from '../agent/logging/logger.js';
import { IDLE_PROCESS_ENV, IDLE_PROCESS_V8_FLAGS } from '../agent/v8-flags.js';

const log = createLogger('embedded-server');
const READY = /listening on (http:\/\/\S+)/;

export function utilityServerSpawner(opts: {
  script: string;
  onNotice?: (line: string) => void;
}): ServerSpawner {
  return ({ host, port, dataDir, env }): SpawnedServer => {
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
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = new Promise<string>((resolve, reject) => {
      void exited.then((code) => reject(new Error(`server process exited with code ${code}`)));
      if (child.stdout) {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const m = READY.exec(line);
          if (m) resolve(m[1]!);
          else if (/^Created admin user/.test(line)) opts.onNotice?.(line);
        });
      }
      if (child.stderr) {
        createInterface({ input: child.stderr }).on('line', (line) =>
          log.warn({ line: line.slice(0, 500) }, 'server stderr'),
        );
      }
    });
    ready.catch(() => undefined);
    return {
      ready,
      exited,
      get pid() {
        return child.pid;
      },
      async stop() {
        if (child.pid === undefined) return;
        child.kill();
        await exited;
      },
    };
  };
}
