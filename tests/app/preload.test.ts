import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, IPC_EVENT_CHANNEL } from '../../src-shared/ipc/channels.js';
import { SHELL_STATE_EVENT } from '../../src-shared/ipc/shell-state.js';
import { buildPreload } from '../../src-main/cli/build-preload.js';

/**
 * The real preload bundle, evaluated in a fresh context with a fake `electron` module (contextBridge +
 * ipcRenderer): what a sandboxed preload would see. Proves what reaches `window.outpost`.
 */
let exposed: Record<string, unknown> = {};
const exposedAll = new Map<string, Record<string, unknown>>();
type Fn = (...a: unknown[]) => Promise<unknown>;
interface ExposedApi {
  device: { register: Fn };
  admin: { devices: { list: Fn } };
  invoke: Fn;
  subscribe: (l: (...a: unknown[]) => void) => () => void;
}
const invoked: Array<[string, unknown]> = [];
const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
const requires: string[] = [];

beforeAll(async () => {
  const file = await buildPreload(join(tmpdir(), `outpost-preload-${process.pid}.cjs`));
  const code = readFileSync(file, 'utf8');
  const electron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: Record<string, unknown>) => {
        exposedAll.set(key, api);
        if (key === 'outpost') exposed = { key, api };
      },
    },
    ipcRenderer: {
      invoke: async (channel: string, payload: unknown) => {
        invoked.push([channel, payload]);
        return { ok: true, value: null };
      },
      on: (c: string, l: (...a: unknown[]) => void) => {
        if (!listeners.has(c)) listeners.set(c, new Set());
        listeners.get(c)!.add(l);
      },
      removeListener: (c: string, l: (...a: unknown[]) => void) => listeners.get(c)?.delete(l),
    },
  };
  const module = { exports: {} };
  runInNewContext(code, {
    module,
    exports: module.exports,
    require: (name: string) => {
      requires.push(name);
      if (name === 'electron') return electron;
      throw new Error(`sandboxed preload cannot require ${name}`);
    },
  });
});

describe('preload (real bundle, sandbox-shaped)', () => {
  it('requires nothing but electron (loadable in a sandboxed preload)', () => {
    expect(new Set(requires)).toEqual(new Set(['electron']));
  });

  it("exposes 'outpost' with grouped task functions for every channel and no raw ipcRenderer", () => {
    const { key, api } = exposed as { key: string; api: Record<string, unknown> };
    expect(key).toBe('outpost');
    for (const name of CHANNEL_NAMES) {
      const fn = name.split('.').reduce<unknown>((n, p) => (n as Record<string, unknown>)?.[p], api);
      expect(typeof fn, name).toBe('function');
    }
    const flat = JSON.stringify(Object.keys(api));
    expect(flat).not.toMatch(/ipcRenderer|send|sendSync|postMessage/);
  });

  it('sends grouped calls on the namespaced channel; refuses unknown channels without IPC', async () => {
    const api = (exposed as { api: ExposedApi }).api;
    invoked.length = 0;
    await api.device.register({ token: 'ABC123' });
    await api.admin.devices.list();
    const r = await api.invoke('shell.exec', { cmd: 'rm -rf /' });
    expect(r).toEqual({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'Unknown API call' } });
    expect(invoked).toEqual([
      ['outpost:device.register', { token: 'ABC123' }],
      ['outpost:admin.devices.list', {}],
    ]);
  });

  it('hands page code the event payload only, never the IPC event object (which carries the sender)', () => {
    const api = (exposed as { api: ExposedApi }).api;
    const got: unknown[][] = [];
    const off = api.subscribe((...args: unknown[]) => got.push(args));
    for (const l of listeners.get(IPC_EVENT_CHANNEL) ?? [])
      l({ sender: { secret: 'x' } }, { type: 'log', data: 1 });
    off();
    expect(listeners.get(IPC_EVENT_CHANNEL)?.size ?? 0).toBe(0);
    expect(got).toEqual([[{ type: 'log', data: 1 }]]);
  });

  it("exposes 'outpostShell' with exactly its three calls on fixed channels, payload only to listeners", async () => {
    expect([...exposedAll.keys()].sort()).toEqual(['outpost', 'outpostShell']);
    const bridge = exposedAll.get('outpostShell') as {
      state: Fn;
      dismissAdminNotice: Fn;
      onChange: (l: (...a: unknown[]) => void) => () => void;
    };
    expect(Object.keys(bridge).sort()).toEqual(['dismissAdminNotice', 'onChange', 'state']);
    invoked.length = 0;
    await bridge.state('ignored');
    await bridge.dismissAdminNotice({ anything: true });
    expect(invoked.map(([c]) => c)).toEqual(['outpost:shell.state', 'outpost:shell.dismissAdminNotice']);
    const got: unknown[][] = [];
    const off = bridge.onChange((...args: unknown[]) => got.push(args));
    for (const l of listeners.get(SHELL_STATE_EVENT) ?? []) l({ sender: { secret: 'x' } }, { startup: 1 });
    off();
    expect(listeners.get(SHELL_STATE_EVENT)?.size ?? 0).toBe(0);
    expect(got).toEqual([[{ startup: 1 }]]);
  });
});
