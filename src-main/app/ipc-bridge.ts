/**
 * Registers one `ipcMain.handle` per channel of the map (namespaced `outpost:<channel>`) and forwards agent
 * events to our window. The ipcMain / webContents here are structural, so tests drive this with fakes; main.ts
 * passes Electron's. A call from an untrusted sender is refused without touching the agent; every payload is
 * validated by the adapter (createAgentApi) against the channel's schema.
 */
import { CHANNEL_NAMES, IPC_EVENT_CHANNEL, ipcChannelName } from '../../src-shared/ipc/channels.js';
import type { Result } from '../../src-shared/result.js';
import type { AgentApi } from '../agent/api.js';
import type { IpcEventLike } from './security-policy.js';

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface WebContentsLike {
  id: number;
  send(channel: string, payload: unknown): void;
  isDestroyed(): boolean;
}

export const UNTRUSTED_SENDER: Result<never> = {
  ok: false,
  error: { code: 'FORBIDDEN', message: 'Request from an untrusted window ignored' },
};

export function registerIpc(
  ipcMain: IpcMainLike,
  api: AgentApi,
  isTrusted: (event: IpcEventLike) => boolean,
  onRejected?: (channel: string, event: IpcEventLike) => void,
): () => void {
  for (const channel of CHANNEL_NAMES) {
    ipcMain.handle(ipcChannelName(channel), async (event, ...args) => {
      if (!isTrusted(event)) {
        onRejected?.(channel, event);
        return UNTRUSTED_SENDER;
      }
      // Exactly one argument crosses; anything extra is ignored rather than trusted.
      return api.invoke(channel, args[0]);
    });
  }
  return () => {
    for (const channel of CHANNEL_NAMES) ipcMain.removeHandler(ipcChannelName(channel));
  };
}

/** Sends every UI event to the current window (if any); returns the unsubscribe function. */
export function forwardEvents(api: AgentApi, target: () => WebContentsLike | null): () => void {
  return api.onEvent((e) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(IPC_EVENT_CHANNEL, e);
  });
}
