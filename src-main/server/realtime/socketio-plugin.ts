import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { Server, type ExtendedError, type Socket } from 'socket.io';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import type { RealtimeSessions, VerifiedLogin } from './sessions.js';
import { SocketIoLink } from './socketio-link.js';

/** socket.io's standard path: seed 003's clients (`io(url)`) look for it there. */
export const SOCKET_IO_PATH = '/socket.io/';

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * `/socket.io/` (seed 003's own clients) on the same HTTP server as Fastify, both Engine.IO transports
 * (long-polling, websocket, and the upgrade between them). It is a second door into the same sessions: every
 * socket joins the one registry, so hub events, limits, presence and metrics are shared with `/ws`, and the
 * runtime's fan-out carries events between instances (no socket.io adapter).
 */
export const socketIoPlugin: FastifyPluginAsync<{ ctx: ServerContext; sessions: RealtimeSessions }> = async (
  app,
  { ctx, sessions },
) => {
  const { config } = ctx;
  const origins = config.socketio.corsOrigins;
  const server = app.server;

  // @fastify/websocket routes every upgrade through Fastify, which would answer a socket.io upgrade with a 404
  // on the same socket Engine.IO is upgrading: upgrades for our path go to Engine.IO only.
  const fastifyUpgrades = server.listeners('upgrade') as UpgradeListener[];
  server.removeAllListeners('upgrade');

  const io = new Server(server, {
    path: SOCKET_IO_PATH.slice(0, -1),
    serveClient: false,
    transports: ['polling', 'websocket'],
    // The same liveness rule as `/ws` (a peer silent for about one interval is dropped).
    pingInterval: config.ws.pingIntervalMs,
    pingTimeout: Math.min(20_000, config.ws.pingIntervalMs),
    // The `/ws` frame limit; a bigger polling body or websocket message closes that connection.
    maxHttpBufferSize: 64 * 1024,
    perMessageDeflate: false,
    httpCompression: false,
    // Fastify's listeners below answer every other upgrade; Engine.IO must not end them after a second.
    destroyUpgrade: false,
    cors:
      origins.length > 0
        ? { origin: origins.includes('*') ? '*' : origins, methods: ['GET', 'POST'] }
        : undefined,
    allowRequest: (req, fn) => {
      if (sessions.registry.closing) return fn('Server shutting down', false);
      // CORS only guards what a page may read back; a cross-site page could still open the websocket
      // transport, so the Origin a browser sends is checked here for both transports.
      fn(null, originAllowed(req, origins));
    },
  });

  for (const listener of fastifyUpgrades) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!isSocketIoPath(req.url)) listener.call(server, req, socket, head);
    });
  }

  const logins = new WeakMap<Socket, VerifiedLogin>();

  // A handshake token (`io(url, {auth: {token}})`) is checked before the socket connects, like the `/ws` URL
  // token before the upgrade: a bad one gets `connect_error` with seed 003's error data and no socket.
  io.use((socket, next) => {
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === 'object' && auth !== null && 'token' in auth ? auth.token : undefined;
    if (token === undefined) return next();
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) {
      return next(refusal('AUTH_FAILED', 'Invalid token'));
    }
    sessions.login(token).then(
      (login) => {
        logins.set(socket, login);
        next();
      },
      (err: unknown) => {
        if (!(err instanceof AppError)) {
          app.log.error({ err }, 'socket.io handshake authentication failed');
          return next(refusal('SERVER_ERROR', 'Internal server error'));
        }
        next(refusal(seedCode(err.code), err.message));
      },
    );
  });

  io.on('connection', (socket) => {
    const c = sessions.accept(
      new SocketIoLink(socket),
      clientIp(socket, config.trustProxy),
      logins.get(socket),
    );
    logins.delete(socket);
    if (!c) return;
    socket.onAny((event: unknown, ...args: unknown[]) => {
      try {
        // The first argument is the payload; a lone acknowledgement callback means there was none.
        sessions.onEvent(c, event, typeof args[0] === 'function' ? undefined : args[0]);
      } catch (err) {
        app.log.error({ err }, 'socket.io event handler failed');
      }
    });
  });

  app.addHook('onClose', async () => {
    // Sockets were closed with the hub (the `/ws` plugin's preClose); this ends handshakes still in flight.
    io.engine.close();
  });
};

function isSocketIoPath(url: string | undefined): boolean {
  return url !== undefined && url.startsWith(SOCKET_IO_PATH);
}

/** No Origin (not a browser) and the page's own origin always pass; other sites only when configured. */
function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** The client's address as Fastify computes `request.ip`, so per-IP limits count both transports alike. */
function clientIp(socket: Socket, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = socket.handshake.headers['x-forwarded-for'];
    const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return socket.handshake.address;
}

/** The server's auth refusals in seed 003's vocabulary. */
function seedCode(code: string): string {
  if (code === 'INVALID_TOKEN') return 'INVALID_TOKEN';
  if (code === 'FORBIDDEN') return 'PERMISSION_DENIED';
  return 'AUTH_FAILED';
}

/** A middleware refusal: socket.io-client's `connect_error` carries `message` and this `data`. */
function refusal(code: string, error: string): ExtendedError {
  const err: ExtendedError = new Error(error);
  err.data = { error, code, timestamp: new Date().toISOString() };
  return err;
}
