/**
 * The real headless agent with its web UI (`npm run agent -- --ui`) as a child process: its own data dir, the
 * printed URL (with the per-launch token) parsed from stdout. Output is kept so a failing test can show it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AgentUi {
  /** URL to open first (carries the token; the bridge trades it for a cookie). */
  url: string;
  /** http://127.0.0.1:port */
  origin: string;
  dataDir: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

const URL_RE = /(https?:\/\/(?:127\.0\.0\.1|localhost):\d+\/\S*token=[A-Za-z0-9_%-]+)/;

export async function startAgentUi(opts: {
  serverUrl?: string;
  env?: Record<string, string>;
  args?: string[];
  dataDir?: string;
  /** Entry script and node flags (default: the CLI under tsx, as `npm run agent` runs it). */
  entry?: string;
  nodeArgs?: string[];
}): Promise<AgentUi> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'outpost-agent-ui-'));
  // OUTPOST_E2E_AGENT_ENTRY: run another entry with the same flags (debugging a branch of the CLI).
  const entry = opts.entry ?? process.env.OUTPOST_E2E_AGENT_ENTRY ?? 'src-main/cli/agent.ts';
  const args = [...(opts.nodeArgs ?? ['--import', 'tsx']), entry, '--data-dir', dataDir];
  if (opts.serverUrl) args.push('--server', opts.serverUrl);
  args.push('--ui', '--port', '0', ...(opts.args ?? []));
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: process.cwd(),
    env: {
      ...process.env,
      // One keyring namespace per agent so parallel test files never share a device secret.
      OUTPOST_KEYRING_SERVICE: `outpost-e2e-${process.pid}-${Date.now()}`,
      OUTPOST_LOG_LEVEL: 'debug',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = URL_RE.exec(out);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`agent --ui exited (${code}) before printing its URL:\n${out}`)),
    );
    setTimeout(() => reject(new Error(`agent --ui printed no URL within 90 s:\n${out}`)), 90_000).unref();
  });
  const origin = new URL(url).origin;
  return {
    url,
    origin,
    dataDir,
    pid: child.pid ?? -1,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
