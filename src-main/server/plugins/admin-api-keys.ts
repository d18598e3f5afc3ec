import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AdminDoneResponse,
  ApiKeyIdParams,
  ApiKeyListResponse,
  CreateApiKeyRequest,
  CreatedApiKeyResponse,
  type ApiKeyView,
} from '../../../src-shared/api/auth.js';
import { ADMIN_SECURITY, actorOf } from '../auth/admin-access.js';
import type { NamedKeys } from '../auth/named-keys.js';
import { randomSecret, sha256Hex } from '../auth/secret-hash.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import type { ApiKeyRecord } from '../store/api-keys-repo.js';

const view = (k: ApiKeyRecord): ApiKeyView => ({
  id: k.id,
  name: k.name,
  role: k.role,
  created_at: k.created_at,
  last_used_at: k.last_used_at,
  created_by: k.created_by,
});

/**
 * Named admin API keys (admin only): created with a role and shown once (only the SHA-256 digest is kept),
 * listed with their last use, and revoked, which every instance refuses at once. The environment's keys are not
 * listed here: they live in the environment or the data dir, and keep working.
 */
export const adminApiKeysPlugin: FastifyPluginAsync<{ ctx: ServerContext; namedKeys: NamedKeys }> = async (
  app,
  { ctx, namedKeys },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['admin'];
  const security = ADMIN_SECURITY;
  const admin = { onRequest: ctx.adminGuard, config: { access: 'admin' as const } };

  r.post(
    '/api/admin/api-keys',
    {
      ...admin,
      schema: { tags, security, body: CreateApiKeyRequest, response: { 201: CreatedApiKeyResponse } },
    },
    async (request, reply) => {
      const key = `opk_${randomSecret(32)}`;
      const rec = await ctx.store.apiKeys.create({
        name: request.body.name,
        role: request.body.role,
        key_digest: sha256Hex(key),
        created_by: actorOf(request).name,
        now: new Date().toISOString(),
      });
      await namedKeys.announceCreated();
      await ctx.audit.record(request, {
        action: 'api-key.create',
        target: rec.name,
        details: { id: rec.id, role: rec.role },
      });
      return reply
        .code(201)
        .send({ success: true as const, data: { id: rec.id, name: rec.name, role: rec.role, key } });
    },
  );

  r.get(
    '/api/admin/api-keys',
    { ...admin, schema: { tags, security, response: { 200: ApiKeyListResponse } } },
    async () => ({ success: true as const, data: (await ctx.store.apiKeys.list()).map(view) }),
  );

  r.delete(
    '/api/admin/api-keys/:id',
    { ...admin, schema: { tags, security, params: ApiKeyIdParams, response: { 200: AdminDoneResponse } } },
    async (request) => {
      const { id } = request.params;
      const removed = await ctx.store.apiKeys.remove(id);
      // Announced even when nothing was removed here: a racing delete on another instance may have won.
      await namedKeys.announceRevoked(id);
      if (!removed) throw new AppError('NOT_FOUND', 'API key not found');
      await ctx.audit.record(request, {
        action: 'api-key.revoke',
        target: removed.name,
        details: { id, role: removed.role },
      });
      return { success: true as const, message: 'API key revoked' };
    },
  );
};
