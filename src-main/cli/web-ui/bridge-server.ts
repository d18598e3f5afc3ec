/**
 * The headless web UI: the built renderer plus an HTTP+WS bridge to the same agent API the Electron shell uses
 * over IPC. `POST /bridge/invoke/:channel` answers the adapter's Result as JSON; `WS /bridge/events` streams UI
 * events. Bound to 127.0.0.1 only, every request checked by guard.ts (Host, Origin, per-launch token).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  BRIDGE_EVENTS_PATH,
  BRIDGE_INVOKE_PATH,
  BRIDGE_SHELL_ACTIONS,
  BRIDGE_SHELL_FRAME_KEY,
  BRIDGE_SHELL_PATH,
  BRIDGE_TOKEN_QUERY,
  type BridgeShellAction,
} from '../../../src-shared/ipc/bridge-protocol.js';
import { fail, ok, type Result } from '../../../src-shared/result.js';
import type { ShellState } from '../../../src-shared/ipc/shell-state.js';
import type { AgentApi } from '../../agent/api.js';
import type { ShellStatus } from '../../app/shell-status.js';
import {
  authorised,
  contentSecurityPolicy,
  hostAllowed,
  originAllowed,
  SECURITY_HEADERS,
  sessionCookie,
  tokenEquals,
} from './guard.js';
import { NO_TOKEN_CSP, noTokenPage } from './no-token-page.js';
import { resolveStatic, sendFile } from './static-files.js';

const MAX_BODY = 1024 * 1024;
/** A browser tab that stops reading gets closed rather than buffered without bound. */
const MAX_WS_BUFFER = 4 * 1024 * 1024;

export interface WebUiOptions {
  api: AgentApi;
  staticDir: string;
  port?: number;
  /** Fixed token (tests); default 32 random bytes per launch. */
  token?: string;
  onError?: (err: unknown) => void;
  /** Start-up state, the one-time admin credentials and the secret-store question (headless shell). */
  shell?: ShellStatus;
  /** What the operator ran to start this UI, named on the page a browser without the token gets. */
  command?: string;
}

export interface WebUi {
  /** URL to open, with the token: print it, do not log it. */
  url: string;
  baseUrl: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Outpost</title>
<p>The web UI is not built yet: run <code>npx vite build</code> (or <code>npm start</code>), then reload.</p>`;

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra });
  res.end(text);
}

function noToken(res: ServerResponse, command: string, wrongToken: boolean): void {
  res.writeHead(401, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': NO_TOKEN_CSP,
  });
  res.end(noTokenPage({ command, wrongToken }));
}

function shellAction(shell: ShellStatus | undefined, action: BridgeShellAction): Result<ShellState> {
  if (!shell) return fail('NOT_FOUND', 'This agent has no shell state');
  switch (action) {
    case 'state':
      return ok(shell.get());
    case 'dismiss-admin-notice':
      shell.dismissAdminNotice();
      return ok(shell.get());
    case 'use-secrets-file':
      if (!shell.chooseSecretsFile()) {
        return fail('CONFLICT', 'Nothing to choose: the agent is not waiting for a secret-store choice');
      }
      return ok(shell.get());
  }
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolveBody, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        // Answer 413 and drain the rest instead of buffering it (the connection closes after the answer).
        resolveBody(null);
        chunks.length = 0;
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startWebUi(opts: WebUiOptions): Promise<WebUi> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const command = opts.command ?? 'npm run agent -- --ui';
  let port = 0;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers, port)) return plain(res, 403, 'Forbidden host');
    if (!originAllowed(req.headers, port)) return plain(res, 403, 'Forbidden origin');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);

    // Token exchange: ?token= becomes an HttpOnly cookie, and the token leaves the address bar.
    const given = url.searchParams.get(BRIDGE_TOKEN_QUERY);
    if (given !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!tokenEquals(given, token)) return noToken(res, command, true);
      url.searchParams.delete(BRIDGE_TOKEN_QUERY);
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        'set-cookie': sessionCookie(port, token),
        location: url.pathname + (url.search || ''),
      });
      res.end();
      return;
    }
    const via = authorised(req.headers, port, token);
    if (!via) {
      const page = (req.method === 'GET' || req.method === 'HEAD') && !url.pathname.startsWith('/bridge/');
      if (page) return noToken(res, command, false);
      return plain(res, 401, `Not authorised: open the URL printed by \`${command}\``);
    }

    if (url.pathname.startsWith(BRIDGE_SHELL_PATH)) {
      if (req.method !== 'POST') return plain(res, 405, 'Method not allowed', { allow: 'POST' });
      if (via === 'cookie' && req.headers.origin === undefined) return plain(res, 403, 'Origin required');
      const action = BRIDGE_SHELL_ACTIONS.find((a) => a === url.pathname.slice(BRIDGE_SHELL_PATH.length));
      if (!action) return plain(res, 404, 'Not found');
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(shellAction(opts.shell, action)));
      return;
    }

    if (url.pathname.startsWith(BRIDGE_INVOKE_PATH)) {
      if (req.method !== 'POST') return plain(res, 405, 'Method not allowed', { allow: 'POST' });
      // A browser page must say where it comes from; only non-browser clients (header token) may omit it.
      if (via === 'cookie' && req.headers.origin === undefined) return plain(res, 403, 'Origin required');
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        return plain(res, 415, 'Content-Type must be application/json');
      }
      const body = await readBody(req);
      if (body === null) return plain(res, 413, 'Request body too large', { connection: 'close' });
      let payload: unknown;
      try {
        payload = body.length ? JSON.parse(body) : undefined;
      } catch {
        return plain(res, 400, 'Request body is not valid JSON');
      }
      let channel: string;
      try {
        channel = decodeURIComponent(url.pathname.slice(BRIDGE_INVOKE_PATH.length));
      } catch {
        channel = '';
      }
      const result = await opts.api.invoke(channel, payload);
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(result));
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed');
    if (url.pathname.startsWith('/bridge/')) return plain(res, 404, 'Not found');
    const found = await resolveStatic(opts.staticDir, url.pathname);
    const isHtml = !found || found.type.startsWith('text/html');
    const headers = {
      ...SECURITY_HEADERS,
      ...(isHtml ? { 'content-security-policy': contentSecurityPolicy(port, req.headers.host) } : {}),
    };
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (found) return sendFile(res, found, req.method === 'HEAD');
    const index = await resolveStatic(opts.staticDir, '/');
    if (index) return plain(res, 404, 'Not found');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(NOT_BUILT);
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== BRIDGE_EVENTS_PATH) return reject(404, 'Not Found');
    if (!hostAllowed(req.headers, port) || !originAllowed(req.headers, port)) return reject(403, 'Forbidden');
    const via = authorised(req.headers, port, token);
    if (!via) return reject(401, 'Unauthorized');
    if (via === 'cookie' && req.headers.origin === undefined) return reject(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  }

  function attach(ws: WebSocket): void {
    const send = (frame: unknown) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_WS_BUFFER) {
        ws.close(1013, 'too slow');
        return;
      }
      ws.send(JSON.stringify(frame));
    };
    const offAgent = opts.api.onEvent(send);
    const offShell = opts.shell?.onChange((s) => send({ [BRIDGE_SHELL_FRAME_KEY]: s })) ?? (() => undefined);
    const off = () => {
      offAgent();
      offShell();
    };
    let alive = true;
    ws.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 30_000);
    ping.unref();
    ws.on('message', () => undefined); // the stream is one-way; calls go through /bridge/invoke
    ws.on('close', () => {
      clearInterval(ping);
      off();
    });
    ws.on('error', () => undefined);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.onError?.(err);
      if (!res.headersSent) plain(res, 500, 'Internal error');
      else res.destroy();
    });
  });
  server.on('upgrade', upgrade);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: `${baseUrl}/?${BRIDGE_TOKEN_QUERY}=${token}`,
    baseUrl,
    port,
    token,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
