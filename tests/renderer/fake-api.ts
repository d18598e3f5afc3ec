/**
 * A fake channel API for component tests: the agent is not the subject here, the components are. Every call
 * answers from plain defaults unless a test overrides it; `emit` pushes an agent event to the subscribers, and
 * `calls` records what the components sent.
 */
import type { Channel, ChannelOutput } from '../../src-shared/ipc/channels.js';
import type { AgentEvent, DeviceStatus, OutpostApi, Result } from '../../src-renderer/api/types.js';
import { unregisteredDeviceStatus } from '../helpers/device-status.js';

type Fn = (input?: unknown) => Promise<Result<unknown>>;
type Tree = { [k: string]: Fn | Tree };
/** Per channel, an answer of the channel's own output type: a fake cannot return a shape the agent never would. */
export type FakeHandlers = {
  [C in Channel]?: (input?: unknown) => Promise<Result<ChannelOutput<C>>>;
};

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: string, message: string): Result<never> => ({
  ok: false,
  error: { code, message },
});

export const unregisteredStatus: DeviceStatus = unregisteredDeviceStatus;

export const registeredStatus: DeviceStatus = {
  ...unregisteredStatus,
  registered: true,
  device_key: 'device-abc12345',
  registered_at: '2026-11-22T04:00:00.000Z',
  heartbeat: 'active',
  last_success_at: '2026-11-22T04:01:00.000Z',
  last_latency_ms: 12,
};

const defaults = (): FakeHandlers => ({
  'device.status': async () => ok(unregisteredStatus),
  'device.ownKey': async () => ok({ device_key: 'own-key-0001' }),
  'device.register': async () => ok(registeredStatus),
  'device.unregister': async () => ok(unregisteredStatus),
  'device.heartbeatNow': async () => ok({ ok: true, message: 'Heartbeat accepted', latency_ms: 12 }),
  'station.status': async () =>
    ok({
      online: true,
      logged_in: true,
      login_needed: false,
      username: 'op',
      syncing: false,
      last_sync_at: null,
      last_attempt: null,
      last_error: null,
      pending: 0,
      failed: 0,
      server_url: 'http://127.0.0.1:9',
    }),
  'station.queue': async () => ok({ counts: { pending: 0, synced: 0, failed: 0 }, failed: [], pending: [] }),
  'station.quotas': async () => ok({ quotas: [] }),
  'server.status': async () =>
    ok({
      mode: 'off',
      port: 8080,
      running: false,
      url: null,
      agent_points_here: false,
      started_at: null,
      last_error: null,
      admin_available: false,
    }),
});

export interface FakeApi {
  api: OutpostApi;
  calls: { channel: string; input: unknown }[];
  emit(e: AgentEvent): void;
}

/** `overrides` uses channel names: `{ 'device.register': async () => fail(...) }`. */
export function fakeApi(overrides: FakeHandlers = {}): FakeApi {
  const tree: Tree = {};
  for (const [name, fn] of Object.entries({ ...defaults(), ...overrides }) as [string, Fn][]) {
    const parts = name.split('.');
    let node = tree;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Tree;
    node[parts[parts.length - 1]!] = fn;
  }
  const calls: FakeApi['calls'] = [];
  const listeners = new Set<(e: AgentEvent) => void>();
  // A channel the test did not define answers like the real client does for a service this agent lacks.
  const missing = (name: string): unknown =>
    new Proxy(() => undefined, {
      get: (_t, k) => (typeof k === 'string' && k !== 'then' ? missing(`${name}.${k}`) : undefined),
      apply: async () => fail('NOT_AVAILABLE', `${name} is not faked in this test`),
    });
  const wrap = (t: Tree, prefix: string): unknown => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t)) {
      const name = prefix ? `${prefix}.${k}` : k;
      out[k] =
        typeof v === 'function'
          ? (input?: unknown) => {
              calls.push({ channel: name, input });
              return v(input);
            }
          : wrap(v, name);
    }
    return new Proxy(out, {
      get: (o, k) => {
        if (typeof k !== 'string') return undefined;
        if (k in o) return o[k];
        if (!prefix && k === 'onEvent') {
          return (l: (e: AgentEvent) => void) => {
            listeners.add(l);
            return () => listeners.delete(l);
          };
        }
        return k === 'then' ? undefined : missing(prefix ? `${prefix}.${k}` : k);
      },
    });
  };
  const api = wrap(tree, '') as OutpostApi;
  return {
    api,
    calls,
    emit: (e) => {
      for (const l of [...listeners]) l(e);
    },
  };
}
