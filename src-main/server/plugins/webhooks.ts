import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  CreateWebhookBody,
  DeliveryListQuery,
  DeliveryListResponse,
  WebhookCreatedResponse,
  WebhookDeletedResponse,
  WebhookIdParams,
  WebhookListResponse,
  WebhookTestResponse,
  type Webhook,
} from '../../../src-shared/api/webhooks.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import type { WebhookRecord } from '../store/webhooks-repo.js';
import { safeUrl } from '../webhooks/dispatcher.js';
import { webhookEvent } from '../webhooks/events.js';
import { BlockedTargetError, checkLiteralHost } from '../webhooks/target-guard.js';

function webhookView(w: WebhookRecord): Webhook {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    enabled: w.enabled,
    created_at: w.created_at,
    disabled_at: w.disabled_at,
    consecutive_failures: w.consecutive_failures,
  };
}

/**
 * Webhook endpoints (admin only: a URL the server will call and a signing secret). The secret is answered once,
 * at creation, and kept encrypted; the delivery log shows what each attempt got back.
 */
export const webhooksPlugin: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = ctx.store.webhooks;
  const base = {
    onRequest: ctx.adminGuard,
    config: { access: 'admin' as const },
  };
  const tags = ['webhooks'];
  const security: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }];
  const iso = () => new Date(ctx.events.now()).toISOString();
  const found = async (id: string) => {
    const w = await repo.get(id);
    if (!w) throw new AppError('NOT_FOUND', 'Webhook not found');
    return w;
  };

  r.post(
    '/api/admin/webhooks',
    {
      ...base,
      schema: {
        tags,
        security,
        summary: 'Add an endpoint; the signing secret is shown once',
        body: CreateWebhookBody,
        response: { 201: WebhookCreatedResponse },
      },
    },
    async (request, reply) => {
      const { url, events } = request.body;
      try {
        checkLiteralHost(new URL(url).hostname, ctx.config.webhooks.allowPrivate);
      } catch (err) {
        if (err instanceof BlockedTargetError) {
          throw new AppError('VALIDATION_ERROR', err.message, [{ field: 'url', message: err.message }]);
        }
        throw err;
      }
      const secret = `whsec_${randomBytes(32).toString('base64url')}`;
      const w = await repo.create({
        id: randomUUID(),
        url,
        events,
        secret_enc: ctx.events.box.seal(secret),
        now: iso(),
      });
      await ctx.audit.record(request, {
        action: 'webhook.create',
        target: w.id,
        details: { url: safeUrl(url), events },
      });
      return reply.code(201).send({ success: true as const, data: { ...webhookView(w), secret } });
    },
  );

  r.get(
    '/api/admin/webhooks',
    {
      ...base,
      schema: {
        tags,
        security,
        summary: 'Endpoints (never their secrets)',
        response: { 200: WebhookListResponse },
      },
    },
    async () => ({ success: true as const, data: (await repo.list()).map(webhookView) }),
  );

  r.delete(
    '/api/admin/webhooks/:id',
    {
      ...base,
      schema: {
        tags,
        security,
        summary: 'Remove an endpoint and its delivery log',
        params: WebhookIdParams,
        response: { 200: WebhookDeletedResponse },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await repo.delete(id))) throw new AppError('NOT_FOUND', 'Webhook not found');
      await ctx.audit.record(request, { action: 'webhook.delete', target: id });
      return { success: true as const, data: { id } };
    },
  );

  r.post(
    '/api/admin/webhooks/:id/test',
    {
      ...base,
      schema: {
        tags,
        security,
        summary: 'Queue a `test` event for this endpoint',
        params: WebhookIdParams,
        response: { 200: WebhookTestResponse },
      },
    },
    async (request) => {
      const w = await found(request.params.id);
      const e = webhookEvent(
        'test',
        { webhook_id: w.id, message: 'Test event from Outpost' },
        ctx.events.now(),
      );
      const deliveryId = await repo.enqueueFor(w.id, e, iso());
      if (deliveryId === undefined) throw new AppError('NOT_FOUND', 'Webhook not found');
      await ctx.audit.record(request, { action: 'webhook.test', target: w.id, details: { event_id: e.id } });
      return { success: true as const, data: { event_id: e.id, delivery_id: deliveryId } };
    },
  );

  r.get(
    '/api/admin/webhooks/:id/deliveries',
    {
      ...base,
      schema: {
        tags,
        security,
        summary: 'Delivery log, newest first',
        params: WebhookIdParams,
        querystring: DeliveryListQuery,
        response: { 200: DeliveryListResponse },
      },
    },
    async (request) => {
      const w = await found(request.params.id);
      const { page, limit } = request.query;
      const { deliveries, total } = await repo.deliveries(w.id, (page - 1) * limit, limit);
      return {
        success: true as const,
        data: {
          deliveries: deliveries.map(({ webhook_id: _w, ...d }) => d),
          pagination: { page, limit, total, totalPages: Math.ceil(total / limit) },
        },
      };
    },
  );
};
