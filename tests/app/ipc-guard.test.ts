import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import {
  CHANNEL_NAMES,
  IPC_EVENT_CHANNEL,
  ipcChannelName,
  type UiEvent,
} from '../../src-shared/ipc/channels.js';
import { createAgent, type Agent } from '../../src-main/agent/agent.js';
import { createAgentApi } from '../../src-main/agent/api.js';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { forwardEvents, registerIpc, UNTRUSTED_SENDER } from '../../src-main/app/ipc-bridge.js';
import { isTrustedSender, type AppOrigin, type IpcEventLike } from '../../src-main/app/security-policy.js';
import { FakeIpcMain } from '../helpers/fake-ipc-main.js';

let dir: string;
let origin: AppOrigin;
/** The real agent (services over a temp data dir, no server reachable); the spy only records the calls. */
let agent: Agent;
let register: MockInstance<Agent['device']['register']>;
const calls = () => register.mock.calls.map(([token]) => `register:${token}`);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-ipc-'));
  origin = { rendererIndex: join(dir, 'renderer', 'index.html'), devServerOrigin: null };
  agent = await createAgent({
    dataDir: join(dir, 'data'),
    serverUrl: 'http://127.0.0.1:9',
    secrets: createMemorySecretStore(),
    logging: false,
    station: { realtime: false },
  });
  register = vi.spyOn(agent.device, 'register');
});
afterEach(async () => {
  await agent.station.stop();
  rmSync(dir, { recursive: true, force: true });
});

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
    expect(await ipc.call(ipcChannelName('device.status'), ours(), {})).toEqual({
      ok: true,
      value: agent.device.status(),
    });
  });

  it('ignores another webContents (a second window) without calling the agent', async () => {
    const { ipc, rejected } = setup();
    const other = { sender: { id: 99 }, senderFrame: appFrame() };
    expect(await ipc.call(ipcChannelName('device.register'), other, { token: 'ABC123' })).toEqual(
      UNTRUSTED_SENDER,
    );
    expect(calls()).toEqual([]);
    expect(rejected).toEqual(['device.register']);
  });

  it('ignores our webContents after it navigated to a foreign page (https://evil.example)', async () => {
    const { ipc } = setup();
    const e = { sender: { id: OUR_WC }, senderFrame: { url: 'https://evil.example/', parent: null } };
    expect(await ipc.call(ipcChannelName('device.register'), e, { token: 'ABC123' })).toEqual(
      UNTRUSTED_SENDER,
    );
    expect(calls()).toEqual([]);
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
    expect(calls()).toEqual([]);
    // Extra positional arguments are ignored, not trusted.
    await ipc.call(ch, ours(), { token: 'ABC123' }, { token: 'OTHER1' });
    expect(calls()).toEqual(['register:ABC123']);
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
    const status = agent.device.status();
    agent.events.emit({ type: 'device.status', data: status });
    await new Promise((r) => setImmediate(r));
    destroyed = true;
    agent.events.emit({ type: 'device.status', data: status });
    await new Promise((r) => setImmediate(r));
    off();
    expect(sent).toEqual([[IPC_EVENT_CHANNEL, { type: 'device.status', data: status } satisfies UiEvent]]);
  });
});
