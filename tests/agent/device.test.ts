/**
 * The device agent against the real server on loopback with the real keyring: registration (success and every
 * failure of seed 004's table), token normalisation, heartbeats through a server outage and a revocation,
 * restart, unregister, SSH identity, seed 000's plugin heartbeat, and no secret on disk or in the logs.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src-main/agent/agent.js';
import { AgentError } from '../../src-main/agent/errors.js';
import { closeLogging, logFilePath } from '../../src-main/agent/logging/logger.js';
import { sshPaths } from '../../src-main/agent/device/ssh.js';
import { startServer } from '../../src-main/server/runner.js';
import { startTestServer, TEST_ADMIN, TEST_API_KEY, type TestServer } from '../helpers/server.js';
import {
  adminCreateDevice,
  adminDevice,
  allFiles,
  clearKeyring,
  filesContaining,
  makeAgent,
  TempDirs,
  uniqueService,
  waitFor,
} from './device-helpers.js';

const service = uniqueService('device');
const dirs = new TempDirs();
let srv: TestServer;
const agents: Agent[] = [];

async function agentFor(dataDir = dirs.make(), url: string = srv.url): Promise<Agent> {
  const a = await makeAgent(dataDir, service, url);
  agents.push(a);
  return a;
}

beforeAll(async () => {
  srv = await startTestServer();
});
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
  await clearKeyring(service);
});
afterAll(async () => {
  closeLogging();
  await srv.dispose();
  dirs.cleanup();
});

async function expectAgentError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentError);
  expect((err as AgentError).code).toBe(code);
  expect((err as AgentError).message).toMatch(message);
}

describe('registration', () => {
  it('registers with the operator-given key, keeps the secret in the keyring and device_info.json without it', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const dataDir = dirs.make();
    const agent = await agentFor(dataDir);
    const status = await agent.device.register(token_code, device_key);
    expect(status).toMatchObject({ registered: true, device_key, server_url: srv.url });
    expect(status.last_success_at).not.toBeNull(); // the first heartbeat right after registration
    const secret = await agent.secrets.get('device_secret');
    expect(secret).toMatch(/.{32,}/);
    const file = JSON.parse(readFileSync(join(dataDir, 'device_info.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(Object.keys(file).sort()).toEqual(['device_info', 'device_key', 'registered_at']);
    expect(file.device_key).toBe(device_key);
    expect(JSON.stringify(file)).not.toContain(secret!);
    const onServer = await adminDevice(srv, device_key);
    expect(onServer).toMatchObject({ status: 'registered', online: true });
  });

  it("keeps the operator's note on the server unless the device's settings give one", async () => {
    const key = `noted-${Date.now()}`;
    const created = await srv.api(
      'POST',
      '/api/admin/devices',
      { device_key: key, note: 'front desk, 2nd floor' },
      { 'X-API-Key': srv.apiKey },
    );
    expect(created.status).toBe(200);
    const agent = await agentFor();
    await agent.device.register((created.body as { token_code: string }).token_code, key);
    await agent.device.heartbeatNow();
    expect(await adminDevice(srv, key)).toMatchObject({ note: 'front desk, 2nd floor' });

    // Given explicitly, the device's own note is what the server keeps.
    agent.settings.update({ device_note: 'kiosk by the door' });
    await agent.device.heartbeatNow();
    await waitFor(async () => (await adminDevice(srv, key))?.note === 'kiosk by the door', 'the device note');
  });

  it('registers with a lowercase, space-padded token and a generated device key that stays stable', async () => {
    const dataDir = dirs.make();
    const agent = await agentFor(dataDir);
    const own = agent.device.ownDeviceKey();
    expect(own).toMatch(/^device-[0-9a-f]{8}$/);
    expect((await agentFor(dataDir)).device.ownDeviceKey()).toBe(own); // persisted across restarts
    const { token_code } = await adminCreateDevice(srv, own);
    const status = await agent.device.register(`  ${token_code.toLowerCase()} `);
    expect(status.device_key).toBe(own);
  });

  it('unknown device key → 404 "Device not found" with the remedy', async () => {
    const agent = await agentFor();
    await expectAgentError(
      agent.device.register('ABC123', 'no-such-device'),
      'DEVICE_NOT_FOUND',
      /^Device not found \(404\).*Contact your administrator/,
    );
    expect(agent.device.status().registered).toBe(false);
  });

  it('wrong token → 401 "Invalid token" and nothing stored', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const wrong = token_code === '000000' ? '000001' : '000000';
    const dataDir = dirs.make();
    const agent = await agentFor(dataDir);
    await expectAgentError(
      agent.device.register(wrong, device_key),
      'TOKEN_INVALID',
      /^Invalid token \(401\): check that it is typed exactly as given \(a mistyped token does not use up the right one/,
    );
    expect(existsSync(join(dataDir, 'device_info.json'))).toBe(false);
    expect(await agent.secrets.get('device_secret')).toBeNull();
    // What the message promises: the right token still registers after the wrong guess.
    expect((await agent.device.register(token_code, device_key)).registered).toBe(true);
  });

  it('already used token (burned by a first registration) → 401 on a second agent', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    await (await agentFor()).device.register(token_code, device_key);
    await clearKeyring(service);
    const second = await agentFor();
    await expectAgentError(second.device.register(token_code, device_key), 'TOKEN_INVALID', /already used/);
  });

  it('device already registered, new token for another attempt → 409 "Already registered"', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    await (await agentFor()).device.register(token_code, device_key);
    await clearKeyring(service);
    const other = token_code === 'ABCDEF' ? 'ABCDEE' : 'ABCDEF';
    await expectAgentError(
      (await agentFor()).device.register(other, device_key),
      'ALREADY_REGISTERED',
      /^Already registered \(409\).*Unregister it first or use a new token/,
    );
  });

  it('registering again while registered locally is refused before any request', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const agent = await agentFor();
    await agent.device.register(token_code, device_key);
    await expectAgentError(agent.device.register('ABC123'), 'ALREADY_REGISTERED', /unregister it first/);
  });

  it('network down (nothing listening) → "Connection failed" with the URL', async () => {
    const agent = await agentFor(dirs.make(), 'http://127.0.0.1:9');
    await expectAgentError(
      agent.device.register('ABC123', 'some-device'),
      'NETWORK_ERROR',
      /^Connection failed: cannot reach http:\/\/127\.0\.0\.1:9.*Check the server URL/,
    );
  });

  it.each([
    ['5 characters', 'ABC12', /has 5 characters/],
    ['7 characters', 'ABC1234', /has 7 characters/],
    ['non-hex letters', 'GHIJKL', /other than 0-9 and A-F/],
    ['empty', '   ', /it is empty/],
    ['punctuation', 'AB!123', /other than 0-9 and A-F/],
  ])('token with %s is rejected before any request', async (_name, token, why) => {
    // The server URL goes nowhere: a NETWORK_ERROR would prove a request was made.
    const agent = await agentFor(dirs.make(), 'http://127.0.0.1:9');
    await expectAgentError(agent.device.register(token), 'INVALID_TOKEN_FORMAT', why);
  });

  it('an invalid device key is rejected before any request', async () => {
    const agent = await agentFor(dirs.make(), 'http://127.0.0.1:9');
    await expectAgentError(agent.device.register('ABC123', 'a b'), 'INVALID_DEVICE_KEY', /3-64 characters/);
  });
});

describe('heartbeats', () => {
  it('heartbeatNow reports ok, message and latency; not registered → ok:false with the reason', async () => {
    const agent = await agentFor();
    expect(await agent.device.heartbeatNow()).toEqual({
      ok: false,
      message: expect.stringMatching(/not registered/),
      latency_ms: null,
    });
    const { device_key, token_code } = await adminCreateDevice(srv);
    await agent.device.register(token_code, device_key);
    const r = await agent.device.heartbeatNow();
    expect(r.ok).toBe(true);
    expect(r.message).toBeTruthy();
    expect(r.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('server down → inactive after 5 failures, keeps retrying, server back on the same port → active (no agent restart)', async () => {
    const own = await startTestServer();
    const port = Number(new URL(own.url).port);
    const { device_key, token_code } = await adminCreateDevice(own);
    const agent = await agentFor(dirs.make(), own.url);
    await agent.device.register(token_code, device_key);
    await agent.start();
    await waitFor(() => agent.device.status().heartbeat === 'active', 'active');
    await own.dispose({ keepData: true });
    const inactive = await waitFor(() => {
      const s = agent.device.status();
      return s.heartbeat === 'inactive' ? s : null;
    }, 'inactive');
    expect(inactive.consecutive_failures).toBeGreaterThanOrEqual(5);
    expect(inactive.last_error).toMatch(/Connection failed/);
    const beatsWhileDown = agent.device.beatCount;
    await waitFor(() => agent.device.beatCount > beatsWhileDown + 2, 'retries while inactive');
    const back = await startServer({
      host: '127.0.0.1',
      port,
      dataDir: own.dataDir,
      env: {
        OUTPOST_API_KEYS: TEST_API_KEY,
        OUTPOST_ADMIN_USER: TEST_ADMIN.username,
        OUTPOST_ADMIN_PASSWORD: TEST_ADMIN.password,
        OUTPOST_RATE_LIMIT_PER_MIN: '10000',
      },
    });
    try {
      const active = await waitFor(() => {
        const s = agent.device.status();
        return s.heartbeat === 'active' ? s : null;
      }, 'active again');
      expect(active.consecutive_failures).toBe(0);
    } finally {
      await agent.stop();
      await back.stop();
    }
  });

  it('revoked device (admin DELETE) → heartbeats stop with "re-registration needed"', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const agent = await agentFor();
    await agent.device.register(token_code, device_key);
    await agent.start();
    await waitFor(() => agent.device.status().heartbeat === 'active', 'active');
    const res = await srv.api('DELETE', `/api/admin/devices/${device_key}`, undefined, {
      'X-API-Key': srv.apiKey,
    });
    expect(res.status).toBe(200);
    const s = await waitFor(() => {
      const st = agent.device.status();
      return st.heartbeat === 'reregistration_needed' ? st : null;
    }, 'reregistration_needed');
    expect(s.last_error).toMatch(/revoked.*Re-registration needed/);
    expect(s.next_attempt_at).toBeNull();
    const beats = agent.device.beatCount;
    await new Promise((r) => setTimeout(r, 400)); // more than two intervals: no further beats
    expect(agent.device.beatCount).toBe(beats);
  });

  it('an agent restart resumes heartbeats from device_info.json + keyring', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const dataDir = dirs.make();
    const first = await agentFor(dataDir);
    await first.device.register(token_code, device_key);
    await first.stop();
    const second = await agentFor(dataDir);
    expect(second.device.status()).toMatchObject({ registered: true, device_key, heartbeat: 'stopped' });
    await second.start();
    await waitFor(() => second.device.beatCount >= 2, 'two heartbeats after restart');
    expect(second.device.status()).toMatchObject({ heartbeat: 'active', consecutive_failures: 0 });
  });

  it('emits device.status events for the UI, without secrets', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const agent = await agentFor();
    const seen: string[] = [];
    agent.events.on((e) => {
      if (e.type === 'device.status') seen.push(JSON.stringify(e.data));
    });
    await agent.device.register(token_code, device_key);
    const secret = (await agent.secrets.get('device_secret'))!;
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.join('\n')).not.toContain(secret);
    expect(JSON.parse(seen.at(-1)!)).toMatchObject({ registered: true, device_key });
  });
});

describe('unregister, ssh identity, plugin heartbeat, secrets on disk', () => {
  it('unregister stops heartbeats, removes device_info.json and the keyring entry', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const dataDir = dirs.make();
    const agent = await agentFor(dataDir);
    await agent.device.register(token_code, device_key);
    await agent.start();
    const status = await agent.device.unregister();
    expect(status).toMatchObject({ registered: false, device_key: null, heartbeat: 'stopped' });
    expect(existsSync(join(dataDir, 'device_info.json'))).toBe(false);
    expect(await agent.secrets.get('device_secret')).toBeNull();
    expect((await agent.device.heartbeatNow()).ok).toBe(false);
  });

  it('publishes an ed25519 SSH key and pins the server host key; a changed host key is reported, pin kept', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const dataDir = dirs.make();
    const agent = await agentFor(dataDir);
    await agent.device.register(token_code, device_key);
    const secret = (await agent.secrets.get('device_secret'))!;
    const details = await srv.api('GET', `/api/devices/${device_key}`, undefined, {
      Authorization: `Bearer ${secret}`,
    });
    const p = sshPaths(dataDir);
    expect(details.body.device.ssh_pubkey).toBe(readFileSync(p.publicKey, 'utf8').trim());
    expect(readFileSync(p.privateKey, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(agent.device.ssh.server_host_key?.status).toBe('pinned');
    const hostKey = await srv.api('GET', '/api/ssh-hostkey');
    expect(readFileSync(p.serverHostKey, 'utf8').trim()).toBe(hostKey.text.trim());
    // Someone else's key pinned earlier: the agent reports the change and keeps the pin.
    const fake = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBl6X7lUeMTfmH3jUoaxc8mCh9Z7R6Sx1t5B2Ps1rZlk other';
    writeFileSync(p.serverHostKey, `${fake}\n`);
    await agent.stop();
    const again = await agentFor(dataDir);
    await again.start();
    await waitFor(() => again.device.ssh.server_host_key, 'host key check');
    expect(again.device.ssh.server_host_key?.status).toBe('changed');
    expect(readFileSync(p.serverHostKey, 'utf8').trim()).toBe(fake);
    await waitFor(
      () => readFileSync(logFilePath(dataDir), 'utf8').includes('HOST KEY CHANGED'),
      'warning logged',
    );
  });

  it('seed 000 plugin heartbeat: lowercased plugin_id, user@host, sent at start and stopped on close', async () => {
    const agent = await agentFor();
    expect(await agent.device.startPluginHeartbeat()).toBe(true);
    expect(agent.device.pluginHeartbeat.isRunning).toBe(true);
    const res = await srv.api('GET', '/api/plugins', undefined, { 'x-api-key': TEST_API_KEY });
    const plugins = res.body.data.plugins as { plugin_id: string; user_id: string; plugin_name: string }[];
    const mine = plugins.find((p) => p.plugin_id.startsWith('outpost-'));
    expect(mine).toBeDefined();
    expect(mine!.plugin_id).toBe(mine!.plugin_id.toLowerCase());
    expect(mine!.user_id).toMatch(/^[^@]+@.+$/);
    agent.device.stopPluginHeartbeat();
    expect(agent.device.pluginHeartbeat.isRunning).toBe(false);
  });

  it('seed 000 plugin heartbeat repeats every interval while the UI is open and stops when it closes', async () => {
    const agent = await makeAgent(dirs.make(), service, srv, { timings: { pluginIntervalMs: 100 } });
    agents.push(agent);
    await agent.device.startPluginHeartbeat();
    await waitFor(() => agent.device.pluginHeartbeat.sent >= 3, 'three plugin heartbeats');
    agent.device.stopPluginHeartbeat();
    const sent = agent.device.pluginHeartbeat.sent;
    await new Promise((r) => setTimeout(r, 350)); // three intervals: nothing more is sent
    expect(agent.device.pluginHeartbeat.sent).toBe(sent);
  });

  it('no secret value (device secret, token) in any file under the data dir or in the logs', async () => {
    const { device_key, token_code } = await adminCreateDevice(srv);
    const dataDir = dirs.make();
    const agent = await agentFor(dataDir);
    await agent.device.register(token_code, device_key);
    await agent.start();
    await waitFor(() => agent.device.beatCount >= 3, 'a few heartbeats');
    await agent.device.heartbeatNow();
    await srv.api('DELETE', `/api/admin/devices/${device_key}`, undefined, { 'X-API-Key': srv.apiKey });
    await waitFor(() => agent.device.status().heartbeat === 'reregistration_needed', 'revoked');
    const secret = (await agent.secrets.get('device_secret'))!;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    await agent.stop();
    expect(allFiles(dataDir).length).toBeGreaterThan(3);
    expect(readFileSync(logFilePath(dataDir), 'utf8')).toMatch(/heartbeat sent/);
    expect(filesContaining(dataDir, secret)).toEqual([]);
    expect(filesContaining(dataDir, `"${token_code}"`)).toEqual([]);
  });
});
