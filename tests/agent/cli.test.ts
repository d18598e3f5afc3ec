/** The headless agent CLI end to end: real child processes, the real server, the real keyring. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  adminCreateDevice,
  adminDevice,
  clearKeyring,
  filesContaining,
  TempDirs,
  uniqueService,
} from './device-helpers.js';

const root = join(import.meta.dirname, '../..');
const service = uniqueService('cli');
const dirs = new TempDirs();
let srv: TestServer;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function agentCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Run> & { child: ReturnType<typeof spawn> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/agent.ts', ...args], {
    cwd: root,
    env: { ...process.env, OUTPOST_KEYRING_SERVICE: service, OUTPOST_SERVER_URL: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const p = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return Object.assign(p, { child });
}

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await clearKeyring(service);
  await srv.dispose();
  dirs.cleanup();
});

// Each child process compiles with tsx and loads the agent: seconds apiece on a busy 2-core machine.
describe('npm run agent', { timeout: 120_000 }, () => {
  it('register → status --json → heartbeat --now → unregister, exit 0 each, no secret on disk', async () => {
    const dataDir = dirs.make();
    const g = ['--server', srv.url, '--data-dir', dataDir];
    const { device_key, token_code } = await adminCreateDevice(srv);

    const reg = await agentCli([
      ...g,
      'register',
      '--token',
      token_code.toLowerCase(),
      '--device-key',
      device_key,
    ]);
    expect(reg.stderr).toBe('');
    expect(reg.code).toBe(0);
    expect(reg.stdout).toContain(`Registered as ${device_key} on ${srv.url}`);

    const st = await agentCli([...g, 'status', '--json']);
    expect(st.code).toBe(0);
    const status = JSON.parse(st.stdout) as Record<string, unknown>;
    expect(status).toMatchObject({
      registered: true,
      device_key,
      server_url: srv.url,
      secrets_backend: 'keyring',
    });

    const hb = await agentCli([...g, '--json', 'heartbeat', '--now']);
    expect(hb.code).toBe(0);
    expect(JSON.parse(hb.stdout)).toMatchObject({ ok: true, latency_ms: expect.any(Number) });
    expect(await adminDevice(srv, device_key)).toMatchObject({ online: true });

    const human = await agentCli([...g, 'status']);
    expect(human.stdout).toMatch(/Registered: +yes/);

    // The secret never reached a file (it is in the keyring); read it through the agent's own store.
    const { openSecretStore } = await import('../../src-main/agent/secrets/secret-store.js');
    const secret = await (await openSecretStore({ dataDir, service })).get('device_secret');
    expect(secret).toBeTruthy();
    expect(filesContaining(dataDir, secret!)).toEqual([]);

    const un = await agentCli([...g, 'unregister']);
    expect(un.code).toBe(0);
    expect(un.stdout).toContain(`Unregistered ${device_key}`);
    const after = JSON.parse((await agentCli([...g, 'status', '--json'])).stdout) as Record<string, unknown>;
    expect(after).toMatchObject({ registered: false });
    expect(after.own_device_key).toBe(device_key);
  });

  it.each([
    [
      'a token of 5 characters (a usage error naming the flag)',
      ['register', '--token', 'ABC12'],
      2,
      /--token is not a registration token: it has 5 characters/,
    ],
    [
      'an unknown device (404)',
      ['register', '--token', '000000', '--device-key', 'no-such-device'],
      1,
      /Device not found \(404\)/,
    ],
    ['heartbeat while not registered', ['heartbeat', '--now'], 1, /not registered/],
    ['an unknown command', ['explode'], 2, /unknown command 'explode'/],
    ['register without --token', ['register'], 2, /--token is required/],
    ['an unknown option', ['status', '--bogus'], 2, /Unknown option '--bogus'/],
  ])('fails with exit ≠ 0 and the reason on stderr: %s', async (_name, args, code, reason) => {
    const r = await agentCli(['--server', srv.url, '--data-dir', dirs.make(), ...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(reason);
  });

  it('wrong token for an existing device → exit 1 with the 401 message, --json error on stdout', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const wrong = token_code === 'ABCDEF' ? 'ABCDEE' : 'ABCDEF';
    const r = await agentCli([
      '--server',
      srv.url,
      '--data-dir',
      dirs.make(),
      '--json',
      'register',
      '--token',
      wrong,
      '--device-key',
      device_key,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^outpost agent: Invalid token \(401\)/);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'TOKEN_INVALID' } });
  });

  it('server unreachable → exit 1 "Connection failed"', async () => {
    const r = await agentCli([
      '--server',
      'http://127.0.0.1:9',
      '--data-dir',
      dirs.make(),
      'register',
      '--token',
      'ABC123',
      '--device-key',
      'dev-1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Connection failed: cannot reach http:\/\/127\.0\.0\.1:9/);
  });

  it('keyring unreachable (session bus pointing nowhere) → exit 1 with one clear line, nothing written in plaintext', async () => {
    const dataDir = dirs.make();
    const r = await agentCli(['--server', srv.url, '--data-dir', dataDir, 'status'], {
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/OS keyring unavailable: .*--secrets-file/);
  });

  it('--secrets-file works without a keyring (encrypted file store)', async () => {
    const dataDir = dirs.make();
    const { device_key, token_code } = await adminCreateDevice(srv);
    const env = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
    const reg = await agentCli(
      [
        '--server',
        srv.url,
        '--data-dir',
        dataDir,
        '--secrets-file',
        'register',
        '--token',
        token_code,
        '--device-key',
        device_key,
      ],
      env,
    );
    expect(reg.code).toBe(0);
    const st = JSON.parse(
      (
        await agentCli(
          ['--data-dir', dataDir, '--server', srv.url, '--secrets-file', 'status', '--json'],
          env,
        )
      ).stdout,
    );
    expect(st).toMatchObject({ registered: true, secrets_backend: 'encrypted-file' });
  });

  it('run: heartbeats until SIGTERM, then exits 0; `status` in another process shows its state', async () => {
    const dataDir = dirs.make();
    const { device_key, token_code } = await adminCreateDevice(srv);
    expect(
      (
        await agentCli([
          '--server',
          srv.url,
          '--data-dir',
          dataDir,
          'register',
          '--token',
          token_code,
          '--device-key',
          device_key,
        ])
      ).code,
    ).toBe(0);
    const run = agentCli(['--server', srv.url, '--data-dir', dataDir, '--json', 'run']);
    await new Promise<void>((resolve) => {
      let buf = '';
      run.child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('"event":"first_heartbeat"')) resolve();
      });
    });
    // Another process sees what the running agent is doing (heartbeat_status.json, no secrets).
    const live = JSON.parse(
      (await agentCli(['--server', srv.url, '--data-dir', dataDir, 'status', '--json'])).stdout,
    );
    expect(live).toMatchObject({
      registered: true,
      heartbeat: 'active',
      last_success_at: expect.any(String),
    });
    run.child.kill('SIGTERM');
    const r = await run;
    expect(r.code).toBe(0);
    const after = JSON.parse(
      (await agentCli(['--server', srv.url, '--data-dir', dataDir, 'status', '--json'])).stdout,
    );
    expect(after).toMatchObject({ heartbeat: 'stopped', last_success_at: expect.any(String) });
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; state?: string });
    expect(events.map((e) => e.event)).toContain('started');
    expect(events.find((e) => e.event === 'heartbeat')?.state).toBe('active');
  });
});
