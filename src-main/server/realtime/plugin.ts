import websocket from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { DeviceId } from '../../../src-shared/api/auth.js';
import type { ServerContext } from '../context.js';
import { AppError, sendError } from '../errors.js';
import { WsLink } from './link.js';
import type { RealtimeSessions, VerifiedLogin } from './sessions.js';

/**
 * `/ws` (seeds 001 and 003 on one socket). A token in the URL (or an Authorization header) is checked before
 * the upgrade, so a station with a bad or expired token gets a plain HTTP 401 it can act on ("login needed");
 * everything after the upgrade is RealtimeSessions' job.
 */
export const realtimePlugin: FastifyPluginAsync<{ ctx: ServerContext; sessions: RealtimeSessions }> = async (
  app,
  { ctx, sessions },
) => {
  await app.register(websocket, {
    options: {
      maxPayload: 64 * 1024,
      perMessageDeflate: false,
      // Our registry tracks sockets; ws's own Set would be a second copy of the same thing.
      clientTracking: false,
    },
    preClose(done) {
      // Close frames (1001) first so clients see a clean close and reconnect, then stop the ws server.
      sessions.hub
        .close()
        .catch(() => undefined)
        .finally(() => {
          this.websocketServer.close(() => done());
        });
    },
  });
  ctx.realtime = sessions.hub;

  const logins = new WeakMap<FastifyRequest, VerifiedLogin>();

  app.get(
    '/ws',
    {
      websocket: true,
      schema: { hide: true },
      preValidation: async (request, reply) => {
        const q = (request.query ?? {}) as Record<string, unknown>;
        const auth = request.headers.authorization;
        const token =
          typeof q.token === 'string' && q.token
            ? q.token
            : typeof auth === 'string'
              ? /^Bearer\s+(\S+)/i.exec(auth)?.[1]
              : undefined;
        if (!token) return;
        let login: VerifiedLogin;
        try {
          login = await sessions.login(token);
        } catch (err) {
          if (err instanceof AppError) return sendError(request, reply, err.code, err.message);
          throw err;
        }
        if (q.device_id !== undefined) {
          const asked = DeviceId.safeParse(q.device_id);
          // A device can never act as another: the URL's device_id must be the one the token was issued to.
          if (!asked.success || asked.data !== login.claims.device_id) {
            return sendError(request, reply, 'FORBIDDEN', 'device_id does not match the token');
          }
        }
        logins.set(request, login);
      },
    },
    (socket, request) => {
      const c = sessions.accept(new WsLink(socket), request.ip, logins.get(request));
      logins.delete(request);
      if (!c) return;
      socket.on('pong', () => {
        c.alive = true;
      });
      socket.on('message', (raw, isBinary) => sessions.onFrame(c, raw, isBinary));
    },
  );
};
