import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CHANNEL_NAMES,
  channels,
  isChannel,
  type ChannelOutput,
  type DeviceStatus,
} from '../../src-shared/ipc/channels.js';
import { createApiClient } from '../../src-shared/ipc/client.js';
import type { Result } from '../../src-shared/result.js';

const status: DeviceStatus = {
  registered: true,
  device_key: 'device-0a1b2c3d',
  registered_at: '2026-11-22T05:00:00.000Z',
  heartbeat: 'active',
  last_success_at: null,
  last_error: null,
  last_error_kind: null,
  last_error_at: null,
  last_latency_ms: 12,
  consecutive_failures: 0,
  next_attempt_at: null,
  server_url: 'http://127.0.0.1:3000',
};

function fakeTransport(answer: (channel: string, payload: unknown) => unknown) {
  const calls: Array<[string, unknown]> = [];
  const listeners = new Set<(e: unknown) => void>();
  return {
    calls,
    emit: (e: unknown) => listeners.forEach((l) => l(e)),
    invoke: async (channel: string, payload: unknown) => {
      calls.push([channel, payload]);
      return answer(channel, payload);
    },
    subscribe: (l: (e: unknown) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

describe('channel map', () => {
  it('holds every agreed channel, each with an input and an output schema', () => {
    for (const name of [
      'device.status',
      'device.register',
      'device.unregister',
      'device.heartbeatNow',
      'device.ownKey',
      'station.login',
      'station.logout',
      'station.recordCopy',
      'station.syncNow',
      'station.queue',
      'station.quotas',
      'station.retry',
      'station.dismiss',
      'station.status',
      'license.activate',
      'license.deactivate',
      'license.status',
      'settings.get',
      'settings.update',
      'server.status',
      'server.configure',
      'logs.tail',
      'app.info',
      'ui.opened',
      'ui.closed',
      'admin.devices.list',
      'admin.devices.create',
      'admin.devices.newToken',
      'admin.devices.revoke',
      'admin.clients.list',
      'admin.clients.create',
      'admin.clients.topUp',
      'admin.licenses.list',
      'admin.licenses.generate',
      'admin.licenses.revoke',
      'admin.stats',
    ]) {
      expect(isChannel(name), name).toBe(true);
    }
    for (const name of CHANNEL_NAMES) {
      expect(typeof channels[name].input.safeParse, name).toBe('function');
      expect(typeof channels[name].output.safeParse, name).toBe('function');
    }
  });

  it('rejects prototype keys as channel names (__proto__, constructor, toString)', () => {
    expect(isChannel('__proto__')).toBe(false);
    expect(isChannel('constructor')).toBe(false);
    expect(isChannel('toString')).toBe(false);
  });

  it('output schemas strip undeclared fields such as device_secret', () => {
    const parsed = channels['device.status'].output.parse({ ...status, device_secret: 's3cret' });
    expect(parsed).not.toHaveProperty('device_secret');
  });
});

describe('createApiClient', () => {
  it('groups calls by domain and passes the input through the transport', async () => {
    const t = fakeTransport(() => ({ ok: true, value: status }));
    const { api } = createApiClient(t);
    const r = await api.device.register({ token: 'abc123' });
    expect(r).toEqual({ ok: true, value: status });
    expect(t.calls).toEqual([['device.register', { token: 'abc123' }]]);
    expectTypeOf(r).toEqualTypeOf<Result<ChannelOutput<'device.register'>>>();
  });

  it('nests three-level names (admin.devices.list) and sends {} for calls without input', async () => {
    const t = fakeTransport(() => ({ ok: true, value: { devices: [] } }));
    const { api } = createApiClient(t);
    expect(await api.admin.devices.list()).toEqual({ ok: true, value: { devices: [] } });
    expect(t.calls).toEqual([['admin.devices.list', {}]]);
  });

  it('turns an answer that does not match the output schema into INVALID_RESULT', async () => {
    const t = fakeTransport(() => ({ ok: true, value: { registered: 'yes' } }));
    const r = await createApiClient(t).api.device.status();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('INVALID_RESULT');
  });

  it('turns a malformed envelope (no ok field) and a throwing transport into TRANSPORT_ERROR', async () => {
    const bad = await createApiClient(fakeTransport(() => 'garbage')).api.app.info();
    expect(!bad.ok && bad.error.code).toBe('TRANSPORT_ERROR');
    const throwing = createApiClient(
      fakeTransport(() => {
        throw new Error('socket closed');
      }),
    );
    const r = await throwing.api.app.info();
    expect(!r.ok && r.error.code).toBe('TRANSPORT_ERROR');
  });

  it('passes agent errors through with their code and message', async () => {
    const t = fakeTransport(() => ({
      ok: false,
      error: { code: 'TOKEN_INVALID', message: 'Invalid token' },
    }));
    expect(await createApiClient(t).api.device.register({ token: 'x' })).toEqual({
      ok: false,
      error: { code: 'TOKEN_INVALID', message: 'Invalid token' },
    });
  });

  it('delivers only events that match the event schema', () => {
    const t = fakeTransport(() => null);
    const seen: unknown[] = [];
    const off = createApiClient(t).onEvent((e) => seen.push(e));
    t.emit({ type: 'device.status', data: status });
    t.emit({ type: 'device.status', data: { nope: 1 } });
    t.emit({ type: 'unknown', data: {} });
    off();
    t.emit({ type: 'device.status', data: status });
    expect(seen).toEqual([{ type: 'device.status', data: status }]);
  });
});
