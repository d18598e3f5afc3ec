import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UiEvent } from '../../src-shared/ipc/channels.js';
import { createAgent, type Agent } from '../../src-main/agent/agent.js';
import { createAgentApi, INTERNAL_MESSAGE } from '../../src-main/agent/api.js';
import { createMemorySecretStore, SECRET_ACCOUNTS } from '../../src-main/agent/secrets/secret-store.js';
import { unregisteredDeviceStatus } from '../helpers/device-status.js';

/**
 * The adapter over the real agent services (settings, secrets, station db in a temp dir), with no server
 * reachable: what the adapter itself decides (channel and input checks, error mapping, events). The same adapter
 * against a real server is in agent-api-real.test.ts and ipc-real-services.test.ts.
 */
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
const NO_SERVER = 'http://127.0.0.1:9';

let dir: string;
let agent: Agent;

async function makeAgent(): Promise<Agent> {
  agent = await createAgent({
    dataDir: dir,
    serverUrl: NO_SERVER,
    secrets: createMemorySecretStore(),
    logging: false,
    station: { realtime: false },
  });
  return agent;
}

const app = { name: 'Outpost', version: '0.1.0', shell: 'headless' as const, electron: null };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-api-'));
});
afterEach(async () => {
  await agent?.station.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('agent API adapter over the real services', () => {
  it('refuses an unknown channel and prototype names (__proto__, constructor) with UNKNOWN_CHANNEL', async () => {
    const api = createAgentApi({ agent: await makeAgent(), app });
    for (const ch of ['nope', '__proto__', 'constructor', 42, null]) {
      const r = await api.invoke(ch, {});
      expect(r).toEqual({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'Unknown API call' } });
    }
  });

  it('rejects invalid input (token as a number, unknown extra field, bad device key) before calling the service', async () => {
    const agent = await makeAgent();
    const register = vi.spyOn(agent.device, 'register');
    const api = createAgentApi({ agent, app });
    const bad = [
      { token: 123 },
      { token: 'ABC123', extra: true },
      { token: 'ABC123', device_key: 'a b' },
      'x',
      null,
    ];
    for (const payload of bad) {
      const r = await api.invoke('device.register', payload);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('VALIDATION_ERROR');
    }
    const r = await api.invoke('device.register', { token: 5 });
    expect(!r.ok && r.error.message).toMatch(/token/);
    expect(register).not.toHaveBeenCalled();
  });

  it("turns the service's AgentError into {ok:false} with its catalogue code and operator message", async () => {
    const api = createAgentApi({ agent: await makeAgent(), app });
    const r = await api.invoke('device.register', { token: 'XYZ' });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_TOKEN_FORMAT' } });
    expect(!r.ok && r.error.message).toMatch(/6 hexadecimal characters/);
    // A well-formed token against a server that is not there: the network, said as such.
    const net = await api.invoke('device.register', { token: 'ab-cd-ef' });
    expect(net).toMatchObject({ ok: false, error: { code: 'NETWORK_ERROR' } });
  });

  it('answers any other thrown error with a generic INTERNAL_ERROR that leaks nothing', async () => {
    const agent = await makeAgent();
    vi.spyOn(agent.device, 'heartbeatNow').mockRejectedValue(
      new Error(`ECONNRESET at /home/op/.outpost with ${JWT}`),
    );
    const r = await createAgentApi({ agent, app }).invoke('device.heartbeatNow', undefined);
    expect(r).toEqual({ ok: false, error: { code: 'INTERNAL_ERROR', message: INTERNAL_MESSAGE } });
  });

  it('never returns the JWT in any answer', async () => {
    const agent = await makeAgent();
    await agent.secrets.set(SECRET_ACCOUNTS.jwt, JWT);
    const api = createAgentApi({ agent, app });
    const answers = [];
    for (const ch of [
      'device.status',
      'device.heartbeatNow',
      'device.ownKey',
      'settings.get',
      'app.info',
      'logs.tail',
      'station.status',
    ]) {
      answers.push(await api.invoke(ch, {}));
    }
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(JSON.stringify(answers)).not.toContain(JWT);
  });

  it('settings.update validates (timeout -1 refused) and applies a valid profile list', async () => {
    const agent = await makeAgent();
    const api = createAgentApi({ agent, app });
    const p = { name: 'b', base_url: 'http://127.0.0.1:2', timeout: 5, retries: 1, verify_tls: true };
    const def = { ...p, name: 'default', base_url: 'http://127.0.0.1:8787' };
    expect((await api.invoke('settings.update', { profiles: [def, { ...p, timeout: -1 }] })).ok).toBe(false);
    const r = await api.invoke('settings.update', { profiles: [def, p] });
    expect(r.ok && r.value).toMatchObject({ profiles: [def, p] });
    expect(agent.settings.get().profiles.map((x) => x.name)).toEqual(['default', 'b']);
  });

  it('logs.tail returns the last lines at or above the level, skipping non-JSON lines', async () => {
    const agent = await makeAgent();
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const lines = [
      { level: 'info', time: '2026-11-22T05:00:00.000Z', name: 'device', msg: 'registered' },
      { level: 'debug', time: '2026-11-22T05:00:01.000Z', name: 'device', msg: 'details' },
      { level: 'warn', time: '2026-11-22T05:00:02.000Z', name: 'device', msg: 'heartbeat failed' },
    ];
    writeFileSync(
      join(dir, 'logs', 'app.log'),
      lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n',
    );
    const api = createAgentApi({ agent, app });
    const r = await api.invoke('logs.tail', { level: 'info' });
    expect(r.ok && (r.value as { lines: Array<{ msg: string }> }).lines.map((l) => l.msg)).toEqual([
      'registered',
      'heartbeat failed',
    ]);
    const one = await api.invoke('logs.tail', { lines: 1 });
    expect(one.ok && (one.value as { lines: unknown[] }).lines).toHaveLength(1);
    expect((await api.invoke('logs.tail', { lines: 501 })).ok).toBe(false);
  });

  it('ui.opened / ui.closed run the plugin heartbeat while at least one UI is open', async () => {
    const agent = await makeAgent();
    const start = vi.spyOn(agent.device, 'startPluginHeartbeat');
    const stop = vi.spyOn(agent.device, 'stopPluginHeartbeat');
    const api = createAgentApi({ agent, app });
    await api.invoke('ui.opened', {});
    await api.invoke('ui.opened', {});
    await api.invoke('ui.closed', {});
    expect([start.mock.calls.length, stop.mock.calls.length]).toEqual([1, 0]);
    await api.invoke('ui.closed', {});
    await api.invoke('ui.closed', {});
    expect([start.mock.calls.length, stop.mock.calls.length]).toEqual([1, 1]);
  });

  it('answers NOT_AVAILABLE for server and admin calls when this agent runs no embedded server', async () => {
    const api = createAgentApi({ agent: await makeAgent(), app });
    for (const ch of ['server.status', 'admin.devices.list']) {
      const r = await api.invoke(ch, {});
      expect(!r.ok && r.error.code, ch).toBe('NOT_AVAILABLE');
    }
  });

  it('the station offline: status, a queue that lists its pending copies, a bad UID refused by the station', async () => {
    const agent = await makeAgent();
    const api = createAgentApi({ agent, app });
    const s = await api.invoke('station.status', {});
    expect(s.ok && s.value).toMatchObject({ online: false, logged_in: false, pending: 0 });
    const q = await api.invoke('station.queue', {});
    expect(q).toEqual({
      ok: true,
      value: { counts: { pending: 0, synced: 0, failed: 0 }, failed: [], pending: [] },
    });
    const bad = await api.invoke('station.recordCopy', { client_id: 1, uid: 'not-hex' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('VALIDATION_ERROR');
  });

  it('forwards events validated and secret-free: realtime payload keys like jwt are stripped', async () => {
    const agent = await makeAgent();
    const api = createAgentApi({ agent, app });
    const seen: UiEvent[] = [];
    const off = api.onEvent((e) => seen.push(e));
    agent.events.emit({ type: 'device.status', data: unregisteredDeviceStatus });
    agent.events.emit({
      type: 'realtime',
      data: { event: 'quota_updated', data: { client_id: 1, jwt: JWT } },
    });
    off();
    agent.events.emit({ type: 'device.status', data: unregisteredDeviceStatus });
    expect(seen).toEqual([
      { type: 'device.status', data: unregisteredDeviceStatus },
      { type: 'realtime', data: { event: 'quota_updated', data: { client_id: 1 } } },
    ]);
  });
});
