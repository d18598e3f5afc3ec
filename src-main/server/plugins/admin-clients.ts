import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ClientListResponse,
  ClientResponse,
  CreateClientRequest,
  ReduceClientRequest,
  RenameClientRequest,
  TopUpClientRequest,
  UpdateClientRequest,
  type Client,
} from '../../../src-shared/api/sync.js';
import { ADMIN_SECURITY } from '../auth/admin-access.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import type { RealtimeHub } from '../realtime/hub.js';
import type { ClientRecord } from '../store/clients-repo.js';

export function clientView(c: ClientRecord): Client {
  return { ...c, total: c.remaining + c.used };
}

/** Tells every authenticated socket a client's quota changed (seed 001 `quota_updated`). */
export function announceQuota(
  hub: RealtimeHub,
  c: { id: number; name: string; remaining: number; used: number },
): void {
  const now = Date.now();
  hub.publish({ kind: 'authenticated' }, 'quota_updated', {
    client_id: c.id,
    name: c.name,
    remaining: c.remaining,
    total: c.remaining + c.used,
    timestamp: new Date(now).toISOString(),
    ts: now,
  });
}

const IdParams = z.object({ id: z.coerce.number().int().positive() });
const CopiesQuery = z.object({
  device_id: z.string().min(1).max(128).optional(),
  client_id: z.coerce.number().int().positive().optional(),
  after_id: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(1000),
});

/**
 * Admin: clients and their quotas, and the copies the server holds. Reading is `view`; quota changes, new
 * clients and renames are `operate` (operators run the stations' quotas); deleting a client is `admin`.
 */
export const adminClientsPlugin: FastifyPluginAsync<{ ctx: ServerContext; hub: RealtimeHub }> = async (
  app,
  { ctx, hub },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = { onRequest: ctx.adminGuard, config: { access: 'admin' as const } };
  const operate = { onRequest: ctx.adminGuard, config: { access: 'operate' as const } };
  const view = { onRequest: ctx.adminGuard, config: { access: 'view' as const } };
  const tags = ['admin'];
  const security = ADMIN_SECURITY;
  const quotaDetails = (c: ClientRecord) => ({ id: c.id, remaining: c.remaining, used: c.used });

  r.post(
    '/api/admin/clients',
    { ...operate, schema: { tags, security, body: CreateClientRequest, response: { 201: ClientResponse } } },
    async (request, reply) => {
      const c = await ctx.store.clients.create(request.body.name, request.body.quota);
      announceQuota(hub, c);
      await ctx.audit.record(request, { action: 'client.create', target: c.name, details: quotaDetails(c) });
      return reply.code(201).send({ success: true as const, data: clientView(c) });
    },
  );

  r.get(
    '/api/admin/clients',
    { ...view, schema: { tags, security, response: { 200: ClientListResponse } } },
    async () => ({ success: true as const, data: (await ctx.store.clients.list()).map(clientView) }),
  );

  r.put(
    '/api/admin/clients/:id',
    {
      ...operate,
      schema: {
        tags,
        security,
        params: IdParams,
        body: UpdateClientRequest,
        response: { 200: ClientResponse },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { quota, add } = request.body;
      let c: ClientRecord | undefined;
      if (quota !== undefined) {
        c = await ctx.store.clients.setRemaining(id, quota);
      } else {
        const res = await ctx.store.clients.addRemaining(id, add!);
        if (res.belowZero) {
          throw new AppError('QUOTA_EXCEEDED', 'Quota cannot go below 0', {
            remaining: res.client!.remaining,
            add,
          });
        }
        c = res.client;
      }
      if (!c) throw new AppError('CLIENT_NOT_FOUND', `Client ${id} not found`);
      announceQuota(hub, c);
      await ctx.audit.record(request, {
        action: 'client.quota',
        target: c.name,
        details: { ...quotaDetails(c), ...(quota !== undefined ? { set: quota } : { add }) },
      });
      return { success: true as const, data: clientView(c) };
    },
  );

  // Separate routes per action (the console confirms the destructive ones): a top-up only ever adds, a
  // reduction only ever removes, so a typo in one field cannot do the other.
  const one = { tags, security, params: IdParams, response: { 200: ClientResponse } };
  const found = (c: ClientRecord | undefined, id: number): ClientRecord => {
    if (!c) throw new AppError('CLIENT_NOT_FOUND', `Client ${id} not found`);
    return c;
  };

  r.post(
    '/api/admin/clients/:id/top-up',
    { ...operate, schema: { ...one, body: TopUpClientRequest } },
    async (request) => {
      const { id } = request.params;
      const c = found((await ctx.store.clients.addRemaining(id, request.body.add)).client, id);
      announceQuota(hub, c);
      await ctx.audit.record(request, {
        action: 'client.top-up',
        target: c.name,
        details: { ...quotaDetails(c), add: request.body.add },
      });
      return { success: true as const, data: clientView(c) };
    },
  );

  r.post(
    '/api/admin/clients/:id/reduce',
    { ...operate, schema: { ...one, body: ReduceClientRequest } },
    async (request) => {
      const { id } = request.params;
      const { by } = request.body;
      const res = await ctx.store.clients.addRemaining(id, -by);
      const c = found(res.client, id);
      if (res.belowZero) {
        throw new AppError(
          'QUOTA_EXCEEDED',
          `Client '${c.name}' has ${c.remaining} copies left: it cannot be reduced by ${by}`,
          { remaining: c.remaining, by },
        );
      }
      announceQuota(hub, c);
      await ctx.audit.record(request, {
        action: 'client.reduce',
        target: c.name,
        details: { ...quotaDetails(c), by },
      });
      return { success: true as const, data: clientView(c) };
    },
  );

  r.patch(
    '/api/admin/clients/:id',
    { ...operate, schema: { ...one, body: RenameClientRequest } },
    async (request) => {
      const { id } = request.params;
      const c = found(await ctx.store.clients.rename(id, request.body.name), id);
      announceQuota(hub, c);
      await ctx.audit.record(request, { action: 'client.rename', target: c.name, details: { id } });
      return { success: true as const, data: clientView(c) };
    },
  );

  r.delete('/api/admin/clients/:id', { ...admin, schema: one }, async (request) => {
    const { id } = request.params;
    const res = await ctx.store.clients.remove(id);
    const c = found(res.client, id);
    if (res.inUse) {
      throw new AppError(
        'CONFLICT',
        `Client '${c.name}' has ${c.used} copies billed to it: it stays so their history keeps its name (rename it, or reduce its quota to 0)`,
        { used: c.used },
      );
    }
    await ctx.audit.record(request, { action: 'client.delete', target: c.name, details: { id } });
    return { success: true as const, data: clientView(c) };
  });

  r.get(
    '/api/admin/copies',
    { ...view, schema: { tags, security, querystring: CopiesQuery } },
    async (request) => {
      const q = request.query;
      const { total, copies } = await ctx.store.sync.listCopies({
        deviceId: q.device_id,
        clientId: q.client_id,
        afterId: q.after_id,
        limit: q.limit,
      });
      return { success: true as const, total, data: copies };
    },
  );
};
