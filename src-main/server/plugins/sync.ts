import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { PullResponse, PushRequest, PushResponse, type OpResult } from '../../../src-shared/api/sync.js';
import { requireJwt, type JwtService } from '../auth/jwt.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import type { RealtimeHub } from '../realtime/hub.js';
import type { ApplyOp } from '../store/sync-repo.js';
import { announceQuota } from './admin-clients.js';
import { parseOp } from './sync-ops.js';

const MESSAGES: Record<string, string> = {
  QUOTA_EXCEEDED: 'Quota exceeded',
  CLIENT_NOT_FOUND: 'Client not found',
};

/** Seed 001 `/api/sync/push` (exactly once, per-op results) and `/api/sync/pull` (quotas). */
export const syncPlugin: FastifyPluginAsync<{
  ctx: ServerContext;
  jwt: JwtService;
  hub: RealtimeHub;
}> = async (app, { ctx, jwt, hub }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];

  r.post(
    '/api/sync/push',
    {
      preHandler: requireJwt(jwt),
      schema: { tags: ['sync'], security, body: PushRequest, response: { 200: PushResponse } },
      // The schema documents the answer; the handler builds it to that shape, so re-validating up to 1000
      // results with zod on every push (a third of the serialisation cost) buys nothing.
      serializerCompiler: () => (data: unknown) => JSON.stringify(data),
    },
    async (request) => {
      const claims = request.claims!;
      const { device_id: deviceId, queue } = request.body;
      // A device can never act as another: the batch's device must be the one the token was issued to.
      if (claims.device_id === null || deviceId !== claims.device_id) {
        throw new AppError('FORBIDDEN', 'device_id does not match the token');
      }
      const results: OpResult[] = new Array(queue.length);
      const ops: ApplyOp[] = [];
      const slots: { index: number; id: number | string; uuid?: string }[] = [];
      for (let i = 0; i < queue.length; i++) {
        const parsed = parseOp(queue[i], deviceId);
        if (!parsed.ok) {
          results[i] = parsed.result;
          continue;
        }
        ops.push(parsed.op);
        slots.push({ index: i, id: parsed.id, uuid: parsed.uuid });
      }
      const now = new Date().toISOString();
      const outcome = await ctx.store.sync.applyBatch({ deviceId, userId: Number(claims.sub), now }, ops);
      let synced = 0;
      let failed = 0;
      let duplicates = 0;
      const newCopies: { id: number | string; uuid?: string; client_id: number; uid: string }[] = [];
      for (let j = 0; j < slots.length; j++) {
        const slot = slots[j]!;
        const res = outcome.results[j]!;
        const out: OpResult = { id: slot.id, status: res.status };
        if (slot.uuid !== undefined) out.uuid = slot.uuid;
        if (res.error) {
          out.error = res.error;
          out.message = MESSAGES[res.error] ?? res.error;
        }
        if (res.duplicate) {
          out.duplicate = true;
          duplicates++;
        } else {
          const op = ops[j]!;
          if (res.status === 'synced' && op.type === 'copy') {
            newCopies.push({ id: slot.id, uuid: slot.uuid, client_id: op.clientId, uid: op.uid });
          }
        }
        results[slot.index] = out;
      }
      for (const res of results) {
        if (res.status === 'synced') synced++;
        else failed++;
      }
      for (const c of outcome.changedClients) announceQuota(hub, c);
      const target = { kind: 'device', deviceId } as const;
      if (newCopies.length > 0) {
        hub.publish(target, 'copy_completed', {
          device_id: deviceId,
          count: newCopies.length,
          copies: newCopies,
        });
      }
      hub.publish(target, 'sync_completed', {
        device_id: deviceId,
        total: queue.length,
        synced,
        failed,
        duplicates,
        server_time: now,
      });
      // Acknowledge only once the events are shared: a station that got its answer must not miss its
      // quota_updated on another instance because this one died a moment later.
      await hub.shared();
      return { success: true as const, data: results, server_time: now };
    },
  );

  r.get(
    '/api/sync/pull',
    { preHandler: requireJwt(jwt), schema: { tags: ['sync'], security, response: { 200: PullResponse } } },
    async () => {
      const clients = await ctx.store.clients.list();
      return {
        success: true as const,
        quotas: clients.map((c) => ({
          client_id: c.id,
          name: c.name,
          remaining: c.remaining,
          total: c.remaining + c.used,
          updated_at: c.updated_at,
        })),
        server_time: new Date().toISOString(),
      };
    },
  );
};
