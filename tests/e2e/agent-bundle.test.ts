/**
 * The headless agent as it ships (`npm run build:agent`: dist/agent bundle + launcher), run for real: the CLI
 * against a real server with the real keyring, and `--ui` forking the bundle's own embedded server child, whose
 * admin API the agent then drives. Also proves the build's axios patch holds: Node's undici (~13 MB of RSS) is
 * never loaded by the agent. Bad input tried: an unknown command through the launcher (usage error, exit 2).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLE_PROCESS_ENV, IDLE_PROCESS_V8_FLAGS } from '../../src-main/agent/v8-flags.js';
import { buildAgentBundle } from '../../src-main/cli/build-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startAgentUi, type AgentUi } from './lib/agent-ui.js';
import { freePort } from './lib/free-port.js';

// Inside the project, so the bundle resolves its external packages (natives, systeminformation) from node_modules.
const outDir = join(process.cwd(), 'node_modules', '.cache', `outpost-test-bundle-${process.pid}`);
const keyringService = `outpost-e2e-bundle-${process.pid}-${Date.now()}`;
let entry = '';
let server: TestServer;
let scratch = '';

function run(
  argv: string[],
  opts: { viaLauncher?: boolean; nodeArgs?: string[] } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, args] = opts.viaLauncher
    ? ['sh', [join(dirname(entry), 'outpost-agent'), ...argv]]
    : [process.execPath, [...IDLE_PROCESS_V8_FLAGS, ...(opts.nodeArgs ?? []), entry, ...argv]];
  const child = spawn(cmd, args, {
    env: { ...process.env, ...IDLE_PROCESS_ENV, OUTPOST_KEYRING_SERVICE: keyringService },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Children of pid (Linux /proc), with their command lines. */
/**
 * Command lines of the process's children, found by their parent pid in /proc/<pid>/stat (the per-thread
 * `children` file lists only children forked by that thread, and misses some under load).
 */
function childCommands(pid: number): string[] {
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (in parentheses, which may itself hold spaces): state, then ppid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out;
}

beforeAll(async () => {
  entry = await buildAgentBundle(outDir);
  server = await startTestServer();
  scratch = mkdtempSync(join(tmpdir(), 'outpost-bundle-'));
});

afterAll(async () => {
  await server?.dispose();
  rmSync(outDir, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the shipped agent bundle (dist/agent)', () => {
  it('the launcher starts it with the idle-process flags; an unknown command is a usage error', async () => {
    const launcher = readFileSync(join(dirname(entry), 'outpost-agent'), 'utf8');
    for (const flag of IDLE_PROCESS_V8_FLAGS) expect(launcher).toContain(flag);
    const help = await run(['--help'], { viaLauncher: true });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('commands:');
    const bad = await run(['no-such-command'], { viaLauncher: true });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no-such-command/);
  });

  it('registers, sends a heartbeat and reports status against a real server, never loading undici', async () => {
    const dataDir = join(scratch, 'cli');
    const created = await server.api('POST', '/api/admin/devices', {}, { 'x-api-key': server.apiKey });
    expect(created.status).toBe(200);
    const { device_key, token_code } = created.body as { device_key: string; token_code: string };
    // Records which Node built-ins the process loaded, when it exits.
    const probe = join(scratch, 'probe.mjs');
    const loaded = join(scratch, 'loaded.txt');
    writeFileSync(
      probe,
      `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(loaded)}, process.moduleLoadList.join('\\n')));\n`,
    );
    const g = ['--server', server.url, '--data-dir', dataDir];
    const reg = await run(
      [...g, 'register', '--token', token_code.toLowerCase(), '--device-key', device_key],
      {
        nodeArgs: ['--import', probe],
      },
    );
    expect(reg.stderr).toBe('');
    expect(reg.code).toBe(0);
    const modules = readFileSync(loaded, 'utf8');
    expect(modules).toContain('NativeModule https'); // axios's http adapter was loaded…
    expect(modules).not.toContain('undici'); // …and Node's fetch engine was not

    const beat = await run([...g, '--json', 'heartbeat', '--now']);
    expect(beat.code).toBe(0);
    expect(JSON.parse(beat.stdout)).toMatchObject({ ok: true });
    const status = await run([...g, '--json', 'status']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ registered: true, device_key });
    const seen = await server.api('GET', '/api/admin/devices', undefined, { 'x-api-key': server.apiKey });
    expect(JSON.stringify(seen.body)).toContain(device_key);
    expect((await run([...g, 'unregister'])).code).toBe(0);
  });

  it('--ui forks the bundle’s own embedded server child and drives its admin API', async () => {
    let agent: AgentUi | null = null;
    try {
      agent = await startAgentUi({
        entry,
        nodeArgs: [...IDLE_PROCESS_V8_FLAGS],
        env: { ...IDLE_PROCESS_ENV, OUTPOST_KEYRING_SERVICE: `${keyringService}-ui` },
      });
      const token = new URL(agent.url).searchParams.get('token') ?? '';
      const invoke = async (channel: string, input: unknown) => {
        const res = await fetch(`${agent!.origin}/bridge/invoke/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-outpost-token': token },
          body: JSON.stringify(input),
        });
        return (await res.json()) as { ok: boolean; value?: any; error?: { code: string; message: string } }; // eslint-disable-line @typescript-eslint/no-explicit-any -- bridge JSON
      };
      const on = await invoke('server.configure', { mode: 'local', port: await freePort() });
      expect(on.error).toBeUndefined();
      expect(on.value?.running).toBe(true);
      const children = childCommands(agent.pid);
      // The child names its script by real path: node_modules may be a symlink (a git worktree sharing one).
      const script = join(realpathSync(outDir), 'server-child.js');
      expect(children.some((c) => c.includes(script))).toBe(true);
      expect(children.some((c) => IDLE_PROCESS_V8_FLAGS.every((f) => c.includes(f)))).toBe(true);

      const created = await invoke('admin.devices.create', {});
      expect(created.ok).toBe(true);
      expect(created.value?.token_code).toMatch(/^[0-9A-F]{6}$/);
      const listed = await invoke('admin.devices.list', undefined);
      expect(listed.ok).toBe(true);
      expect(listed.value?.devices.map((d: { device_key: string }) => d.device_key)).toContain(
        created.value?.device_key,
      );
    } finally {
      await agent?.stop();
    }
  });
});
