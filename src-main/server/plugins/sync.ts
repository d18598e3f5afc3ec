import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { PullResponse, PushRequest, PushResponse, type OpResult } from '../../../src-shared/api/sync.js';
import { requireJwt, type JwtService } from '../auth/jwt.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import type { RealtimeHub } from '../realtime/hub.js';
import type { RaisedEvent } from '../runtime/runtime.js';
import type { ApplyOp, PushEvents } from '../store/sync-repo.js';
import { quotaEvent } from './admin-clients.js';
import { parseOp } from './sync-ops.js';

const MESSAGES: Record<string, string> = {
  QUOTA_EXCEEDED: 'Quota exceeded',
  CLIENT_NOT_FOUND: 'Client not found',
};

/** One entry of `copy_completed.copies` (key order as sent; `uuid` only when the op had one). */
type CopyEntry = { id: number | string; uuid?: string; client_id: number; uid: string };

function copyEntry(slot: { id: number | string; uuid?: string }, clientId: number, uid: string): CopyEntry {
  return slot.uuid === undefined
    ? { id: slot.id, client_id: clientId, uid }
    : { id: slot.id, uuid: slot.uuid, client_id: clientId, uid };
}

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
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      // Each copy's copy_completed entry, built once: the Store may write it into the outbox, and this
      // instance's sockets get the same objects.
      const entries: (CopyEntry | null)[] = ops.map((op, j) =>
        op.type === 'copy' ? copyEntry(slots[j]!, op.clientId, op.uid) : null,
      );
      const outbox = ops.length > 0 ? hub.outbox() : undefined;
      const events: PushEvents | undefined = outbox && {
        origin: outbox.origin,
        at: outbox.at(),
        ts: nowMs,
        stamp: now,
        total: queue.length,
        copies: entries.map((e) => (e ? JSON.stringify(e) : null)),
      };
      const outcome = await ctx.store.sync.applyBatch(
        { deviceId, userId: Number(claims.sub), now },
        ops,
        events,
      );
      let synced = 0;
      let failed = 0;
      let duplicates = 0;
      const newCopies: CopyEntry[] = [];
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
        } else if (res.status === 'synced' && entries[j]) {
          newCopies.push(entries[j]!);
        }
        results[slot.index] = out;
      }
      for (const res of results) {
        if (res.status === 'synced') synced++;
        else failed++;
      }
      const raised: RaisedEvent[] = outcome.changedClients.map((c) => quotaEvent(c, nowMs));
      const target = { kind: 'device', deviceId } as const;
      if (newCopies.length > 0) {
        raised.push({
          target,
          event: 'copy_completed',
          data: { device_id: deviceId, count: newCopies.length, copies: newCopies },
        });
      }
      raised.push({
        target,
        event: 'sync_completed',
        data: { device_id: deviceId, total: queue.length, synced, failed, duplicates, server_time: now },
      });
      if (outcome.eventsStored) {
        // Committed with the batch: durable already; deliver here and wake the other instances.
        hub.committed(raised);
      } else {
        for (const e of raised) hub.publish(e.target, e.event, e.data);
        // Acknowledge only once the events are shared: a station that got its answer must not miss its
        // quota_updated on another instance because this one died a moment later.
        await hub.shared();
      }
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
