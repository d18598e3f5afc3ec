import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Notification, NotifyRequest, NotifyResponse } from '../../../src-shared/api/realtime.js';
import { requireJwt, type JwtService } from '../auth/jwt.js';
import { ADMIN_SECURITY } from '../auth/admin-access.js';
import type { ServerContext } from '../context.js';
import type { RealtimeHub, Target } from '../realtime/hub.js';
import type { NotificationRecord } from '../store/notifications-repo.js';

function view(n: NotificationRecord, readAt: string | null): Notification {
  return {
    id: `notif_${n.id}`,
    device_id: n.device_id,
    type: n.type,
    title: n.title,
    message: n.message,
    data: n.data ? (JSON.parse(n.data) as Record<string, unknown>) : null,
    timestamp: n.created_at,
    read: readAt !== null,
  };
}

const ListQuery = z.object({
  unread: z.enum(['0', '1', 'true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Admin notifications (seed 003 `notification`), stored so a device that was offline can fetch them later. */
export const notifyPlugin: FastifyPluginAsync<{
  ctx: ServerContext;
  jwt: JwtService;
  hub: RealtimeHub;
}> = async (app, { ctx, jwt, hub }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/admin/notify',
    {
      onRequest: ctx.adminGuard,
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        body: NotifyRequest,
        response: { 201: NotifyResponse },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const deviceId = b.device_id ?? null;
      const target: Target = deviceId === null ? { kind: 'authenticated' } : { kind: 'device', deviceId };
      // `delivered`: sockets connected for the target across the fleet when it was sent, each of which gets
      // it now; 0 means it waits in GET /api/notifications. Not a count of this instance's writes. The count
      // does not depend on the stored row, so both round trips run at once rather than one after the other.
      const [rec, delivered] = await Promise.all([
        ctx.store.notifications.create({
          device_id: deviceId,
          type: b.type ?? 'admin',
          title: b.title,
          message: b.message,
          data: b.data ? JSON.stringify(b.data) : null,
        }),
        hub.recipients(target),
      ]);
      const n = view(rec, null);
      hub.publish(target, 'notification', n);
      await ctx.audit.record(request, {
        action: 'notification.send',
        target: deviceId,
        details: { id: n.id, type: n.type, title: b.title, delivered },
      });
      return reply.code(201).send({ success: true as const, data: { ...n, delivered } });
    },
  );

  r.get(
    '/api/notifications',
    {
      preHandler: requireJwt(jwt),
      schema: { tags: ['notifications'], security: [{ bearer: [] }], querystring: ListQuery },
    },
    async (request) => {
      const claims = request.claims!;
      const reader = claims.device_id ?? `user:${claims.sub}`;
      const unreadOnly = request.query.unread === '1' || request.query.unread === 'true';
      const rows = await ctx.store.notifications.listFor(reader, { unreadOnly, limit: request.query.limit });
      return { success: true as const, data: rows.map((n) => view(n, n.read_at)) };
    },
  );
};
