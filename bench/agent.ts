/**
 * `npm run bench -- agent [--duration 60]`: the headless agent (`run`) as a child process against a real server
 * child process, heartbeats every second. Reports:
 *  - RSS of the agent after start (first heartbeat) and at the end, and the growth between them (target ≤ 80 MB,
 *    no growth);
 *  - CPU of the agent process from /proc/<pid>/stat (utime+stime) over the measured window, per heartbeat, and
 *    extrapolated to the default 60 s interval (target < 1 % of one core);
 *  - start-to-first-heartbeat: from agent.start() to the first acknowledged heartbeat, as the agent reports it
 *    (target < 500 ms); spawn-to-first-heartbeat (includes Node + tsx start-up) is printed for information.
 * The agent runs as shipped for headless stations: the dist/agent bundle of `npm run build:agent` (our code and its
 * dependencies in one minified ESM file, native modules external) under `node` with the launcher's V8 flags
 * (src-main/agent/v8-flags.ts). `--plain` runs the comparison: our code bundled, every dependency loaded from
 * node_modules, V8's default flags. `--tsx` runs the source through the tsx loader (+~30 MB RSS for the loader,
 * not part of the product). Secrets go to the OS keyring when a session bus exists (unique service name, removed
 * at the end), else to the opt-in encrypted file store; the JSON says which.
 * Last line: one JSON object {"bench":"agent",...}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SettingsStore } from '../src-main/agent/settings/settings.js';
import { IDLE_PROCESS_ENV, IDLE_PROCESS_V8_FLAGS } from '../src-main/agent/v8-flags.js';
import { buildAgentBundle } from '../src-main/cli/build-agent.js';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    duration: { type: 'string', default: '60' },
    interval: { type: 'string', default: '1' },
    tsx: { type: 'boolean', default: false },
    plain: { type: 'boolean', default: false },
  },
  strict: false,
});
const durationS = Number(values.duration);
const intervalS = Number(values.interval);
const root = join(import.meta.dirname, '..');
const API_KEY = 'bench-agent-key-0123456789abcdef';
const CLK_TCK = 100; // Linux USER_HZ

function startChild(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeArgs = ['--import', 'tsx'],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function waitForLine(child: ChildProcess, match: (line: string) => boolean, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (match(line)) {
          clearTimeout(timer);
          resolve(line);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`${what}: process exited with ${code}`)));
  });
}

function procStats(pid: number): { rssMb: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  // Fields after the command name: utime is field 14, stime 15 (1-based, see proc(5)).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMb: rssKb / 1024, cpuMs: (ticks * 1000) / CLK_TCK };
}

/**
 * The agent as shipped (`npm run build:agent`: one minified bundle, natives external) into a bench cache dir, or
 * with `--plain` our code alone bundled and every dependency loaded from node_modules (the comparison run).
 */
async function bundleAgent(plain: boolean): Promise<string> {
  const outDir = join(root, 'node_modules', '.cache', 'outpost-bench');
  if (!plain) return buildAgentBundle(join(outDir, 'agent-dist'));
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'agent-plain.mjs');
  await build({
    entryPoints: [join(root, 'src-main/cli/agent.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

const useKeyring = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);
const keyringService = `outpost-bench-${process.pid}`;

async function main(): Promise<void> {
  const srvDir = mkdtempSync(join(tmpdir(), 'outpost-bench-srv-'));
  const agentDir = mkdtempSync(join(tmpdir(), 'outpost-bench-agent-'));
  let server: ChildProcess | null = null;
  let agent: ChildProcess | null = null;
  try {
    server = startChild(['src-main/cli/server.ts', '--port', '0', '--data-dir', srvDir, '--quiet'], {
      OUTPOST_API_KEYS: API_KEY,
      OUTPOST_RATE_LIMIT_PER_MIN: '100000',
    });
    const listening = await waitForLine(server, (l) => l.includes('listening on'), 'server start');
    const url = /listening on (http:\/\/\S+)/.exec(listening)![1]!;
    console.log(`server ${url}`);

    const created = (await (
      await fetch(`${url}/api/admin/devices`, {
        method: 'POST',
        headers: { 'X-API-Key': API_KEY, 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { device_key: string; token_code: string };

    SettingsStore.open(agentDir, {}).update({ heartbeat_interval_sec: intervalS });
    const useTsx = Boolean(values.tsx);
    const plain = Boolean(values.plain);
    const entry = useTsx ? 'src-main/cli/agent.ts' : await bundleAgent(plain);
    // As shipped: the launcher's V8 flags and env (dist/agent/outpost-agent); --plain and --tsx: the defaults.
    const nodeArgs = useTsx ? ['--import', 'tsx'] : plain ? [] : [...IDLE_PROCESS_V8_FLAGS];
    const g = [entry, '--server', url, '--data-dir', agentDir, ...(useKeyring ? [] : ['--secrets-file'])];
    const agentEnv = {
      ...(useTsx || plain ? {} : IDLE_PROCESS_ENV),
      OUTPOST_KEYRING_SERVICE: keyringService,
    };
    const reg = startChild(
      [...g, 'register', '--token', created.token_code, '--device-key', created.device_key],
      agentEnv,
      nodeArgs,
    );
    const regCode = await new Promise<number | null>((r) => reg.on('exit', r));
    if (regCode !== 0) throw new Error(`register failed with exit code ${regCode}`);
    console.log(
      `registered ${created.device_key}; running the agent for ${durationS} s at ${intervalS} s heartbeats`,
    );

    const t0 = performance.now();
    agent = startChild([...g, '--json', 'run'], agentEnv, nodeArgs);
    const first = JSON.parse(
      await waitForLine(agent, (l) => l.includes('"event":"first_heartbeat"'), 'first heartbeat'),
    ) as { ms_since_start: number; latency_ms: number };
    const spawnToFirst = performance.now() - t0;
    const pid = agent.pid!;
    await sleep(500); // let the start-up garbage settle before the baseline sample
    const start = procStats(pid);
    const tStart = performance.now();
    let maxRss = start.rssMb;
    const samples: number[] = [start.rssMb];
    while (performance.now() - tStart < durationS * 1000) {
      await sleep(Math.min(5000, durationS * 1000 - (performance.now() - tStart)));
      const s = procStats(pid);
      samples.push(s.rssMb);
      maxRss = Math.max(maxRss, s.rssMb);
    }
    const end = procStats(pid);
    const windowMs = performance.now() - tStart;
    const log = readFileSync(join(agentDir, 'logs', 'app.log'), 'utf8');
    const beats = (log.match(/"msg":"heartbeat sent"/g) ?? []).length;
    const beatsInWindow = Math.max(1, Math.round(windowMs / (intervalS * 1000)));
    const cpuMs = end.cpuMs - start.cpuMs;
    const cpuPct = (cpuMs / windowMs) * 100;
    const cpuPerBeatMs = cpuMs / beatsInWindow;
    const cpuPctAt60 = (cpuPerBeatMs / 60_000) * 100;

    agent.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((r) => agent!.on('exit', r));
    agent = null;
    // Removes the device secret from the keyring (and device_info.json) again.
    const unreg = startChild([...g, 'unregister'], agentEnv, nodeArgs);
    await new Promise((r) => unreg.on('exit', r));

    const result = {
      bench: 'agent',
      runtime: useTsx
        ? 'node + tsx loader'
        : plain
          ? 'node, our code bundled, deps from node_modules, V8 defaults'
          : `dist/agent bundle, node ${IDLE_PROCESS_V8_FLAGS.join(' ')}, ${Object.entries(IDLE_PROCESS_ENV)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`,
      secrets: useKeyring ? 'keyring' : 'encrypted-file',
      duration_s: round(windowMs / 1000, 1),
      interval_s: intervalS,
      heartbeats: beats,
      rss_start_mb: round(start.rssMb, 1),
      rss_end_mb: round(end.rssMb, 1),
      rss_max_mb: round(maxRss, 1),
      rss_growth_mb: round(end.rssMb - start.rssMb, 1),
      cpu_ms: round(cpuMs, 0),
      cpu_pct_at_interval: round(cpuPct, 3),
      cpu_ms_per_heartbeat: round(cpuPerBeatMs, 2),
      cpu_pct_at_60s_extrapolated: round(cpuPctAt60, 4),
      start_to_first_heartbeat_ms: first.ms_since_start,
      first_heartbeat_latency_ms: first.latency_ms,
      spawn_to_first_heartbeat_ms: Math.round(spawnToFirst),
      sigterm_exit_code: exitCode,
      targets: { rss_mb: 80, cpu_pct_at_60s: 1, start_to_first_heartbeat_ms: 500 },
      pass:
        maxRss <= 80 &&
        cpuPctAt60 < 1 &&
        first.ms_since_start < 500 &&
        exitCode === 0 &&
        beats >= beatsInWindow / 2,
    };
    console.log(
      `RSS ${result.rss_start_mb} → ${result.rss_end_mb} MB (max ${result.rss_max_mb}); samples ${samples.map((s) => s.toFixed(1)).join(' ')}`,
    );
    console.log(
      `CPU ${result.cpu_ms} ms over ${result.duration_s} s = ${result.cpu_pct_at_interval} % at ${intervalS} s heartbeats; ` +
        `${result.cpu_ms_per_heartbeat} ms/heartbeat → ${result.cpu_pct_at_60s_extrapolated} % at 60 s`,
    );
    console.log(
      `first heartbeat ${result.start_to_first_heartbeat_ms} ms after agent start (${result.spawn_to_first_heartbeat_ms} ms after spawn, incl. Node start-up)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    agent?.kill('SIGKILL');
    server?.kill('SIGTERM');
    await sleep(300);
    rmSync(srvDir, { recursive: true, force: true });
    rmSync(agentDir, { recursive: true, force: true });
  }
}

await main();
