/**
 * Browser side of the headless web bridge: a `Transport` over fetch + one WebSocket, for
 * `createApiClient(createWebBridgeTransport())`. Browser-safe: no node imports. Authentication rides on the
 * HttpOnly cookie the bridge set when the page was opened with `?token=`, so this code never sees the token
 * unless a caller (a test, a non-browser client) passes it explicitly.
 */
import { backoffDelay } from '../backoff.js';
import type { Transport } from './api-types.js';
import type { Channel } from './channels.js';
import { BRIDGE_EVENTS_PATH, BRIDGE_INVOKE_PATH, BRIDGE_TOKEN_HEADER } from './bridge-protocol.js';

interface WebSocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

export interface WebBridgeOptions {
  /** Origin of the bridge; default the page's own origin. */
  baseUrl?: string;
  /** Only for non-browser callers; the browser uses the cookie. */
  token?: string;
  fetchImpl?: typeof fetch;
  /** WebSocket constructor; default the global one. */
  WebSocketImpl?: new (url: string) => WebSocketLike;
  /** Reconnect delay cap in ms (full jitter below it). */
  maxReconnectMs?: number;
}

export class BridgeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'BridgeHttpError';
  }
}

const HTTP_MESSAGES: Record<number, string> = {
  401: 'This page is not authorised any more: open the URL the agent printed (with ?token=) again',
  403: 'Request refused by the agent (wrong origin)',
};

export function createWebBridgeTransport(opts: WebBridgeOptions = {}): Transport & { close(): void } {
  const base = (opts.baseUrl ?? globalThis.location?.origin ?? '').replace(/\/$/, '');
  const doFetch = opts.fetchImpl ?? globalThis.fetch.bind(globalThis);
  const WS =
    opts.WebSocketImpl ?? (globalThis as { WebSocket?: WebBridgeOptions['WebSocketImpl'] }).WebSocket;
  const maxReconnectMs = opts.maxReconnectMs ?? 10_000;
  const listeners = new Set<(event: unknown) => void>();
  let socket: WebSocketLike | null = null;
  let attempts = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers[BRIDGE_TOKEN_HEADER] = opts.token;

  async function invoke(channel: Channel, payload: unknown): Promise<unknown> {
    const res = await doFetch(`${base}${BRIDGE_INVOKE_PATH}${encodeURIComponent(channel)}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify(payload ?? {}),
    });
    if (!res.ok) {
      throw new BridgeHttpError(res.status, HTTP_MESSAGES[res.status] ?? `Agent answered HTTP ${res.status}`);
    }
    return res.json();
  }

  function connect(): void {
    if (closed || socket || !WS || listeners.size === 0) return;
    const wsUrl = `${base.replace(/^http/, 'ws')}${BRIDGE_EVENTS_PATH}`;
    const ws = new WS(wsUrl);
    socket = ws;
    ws.onopen = () => {
      attempts = 0;
    };
    ws.onmessage = (ev) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(ev.data));
      } catch {
        return; // one bad frame never ends the stream
      }
      for (const l of [...listeners]) {
        try {
          l(parsed);
        } catch {
          // a throwing listener must not starve the others
        }
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = () => {
      socket = null;
      if (closed || listeners.size === 0) return;
      reconnectTimer = setTimeout(connect, backoffDelay(attempts++, { baseMs: 250, capMs: maxReconnectMs }));
    };
  }

  function subscribe(listener: (event: unknown) => void): () => void {
    listeners.add(listener);
    connect();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && socket) {
        const s = socket;
        socket = null;
        s.close();
      }
    };
  }

  function close(): void {
    closed = true;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    listeners.clear();
    socket?.close();
    socket = null;
  }

  return { invoke, subscribe, close };
}
