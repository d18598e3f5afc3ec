/**
 * Picks the transport: Electron's preload exposes `window.outpost` (a Transport over IPC); anywhere else the
 * page was served by the headless `--ui` bridge and talks to it over HTTP + WS. Above this line there is one
 * code path: createApiClient validates every answer against the channel map either way.
 */
import { createApiClient } from '../../src-shared/ipc/client.js';
import { createWebBridgeTransport } from '../../src-shared/ipc/web-bridge-transport.js';
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

export function createRendererApi(w: Pick<Window, 'outpost'> = window): {
  api: OutpostApi;
  kind: 'ipc' | 'web';
} {
  const { transport, kind } = pickTransport(w);
  return { api: createApiClient(transport).api, kind };
}
