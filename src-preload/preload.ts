/**
 * The only bridge between the sandboxed renderer and main: `window.outpost`, task-shaped functions grouped by
 * domain (`outpost.device.register({token})`) built from the src-shared channel map, plus `invoke`/`subscribe`
 * restricted to that map (the Transport the renderer's API client takes). Raw ipcRenderer never crosses, and
 * the IPC event object (which carries the sender) is never handed to page code. Bundled to one CommonJS file
 * for the sandbox (src-main/cli/build-preload.ts). `window.outpostShell` carries what only the desktop shell
 * knows (server start-up, the one-time admin password): three fixed calls, nothing generic.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  CHANNEL_NAME_LIST,
  IPC_EVENT_CHANNEL,
  ipcChannelName,
  type ChannelName,
} from '../src-shared/ipc/channel-names.js';
import { groupCalls } from '../src-shared/ipc/group.js';
import {
  SHELL_DISMISS_NOTICE_CHANNEL,
  SHELL_STATE_CHANNEL,
  SHELL_STATE_EVENT,
  type ShellBridge,
  type ShellState,
} from '../src-shared/ipc/shell-state.js';

const known = new Set<string>(CHANNEL_NAME_LIST);

function invoke(channel: ChannelName, payload: unknown): Promise<unknown> {
  if (typeof channel !== 'string' || !known.has(channel)) {
    return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'Unknown API call' } });
  }
  return ipcRenderer.invoke(ipcChannelName(channel), payload === undefined ? {} : payload);
}

function subscribe(listener: (event: unknown) => void): () => void {
  if (typeof listener !== 'function') return () => undefined;
  const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
  ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
  return () => {
    ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
  };
}

contextBridge.exposeInMainWorld('outpost', {
  ...groupCalls(invoke),
  invoke,
  subscribe,
  onEvent: subscribe,
});

const shellBridge: ShellBridge = {
  state: () => ipcRenderer.invoke(SHELL_STATE_CHANNEL),
  dismissAdminNotice: () => ipcRenderer.invoke(SHELL_DISMISS_NOTICE_CHANNEL),
  onChange(listener) {
    if (typeof listener !== 'function') return () => undefined;
    const handler = (_event: IpcRendererEvent, state: ShellState) => listener(state);
    ipcRenderer.on(SHELL_STATE_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(SHELL_STATE_EVENT, handler);
    };
  },
};
contextBridge.exposeInMainWorld('outpostShell', shellBridge);
