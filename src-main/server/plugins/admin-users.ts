import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AdminDoneResponse,
  AdminUserListResponse,
  AdminUserResponse,
  EditUserRequest,
  StationBindingListResponse,
  StationBindingParams,
  UpdateUserRequest,
  UserIdParams,
  type AdminUser,
} from '../../../src-shared/api/auth.js';
import { hashPassword } from '../auth/password.js';
import type { PrincipalGate } from '../auth/principal-gate.js';
import { ADMIN_SECURITY } from '../auth/admin-access.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import type { UserChange, UserRecord } from '../store/users-repo.js';

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
 * Admin: list, change (role, disabled, password), disable and delete users, and see or release station bindings
 * (creating one is in auth.ts). Listing is `view`; every change is `admin`. Every change invalidates the
 * principal gate at once on every instance, so a disabled or demoted user's next request is already judged by
 * its new state, and its open sockets (or the released device's) are closed.
 */
export const adminUsersPlugin: FastifyPluginAsync<{ ctx: ServerContext; principals: PrincipalGate }> = async (
  app,
  { ctx, principals },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // The key is checked before the body is parsed or validated: no field list for anonymous callers.
  app.addHook('onRequest', ctx.adminGuard);
  const tags = ['admin'];
  const security = ADMIN_SECURITY;
  const view = { access: 'view' as const };
  const admin = { access: 'admin' as const };

  r.get(
    '/api/admin/users',
    { config: view, schema: { tags, security, response: { 200: AdminUserListResponse } } },
    async () => ({ success: true as const, data: (await ctx.store.users.list()).map(adminUser) }),
  );

  r.put(
    '/api/admin/users/:id',
    {
      config: admin,
      schema: {
        tags,
        security,
        params: UserIdParams,
        body: EditUserRequest,
        response: { 200: AdminUserResponse },
      },
    },
    async (request) => {
      const { id } = request.params;
      const b = request.body;
      const change: UserChange = { role: b.role, disabled: b.disabled };
      if (b.password !== undefined) change.password_hash = await hashPassword(b.password);
      const user = await ctx.store.users.update(id, change);
      // A disabled or demoted user's sockets end everywhere; anything else is re-read on next use.
      if (b.disabled === true || b.role !== undefined) await principals.announceRevoke({ userId: id });
      else await principals.announceUserChanged(id);
      if (!user) throw new AppError('NOT_FOUND', 'User not found');
      await ctx.audit.record(request, {
        action: 'user.update',
        target: user.username,
        details: {
          id,
          ...(b.role !== undefined ? { role: b.role } : {}),
          ...(b.disabled !== undefined ? { disabled: b.disabled } : {}),
          ...(b.password !== undefined ? { password_changed: true } : {}),
        },
      });
      return { success: true as const, data: adminUser(user) };
    },
  );

  r.patch(
    '/api/admin/users/:id',
    {
      config: admin,
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
      await ctx.audit.record(request, {
        action: 'user.update',
        target: user.username,
        details: { id, disabled: user.disabled },
      });
      return { success: true as const, data: adminUser(user) };
    },
  );

  r.delete(
    '/api/admin/users/:id',
    { config: admin, schema: { tags, security, params: UserIdParams, response: { 200: AdminDoneResponse } } },
    async (request) => {
      const { id } = request.params;
      const removed = await ctx.store.users.remove(id);
      await principals.announceRevoke({ userId: id });
      if (!removed) throw new AppError('NOT_FOUND', 'User not found');
      await ctx.audit.record(request, { action: 'user.delete', target: String(id), details: { id } });
      return { success: true as const, message: 'User deleted' };
    },
  );

  r.get(
    '/api/admin/station-bindings',
    { config: view, schema: { tags, security, response: { 200: StationBindingListResponse } } },
    async () => ({ success: true as const, data: await ctx.store.bindings.list() }),
  );

  r.delete(
    '/api/admin/station-bindings/:device_id',
    {
      config: admin,
      schema: { tags, security, params: StationBindingParams, response: { 200: AdminDoneResponse } },
    },
    async (request) => {
      const { device_id: deviceId } = request.params;
      const released = await ctx.store.bindings.release(deviceId);
      await principals.announceRevoke({ deviceId });
      if (!released) throw new AppError('NOT_FOUND', 'No binding for this device_id');
      await ctx.audit.record(request, { action: 'station-binding.release', target: deviceId });
      return { success: true as const, message: 'Binding released' };
    },
  );
};
