import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AdminDoneResponse,
  AdminUserListResponse,
  AdminUserResponse,
  StationBindingListResponse,
  StationBindingParams,
  UpdateUserRequest,
  UserIdParams,
  type AdminUser,
} from '../../../src-shared/api/auth.js';
import type { PrincipalGate } from '../auth/principal-gate.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import type { UserRecord } from '../store/users-repo.js';

function adminUser(u: UserRecord): AdminUser {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    email: u.email,
    role: u.role,
    disabled: u.disabled,
    created_at: u.created_at,
    updated_at: u.updated_at,
  };
}

/**
 * Admin (X-API-Key): list, disable and delete users, and see or release station bindings. Every change
 * invalidates the principal gate at once, so a disabled user's next push is already refused here, and its
 * open sockets (or the released device's) are closed.
 */
export const adminUsersPlugin: FastifyPluginAsync<{ ctx: ServerContext; principals: PrincipalGate }> = async (
  app,
  { ctx, principals },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // The key is checked before the body is parsed or validated: no field list for anonymous callers.
  app.addHook('onRequest', ctx.adminGuard);
  const tags = ['admin'];
  const security = [{ apiKey: [] }];

  r.get(
    '/api/admin/users',
    { schema: { tags, security, response: { 200: AdminUserListResponse } } },
    async () => ({ success: true as const, data: (await ctx.store.users.list()).map(adminUser) }),
  );

  r.patch(
    '/api/admin/users/:id',
    {
      schema: {
        tags,
        security,
        params: UserIdParams,
        body: UpdateUserRequest,
        response: { 200: AdminUserResponse },
      },
    },
    async (request) => {
      const { id } = request.params;
      const user = await ctx.store.users.setDisabled(id, request.body.disabled);
      if (request.body.disabled) await principals.announceRevoke({ userId: id });
      else await principals.announceUserChanged(id);
      if (!user) throw new AppError('NOT_FOUND', 'User not found');
      request.log.info({ user_id: id, disabled: user.disabled }, 'user updated');
      return { success: true as const, data: adminUser(user) };
    },
  );

  r.delete(
    '/api/admin/users/:id',
    { schema: { tags, security, params: UserIdParams, response: { 200: AdminDoneResponse } } },
    async (request) => {
      const { id } = request.params;
      const removed = await ctx.store.users.remove(id);
      await principals.announceRevoke({ userId: id });
      if (!removed) throw new AppError('NOT_FOUND', 'User not found');
      request.log.info({ user_id: id }, 'user deleted');
      return { success: true as const, message: 'User deleted' };
    },
  );

  r.get(
    '/api/admin/station-bindings',
    { schema: { tags, security, response: { 200: StationBindingListResponse } } },
    async () => ({ success: true as const, data: await ctx.store.bindings.list() }),
  );

  r.delete(
    '/api/admin/station-bindings/:device_id',
    {
      schema: { tags, security, params: StationBindingParams, response: { 200: AdminDoneResponse } },
    },
    async (request) => {
      const { device_id: deviceId } = request.params;
      const released = await ctx.store.bindings.release(deviceId);
      await principals.announceRevoke({ deviceId });
      if (!released) throw new AppError('NOT_FOUND', 'No binding for this device_id');
      request.log.info({ device_id: deviceId }, 'station binding released');
      return { success: true as const, message: 'Binding released' };
    },
  );
};
