import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  SystemListQuery,
  SystemListResponse,
  SystemReportRequest,
  SystemReportResponse,
} from '../../../src-shared/api/licenses.js';
import { ADMIN_SECURITY } from '../auth/admin-access.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import { systemView } from '../licensing/view.js';

/**
 * Seed 002 systems. Listing needs X-API-Key (it exposes license keys and user emails); reporting is public but
 * only a fingerprint activated on that license may report on it, and it is rate limited per IP.
 */
export const systemsPlugin: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const nowIso = () => new Date().toISOString();

  r.get(
    '/api/systems',
    {
      onRequest: ctx.adminGuard,
      config: { access: 'view' },
      schema: {
        tags: ['systems'],
        security: ADMIN_SECURITY,
        querystring: SystemListQuery,
        response: { 200: SystemListResponse },
      },
    },
    async (request) => {
      const now = nowIso();
      const rows = await ctx.store.systems.list(request.query);
      return { success: true as const, data: rows.map((s) => systemView(s, now)) };
    },
  );

  r.post(
    '/api/systems',
    {
      config: { rateLimit: { max: ctx.config.rateLimitPerMin, timeWindow: 60_000 } },
      schema: { tags: ['systems'], body: SystemReportRequest, response: { 200: SystemReportResponse } },
    },
    async (request) => {
      const now = nowIso();
      const out = await ctx.store.systems.report({ id: randomUUID(), ...request.body, now });
      if (out.kind === 'not_found') throw new AppError('NOT_FOUND', 'License not found');
      if (out.kind === 'forbidden') {
        throw new AppError('FORBIDDEN', 'This machine is not activated on the license');
      }
      return {
        success: true as const,
        data: systemView(out.system, now),
        message: 'System information updated',
      };
    },
  );
};
