import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

/**
 * The real server CLI (`src-main/cli/server.ts` through tsx) in a child process, optionally under a wrapper
 * such as `prlimit --nofile=256:256 --` to give it a small descriptor budget.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src-main/cli/server.ts');
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

export interface ServerProcess {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

export interface RunningServerProcess extends ServerProcess {
  url: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** The parent's environment without any OUTPOST_* setting, plus the given ones. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OUTPOST_')) env[k] = v;
  return { ...env, NODE_ENV: 'test', ...extra };
}

export function spawnServer(opts: {
  dataDir: string;
  env?: Record<string, string>;
  wrapper?: string[];
}): ServerProcess {
  const args = ['--import', 'tsx', CLI, '--port', '0', '--data-dir', opts.dataDir, '--quiet'];
  const [cmd, ...pre] = opts.wrapper?.length ? [...opts.wrapper, process.execPath] : [process.execPath];
  const proc = spawn(cmd!, [...pre, ...args], {
    cwd: ROOT,
    env: childEnv(opts.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Starts the CLI on an ephemeral port and waits for its `listening on` line. */
export async function startServerProcess(opts: {
  dataDir: string;
  env?: Record<string, string>;
  wrapper?: string[];
}): Promise<RunningServerProcess> {
  const p = spawnServer(opts);
  const url = await new Promise<string>((res, rej) => {
    const onData = () => {
      const m = LISTENING.exec(p.stdout());
      if (m?.[1]) {
        p.proc.stdout?.off('data', onData);
        res(m[1]);
      }
    };
    p.proc.stdout?.on('data', onData);
    void p.exited.then((code) => rej(new Error(`server exited (${code}) before listening: ${p.stderr()}`)));
  });
  return {
    ...p,
    url,
    stop() {
      if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGTERM');
      return p.exited;
    },
  };
}
