import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AlertListQuery, AlertListResponse } from '../../../src-shared/api/alerts.js';
import { alertView } from '../alerts/views.js';
import type { ServerContext } from '../context.js';

/** The fleet's alerts for the console and scripts (seed 002 pagination); viewers may read them. */
export const alertsPlugin: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/admin/alerts',
    {
      onRequest: ctx.adminGuard,
      config: { access: 'view' },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest activity first, filtered by state and type',
        security: [{ apiKey: [] }, { bearer: [] }],
        querystring: AlertListQuery,
        response: { 200: AlertListResponse },
      },
    },
    async (request) => {
      const { state, type, page, limit } = request.query;
      const { alerts, total } = await ctx.store.alerts.list({
        state,
        type,
        offset: (page - 1) * limit,
        limit,
      });
      return {
        success: true as const,
        data: {
          alerts: alerts.map(alertView),
          pagination: { page, limit, total, totalPages: Math.ceil(total / limit) },
        },
      };
    },
  );
};
