import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CHANNEL_NAMES,
  IPC_EVENT_CHANNEL,
  ipcChannelName,
  type UiEvent,
} from '../../src-shared/ipc/channels.js';
import { createAgentApi, type AgentLike } from '../../src-main/agent/api.js';
import { AgentEvents, type DeviceStatus } from '../../src-main/agent/events.js';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { SettingsStore } from '../../src-main/agent/settings/settings.js';
import {
  forwardEvents,
  registerIpc,
  UNTRUSTED_SENDER,
  type IpcMainLike,
} from '../../src-main/app/ipc-bridge.js';
import { isTrustedSender, type AppOrigin, type IpcEventLike } from '../../src-main/app/security-policy.js';
import { unregisteredDeviceStatus } from '../helpers/device-status.js';

/** Electron's ipcMain, as far as the shell uses it (the one allowed fake: no Electron runtime here). */
class FakeIpcMain implements IpcMainLike {
  handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  call(channel: string, event: IpcEventLike, ...args: unknown[]) {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`no handler for ${channel}`);
    return h(event, ...args);
  }
}

const status: DeviceStatus = unregisteredDeviceStatus;

let dir: string;
let origin: AppOrigin;
let calls: string[];
let agent: AgentLike;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-ipc-'));
  origin = { rendererIndex: join(dir, 'renderer', 'index.html'), devServerOrigin: null };
  calls = [];
  agent = {
    dataDir: dir,
    settings: SettingsStore.open(dir, {}),
    secrets: createMemorySecretStore(),
    events: new AgentEvents(),
    device: {
      status: () => status,
      register: async (token) => void calls.push(`register:${token}`),
      unregister: async () => undefined,
      heartbeatNow: async () => ({ ok: true, message: 'ok', latency_ms: 1 }),
      ownDeviceKey: () => 'device-0a1b2c3d',
      startPluginHeartbeat: () => undefined,
      stopPluginHeartbeat: () => undefined,
    },
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const OUR_WC = 7;
const appFrame = () => ({ url: pathToFileURL(origin.rendererIndex).toString(), parent: null });
const ours = (): IpcEventLike => ({ sender: { id: OUR_WC }, senderFrame: appFrame() });

function setup() {
  const ipc = new FakeIpcMain();
  const api = createAgentApi({
    agent,
    app: { name: 'Outpost', version: '0', shell: 'electron', electron: '45' },
  });
  const trusted = new Set([OUR_WC]);
  const rejected: string[] = [];
  const off = registerIpc(
    ipc,
    api,
    (e) => isTrustedSender(e, trusted, origin),
    (c) => rejected.push(c),
  );
  return { ipc, api, rejected, off };
}

describe('IPC registration and sender guard', () => {
  it('registers one namespaced handler per channel and removes them all', () => {
    const { ipc, off } = setup();
    expect([...ipc.handlers.keys()].sort()).toEqual(CHANNEL_NAMES.map(ipcChannelName).sort());
    off();
    expect(ipc.handlers.size).toBe(0);
  });

  it('answers our window showing our renderer', async () => {
    const { ipc } = setup();
    expect(await ipc.call(ipcChannelName('device.status'), ours(), {})).toEqual({ ok: true, value: status });
  });

  it('ignores another webContents (a second window) without calling the agent', async () => {
    const { ipc, rejected } = setup();
    const other = { sender: { id: 99 }, senderFrame: appFrame() };
    expect(await ipc.call(ipcChannelName('device.register'), other, { token: 'ABC123' })).toEqual(
      UNTRUSTED_SENDER,
    );
    expect(calls).toEqual([]);
    expect(rejected).toEqual(['device.register']);
  });

  it('ignores our webContents after it navigated to a foreign page (https://evil.example)', async () => {
    const { ipc } = setup();
    const e = { sender: { id: OUR_WC }, senderFrame: { url: 'https://evil.example/', parent: null } };
    expect(await ipc.call(ipcChannelName('device.register'), e, { token: 'ABC123' })).toEqual(
      UNTRUSTED_SENDER,
    );
    expect(calls).toEqual([]);
  });

  it('ignores a subframe of our window, a missing senderFrame, and a file:// outside the renderer dir', async () => {
    const { ipc } = setup();
    const events: IpcEventLike[] = [
      { sender: { id: OUR_WC }, senderFrame: { ...appFrame(), parent: {} } },
      { sender: { id: OUR_WC }, senderFrame: null },
      { sender: { id: OUR_WC }, senderFrame: { url: pathToFileURL(join(dir, 'elsewhere.html')).toString() } },
      {
        sender: { id: OUR_WC },
        senderFrame: { url: pathToFileURL(join(dir, 'renderer-evil', 'x.html')).toString() },
      },
    ];
    for (const e of events)
      expect(await ipc.call(ipcChannelName('device.status'), e, {})).toEqual(UNTRUSTED_SENDER);
  });

  it('validates every payload from a trusted sender (wrong type, extra field, prototype pollution attempt)', async () => {
    const { ipc } = setup();
    const ch = ipcChannelName('device.register');
    for (const bad of [
      { token: 1 },
      { token: 'ABC123', admin: true },
      JSON.parse('{"__proto__":{"x":1},"token":"A"}'),
      'str',
      [1],
    ]) {
      const r = (await ipc.call(ch, ours(), bad)) as { ok: boolean; error?: { code: string } };
      expect(r.ok).toBe(false);
      expect(r.error?.code).toBe('VALIDATION_ERROR');
    }
    expect(calls).toEqual([]);
    // Extra positional arguments are ignored, not trusted.
    await ipc.call(ch, ours(), { token: 'ABC123' }, { token: 'OTHER1' });
    expect(calls).toEqual(['register:ABC123']);
  });

  it('accepts the Vite dev server only when configured, and only its exact origin', () => {
    const dev: AppOrigin = { ...origin, devServerOrigin: 'http://127.0.0.1:5173' };
    const e = (url: string): IpcEventLike => ({ sender: { id: OUR_WC }, senderFrame: { url, parent: null } });
    const t = new Set([OUR_WC]);
    expect(isTrustedSender(e('http://127.0.0.1:5173/#/station'), t, dev)).toBe(true);
    expect(isTrustedSender(e('http://127.0.0.1:5174/'), t, dev)).toBe(false);
    expect(isTrustedSender(e('http://127.0.0.1:5173/'), t, origin)).toBe(false);
  });

  it('forwards UI events to the current window only while it exists', async () => {
    const { api } = setup();
    const sent: Array<[string, unknown]> = [];
    let destroyed = false;
    const wc = {
      id: OUR_WC,
      send: (c: string, p: unknown) => sent.push([c, p]),
      isDestroyed: () => destroyed,
    };
    const off = forwardEvents(api, () => wc);
    agent.events.emit({ type: 'device.status', data: status });
    await new Promise((r) => setImmediate(r));
    destroyed = true;
    agent.events.emit({ type: 'device.status', data: status });
    await new Promise((r) => setImmediate(r));
    off();
    expect(sent).toEqual([[IPC_EVENT_CHANNEL, { type: 'device.status', data: status } satisfies UiEvent]]);
  });
});
