/**
 * Picks the transport: Electron's preload exposes `window.outpost` (a Transport over IPC); anywhere else the
 * page was served by the headless `--ui` bridge and talks to it over HTTP + WS. Above this line there is one
 * code path: createApiClient validates every answer against the channel map either way.
 */
import { createApiClient } from '../../src-shared/ipc/client.js';
import type { ShellBridge } from '../../src-shared/ipc/shell-state.js';
import { createWebBridgeTransport } from '../../src-shared/ipc/web-bridge-transport.js';
import { createWebShellBridge } from '../../src-shared/ipc/web-shell-bridge.js';
import type { OutpostApi, Transport } from './types.js';

declare global {
  interface Window {
    outpost?: Transport;
  }
}

export function pickTransport(w: Pick<Window, 'outpost'> = window): {
  transport: Transport;
  kind: 'ipc' | 'web';
} {
  if (w.outpost && typeof w.outpost.invoke === 'function' && typeof w.outpost.subscribe === 'function') {
    return { transport: w.outpost, kind: 'ipc' };
  }
  return { transport: createWebBridgeTransport(), kind: 'web' };
}

/** The agent API, and the shell's own state: the preload's in Electron, the web bridge's headless. */
export function createRendererApi(w: Pick<Window, 'outpost' | 'outpostShell'> = window): {
  api: OutpostApi;
  kind: 'ipc' | 'web';
  shell: ShellBridge | undefined;
} {
  const { transport, kind } = pickTransport(w);
  const shell = kind === 'ipc' ? w.outpostShell : createWebShellBridge(transport);
  return { api: createApiClient(transport).api, kind, shell };
}
