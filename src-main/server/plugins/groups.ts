import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CreateGroupBody,
  GroupIdParams,
  GroupListResponse,
  GroupResponse,
  UpdateGroupBody,
} from '../../../src-shared/api/inventory.js';
import type { ServerContext } from '../context.js';
import { GROUPS_CHANGED, GROUPS_MOVED } from '../devices/group-policy.js';
import { AppError } from '../errors.js';
import type { DevicesRuntime } from './devices.js';

const DeleteGroupResponse = z.object({
  success: z.literal(true),
  data: z.object({ id: z.number().int(), moved: z.number().int() }),
});

/**
 * Device groups and their heartbeat policy (seed 002 envelope). Every change is announced on the runtime's bus,
 * so each instance reloads its policy cache (the heartbeat answer's interval, presence thresholds) within the
 * bus's delivery time; reads need `view`, changes `operate`, and every change is audited.
 */
export const groupsRoutes: FastifyPluginAsync<{ ctx: ServerContext; rt: DevicesRuntime }> = async (
  app,
  { ctx, rt },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const groups = ctx.store.groups;
  app.addHook('onRequest', ctx.adminGuard);
  const security = [{ apiKey: [] }];
  const tags = ['groups'];
  const changed = async () => {
    await ctx.runtime.authEvents.announce(GROUPS_CHANGED);
    await rt.policy.reload();
  };

  r.get(
    '/api/admin/groups',
    {
      schema: {
        tags,
        summary: 'Device groups with their policy and device counts',
        security,
        response: { 200: GroupListResponse },
      },
      config: { access: 'view' },
    },
    async () => ({
      success: true as const,
      data: { groups: (await groups.list()).map((g) => rt.policy.view(g)) },
    }),
  );

  r.post(
    '/api/admin/groups',
    {
      schema: {
        tags,
        summary: 'Create a group',
        security,
        body: CreateGroupBody,
        response: { 200: GroupResponse },
      },
      config: { access: 'operate' },
    },
    async (request) => {
      const b = request.body;
      const g = await groups.create({ ...b, description: b.description ?? null }, new Date().toISOString());
      await changed();
      await ctx.audit.record(request, { action: 'group.create', target: String(g.id), details: { ...b } });
      return { success: true as const, data: rt.policy.view(g) };
    },
  );

  r.put(
    '/api/admin/groups/:id',
    {
      schema: {
        tags,
        summary: "Change a group's name, description or heartbeat policy",
        security,
        params: GroupIdParams,
        body: UpdateGroupBody,
        response: { 200: GroupResponse },
      },
      config: { access: 'operate' },
    },
    async (request) => {
      const { id } = request.params;
      const patch = request.body;
      const before = await groups.get(id);
      if (!before) throw new AppError('GROUP_NOT_FOUND');
      // The default group's policy starts as "the configured one" (NULLs): setting one field fixes both, or the
      // stored pair could not be checked against each other.
      const effective = rt.policy.view(before);
      const full =
        patch.heartbeat_interval_sec !== undefined || patch.silence_threshold_sec !== undefined
          ? {
              ...patch,
              heartbeat_interval_sec: patch.heartbeat_interval_sec ?? effective.heartbeat_interval_sec,
              silence_threshold_sec: patch.silence_threshold_sec ?? effective.silence_threshold_sec,
            }
          : patch;
      const g = await groups.update(id, full);
      if (!g) throw new AppError('GROUP_NOT_FOUND');
      await changed();
      await ctx.audit.record(request, { action: 'group.update', target: String(id), details: { ...patch } });
      return { success: true as const, data: rt.policy.view(g) };
    },
  );

  r.delete(
    '/api/admin/groups/:id',
    {
      schema: {
        tags,
        summary: 'Delete a group; its devices move to the default group',
        security,
        params: GroupIdParams,
        response: { 200: DeleteGroupResponse },
      },
      config: { access: 'operate' },
    },
    async (request) => {
      const { id } = request.params;
      const out = await groups.remove(id, new Date().toISOString());
      if (out === undefined) throw new AppError('GROUP_NOT_FOUND');
      if (out === 'default') throw new AppError('CONFLICT', 'The default group cannot be deleted');
      await ctx.runtime.authEvents.announce(out.moved > 0 ? GROUPS_MOVED : GROUPS_CHANGED);
      await rt.policy.reload();
      await ctx.audit.record(request, {
        action: 'group.delete',
        target: String(id),
        details: { moved: out.moved },
      });
      return { success: true as const, data: { id, moved: out.moved } };
    },
  );
};
