import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UiEvent } from '../../src-shared/ipc/channels.js';
import { createAgentApi, INTERNAL_MESSAGE, type AgentLike } from '../../src-main/agent/api.js';
import { AgentError } from '../../src-main/agent/errors.js';
import { AgentEvents, type DeviceStatus } from '../../src-main/agent/events.js';
import { createMemorySecretStore, SECRET_ACCOUNTS } from '../../src-main/agent/secrets/secret-store.js';
import { SettingsStore } from '../../src-main/agent/settings/settings.js';
import { StationService } from '../../src-main/agent/station/station-service.js';
import { unregisteredDeviceStatus } from '../helpers/device-status.js';

const DEVICE_SECRET = 'ds_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
const PROFILE_TOKEN = 'pt_0123456789abcdef0123456789abcdef';

const baseStatus: DeviceStatus = unregisteredDeviceStatus;

let dir: string;
let station: StationService | undefined;

/**
 * The device service is H2's; until agent.ts wires it, this stand-in behaves like it for the adapter's purposes
 * (and deliberately leaks its secret in its answers, which the adapter must stop).
 */
function makeAgent(overrides: Partial<AgentLike['device']> = {}) {
  const secrets = createMemorySecretStore();
  const calls: string[] = [];
  let status: DeviceStatus = { ...baseStatus };
  const agent: AgentLike = {
    dataDir: dir,
    settings: SettingsStore.open(dir, {}),
    secrets,
    events: new AgentEvents(),
    device: {
      status: () => ({ ...status, device_secret: DEVICE_SECRET }) as DeviceStatus,
      register: async (token, key) => {
        calls.push(`register:${token}:${key ?? ''}`);
        if (token.trim().toUpperCase() !== 'ABC123')
          throw new AgentError('TOKEN_INVALID', 'Invalid token: request a new one');
        await secrets.set(SECRET_ACCOUNTS.deviceSecret, DEVICE_SECRET);
        status = { ...status, registered: true, device_key: key ?? 'device-0a1b2c3d', heartbeat: 'active' };
        return { ok: true, device_secret: DEVICE_SECRET };
      },
      unregister: async () => {
        status = { ...baseStatus };
      },
      heartbeatNow: async () => ({
        ok: true,
        message: 'Heartbeat sent',
        latency_ms: 7,
        device_secret: DEVICE_SECRET,
      }),
      ownDeviceKey: () => 'device-0a1b2c3d',
      startPluginHeartbeat: () => calls.push('plugin:start'),
      stopPluginHeartbeat: () => calls.push('plugin:stop'),
      ...overrides,
    },
  };
  return { agent, calls, secrets };
}

const app = { name: 'Outpost', version: '0.1.0', shell: 'headless' as const, electron: null };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-api-'));
});
afterEach(async () => {
  await station?.stop();
  station = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('agent API adapter', () => {
  it('refuses an unknown channel and prototype names (__proto__, constructor) with UNKNOWN_CHANNEL', async () => {
    const api = createAgentApi({ agent: makeAgent().agent, app });
    for (const ch of ['nope', '__proto__', 'constructor', 42, null]) {
      const r = await api.invoke(ch, {});
      expect(r).toEqual({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'Unknown API call' } });
    }
  });

  it('rejects invalid input (token as a number, unknown extra field, bad device key) before calling the service', async () => {
    const { agent, calls } = makeAgent();
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
    expect(calls).toEqual([]);
  });

  it('turns an AgentError into {ok:false} with its code and operator message', async () => {
    const api = createAgentApi({ agent: makeAgent().agent, app });
    expect(await api.invoke('device.register', { token: 'FFFFFF' })).toEqual({
      ok: false,
      error: { code: 'TOKEN_INVALID', message: 'Invalid token: request a new one' },
    });
  });

  it('answers any other thrown error with a generic INTERNAL_ERROR that leaks nothing', async () => {
    const { agent } = makeAgent({
      heartbeatNow: async () => {
        throw new Error(`ECONNRESET at /home/op/.outpost with ${DEVICE_SECRET}`);
      },
    });
    const r = await createAgentApi({ agent, app }).invoke('device.heartbeatNow', undefined);
    expect(r).toEqual({ ok: false, error: { code: 'INTERNAL_ERROR', message: INTERNAL_MESSAGE } });
  });

  it('answers a service result that does not fit the output schema with INTERNAL_ERROR', async () => {
    const { agent } = makeAgent({ status: () => ({ registered: 'maybe' }) as unknown as DeviceStatus });
    const r = await createAgentApi({ agent, app }).invoke('device.status', {});
    expect(!r.ok && r.error.code).toBe('INTERNAL_ERROR');
  });

  it('registers, then never returns the device secret, the JWT or a profile token in any answer', async () => {
    const { agent, secrets } = makeAgent();
    await secrets.set(SECRET_ACCOUNTS.jwt, JWT);
    const api = createAgentApi({ agent, app });
    const reg = await api.invoke('device.register', { token: ' abc123 ' });
    expect(reg.ok && (reg.value as DeviceStatus).registered).toBe(true);
    expect(
      await api.invoke('settings.setProfileToken', { profile: 'default', token: PROFILE_TOKEN }),
    ).toEqual({
      ok: true,
      value: { profile: 'default', has_token: true },
    });
    const answers = [reg];
    for (const ch of [
      'device.status',
      'device.heartbeatNow',
      'device.ownKey',
      'settings.get',
      'app.info',
      'logs.tail',
    ]) {
      answers.push(await api.invoke(ch, {}));
    }
    const all = JSON.stringify(answers);
    for (const secret of [DEVICE_SECRET, JWT, PROFILE_TOKEN]) expect(all).not.toContain(secret);
    expect(all).not.toContain('device_secret');
    const settings = answers.find((a) => a.ok && 'profiles' in (a.value as object));
    expect(
      settings?.ok && (settings.value as { profiles: Array<{ has_token: boolean }> }).profiles[0]?.has_token,
    ).toBe(true);
  });

  it('settings.setProfileToken on a profile that does not exist answers NOT_FOUND', async () => {
    const r = await createAgentApi({ agent: makeAgent().agent, app }).invoke('settings.setProfileToken', {
      profile: 'ghost',
      token: PROFILE_TOKEN,
    });
    expect(!r.ok && r.error.code).toBe('NOT_FOUND');
  });

  it('settings.update validates (timeout -1 refused) and removing a profile deletes its token', async () => {
    const { agent, secrets } = makeAgent();
    const api = createAgentApi({ agent, app });
    const p = { name: 'b', base_url: 'http://127.0.0.1:2', timeout: 5, retries: 1, verify_tls: true };
    const def = { ...p, name: 'default', base_url: 'http://127.0.0.1:8787' };
    expect((await api.invoke('settings.update', { profiles: [def, { ...p, timeout: -1 }] })).ok).toBe(false);
    expect((await api.invoke('settings.update', { profiles: [def, p] })).ok).toBe(true);
    await api.invoke('settings.setProfileToken', { profile: 'b', token: PROFILE_TOKEN });
    const r = await api.invoke('settings.update', { profiles: [def] });
    expect(r.ok).toBe(true);
    expect(await secrets.get(SECRET_ACCOUNTS.profileToken('b'))).toBeNull();
  });

  it('logs.tail returns the last lines at or above the level, skipping non-JSON lines', async () => {
    mkdirSync(join(dir, 'logs'));
    const lines = [
      { level: 'info', time: '2026-11-22T05:00:00.000Z', name: 'device', msg: 'registered' },
      { level: 'debug', time: '2026-11-22T05:00:01.000Z', name: 'device', msg: 'details' },
      { level: 'warn', time: '2026-11-22T05:00:02.000Z', name: 'device', msg: 'heartbeat failed' },
    ];
    writeFileSync(
      join(dir, 'logs', 'app.log'),
      lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n',
    );
    const api = createAgentApi({ agent: makeAgent().agent, app });
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
    const { agent, calls } = makeAgent();
    const api = createAgentApi({ agent, app });
    await api.invoke('ui.opened', {});
    await api.invoke('ui.opened', {});
    await api.invoke('ui.closed', {});
    expect(calls).toEqual(['plugin:start']);
    await api.invoke('ui.closed', {});
    await api.invoke('ui.closed', {});
    expect(calls).toEqual(['plugin:start', 'plugin:stop']);
  });

  it('answers NOT_AVAILABLE for station, license, server and admin calls when those services are absent', async () => {
    const api = createAgentApi({ agent: makeAgent().agent, app });
    for (const ch of ['station.status', 'license.status', 'server.status', 'admin.devices.list']) {
      const r = await api.invoke(ch, {});
      expect(!r.ok && r.error.code, ch).toBe('NOT_AVAILABLE');
    }
  });

  it('maps the real station service (offline): status, queue, a bad UID refused by the station', async () => {
    const { agent, secrets } = makeAgent();
    station = new StationService({
      dataDir: dir,
      secrets,
      serverUrl: () => 'http://127.0.0.1:9',
      realtime: false,
    });
    agent.station = station;
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
    if (!bad.ok) expect(bad.error.code).not.toBe('INTERNAL_ERROR');
  });

  it('forwards events validated and secret-free: realtime payload keys like jwt are stripped, bad events dropped', async () => {
    const { agent } = makeAgent();
    const api = createAgentApi({ agent, app });
    const seen: UiEvent[] = [];
    const off = api.onEvent((e) => seen.push(e));
    agent.events.emit({ type: 'device.status', data: baseStatus });
    agent.events.emit({ type: 'device.status', data: { bogus: true } as unknown as DeviceStatus });
    agent.events.emit({
      type: 'realtime',
      data: { event: 'quota_updated', data: { client_id: 1, jwt: JWT } },
    });
    await new Promise((r) => setImmediate(r));
    off();
    agent.events.emit({ type: 'device.status', data: baseStatus });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([
      { type: 'device.status', data: baseStatus },
      { type: 'realtime', data: { event: 'quota_updated', data: { client_id: 1 } } },
    ]);
  });
});
