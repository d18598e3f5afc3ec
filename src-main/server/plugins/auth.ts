import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  CreateUserRequest,
  LoginRequest,
  TokenResponse,
  UserResponse,
  type PublicUser,
} from '../../../src-shared/api/auth.js';
import type { JwtService } from '../auth/jwt.js';
import { requireJwt } from '../auth/jwt.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../auth/password.js';
import { ADMIN_SECURITY } from '../auth/admin-access.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import { rateLimitError } from '../rate-limiter.js';
import type { UserRecord } from '../store/users-repo.js';

export function publicUser(u: UserRecord): PublicUser {
  return { id: u.id, username: u.username, name: u.name, email: u.email, role: u.role };
}

/** Seed 001 login and refresh (JWT), and the admin route that creates users. */
export const authPlugin: FastifyPluginAsync<{ ctx: ServerContext; jwt: JwtService }> = async (
  app,
  { ctx, jwt },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Failed logins per username, on top of the per-IP route limit: guessing one account from many addresses
  // still stops after `loginMaxFailures` misses in 15 minutes.
  const failures = ctx.runtime.limiter('login-failures', {
    max: ctx.config.loginMaxFailures,
    windowMs: 15 * 60_000,
  });
  const perIp = { rateLimit: { max: ctx.config.rateLimitPerMin, timeWindow: 60_000 } };

  r.post(
    '/api/auth/login',
    {
      config: perIp,
      schema: { tags: ['auth'], body: LoginRequest, response: { 200: TokenResponse } },
    },
    async (request) => {
      const { username, password, device_id } = request.body;
      const key = username.toLowerCase();
      const gate = await failures.blocked(key);
      if (!gate.allowed) throw rateLimitError(gate.resetAt);
      const user = await ctx.store.users.findByUsername(username);
      // Unknown users cost one scrypt too, so timing does not tell which usernames exist.
      const ok = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
      if (!user || !ok) {
        await failures.hit(key);
        await ctx.audit.record(request, {
          action: 'login.failed',
          target: username,
          details: { reason: 'credentials' },
        });
        throw new AppError('INVALID_CREDENTIALS');
      }
      await failures.reset(key);
      // Only a caller who knows the password learns that the account is disabled.
      if (user.disabled) {
        await ctx.audit.record(request, {
          action: 'login.failed',
          target: username,
          details: { reason: 'disabled' },
        });
        throw new AppError('AUTH_FAILED', 'Account is disabled');
      }
      // The first account to log in with a device_id owns it; another account naming it is refused.
      if (device_id !== undefined) await jwt.principals.requireOwner(device_id, user.id);
      const { token, expiresAt } = await jwt.sign({
        userId: user.id,
        username: user.username,
        role: user.role,
        deviceId: device_id ?? null,
      });
      return { success: true as const, token, expires_at: expiresAt.toISOString(), user: publicUser(user) };
    },
  );

  r.post(
    '/api/auth/refresh',
    {
      config: perIp,
      preHandler: requireJwt(jwt),
      schema: {
        tags: ['auth'],
        security: [{ bearer: [] }],
        response: { 200: TokenResponse },
      },
    },
    async (request) => {
      const claims = request.claims!;
      const user = await ctx.store.users.findById(Number(claims.sub));
      if (!user || user.disabled) throw new AppError('INVALID_TOKEN', 'User no longer exists or is disabled');
      // The device stays the one the first login named; the role is re-read (it may have changed).
      const { token, expiresAt } = await jwt.sign({
        userId: user.id,
        username: user.username,
        role: user.role,
        deviceId: claims.device_id,
      });
      return { success: true as const, token, expires_at: expiresAt.toISOString(), user: publicUser(user) };
    },
  );

  r.post(
    '/api/admin/users',
    {
      // The key is checked before the body is parsed or validated: no field list for anonymous callers.
      onRequest: ctx.adminGuard,
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        body: CreateUserRequest,
        response: { 201: UserResponse },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const user = await ctx.store.users.create({
        username: b.username,
        password_hash: await hashPassword(b.password),
        role: b.role,
        name: b.name ?? null,
        email: b.email ?? null,
      });
      await ctx.audit.record(request, {
        action: 'user.create',
        target: user.username,
        details: { id: user.id, role: user.role },
      });
      return reply.code(201).send({ success: true as const, data: publicUser(user) });
    },
  );
};
