import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  BatchIdParams,
  BulkEnrollBody,
  BulkEnrollCsv,
  BulkEnrollResponse,
  BulkRevokeResponse,
  type BulkEnrolledDevice,
  type BulkKeysTakenDetails,
} from '../../../src-shared/api/inventory.js';
import { actorOf } from '../auth/admin-access.js';
import type { ServerContext } from '../context.js';
import { DEFAULT_BULK_PREFIX, bulkCsv, generatedKeys, repeatedKeys } from '../devices/bulk-keys.js';
import { newTokenCode, tokenHash } from '../devices/tokens.js';
import { AppError } from '../errors.js';

/** Tries for generated keys: another batch with the same prefix may take the same numbers first. */
const GENERATE_ATTEMPTS = 3;
/** Offending keys listed in a 409 at most (the count is always given). */
const TAKEN_LISTED = 1000;

const wantsCsv = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/csv');

function keysTaken(keys: string[]): AppError {
  const details: BulkKeysTakenDetails = { keys: keys.slice(0, TAKEN_LISTED), total: keys.length };
  return new AppError(
    'DEVICE_KEYS_TAKEN',
    `${keys.length} device key(s) already exist or repeat: nothing was created`,
    details,
  );
}

/**
 * Bulk enrollment: N pending devices with one-time tokens in one transaction (all or nothing), answered as JSON
 * or CSV. Tokens are shown once and only their hashes stored. A batch's unused tokens can be revoked together.
 */
export const devicesBulkPlugin: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', ctx.adminGuard);
  const security: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];
  const bulk = ctx.store.bulk;

  r.post(
    '/api/admin/devices/bulk',
    {
      schema: {
        tags: ['devices-admin'],
        summary: 'Create up to 10,000 devices with one-time tokens (shown once); CSV with Accept: text/csv',
        security,
        body: BulkEnrollBody,
        // The CSV form is a plain string sent as text/csv (Fastify does not run the JSON serializer on it).
        response: { 200: BulkEnrollResponse.or(BulkEnrollCsv) },
      },
      config: { access: 'operate' },
    },
    async (request, reply) => {
      const body = request.body;
      const ttlSec = body.token_ttl_sec ?? ctx.config.tokenTtlSec;
      const now = new Date();
      const created_at = now.toISOString();
      const token_expires_at = new Date(now.getTime() + ttlSec * 1000).toISOString();
      const batch_id = randomUUID();
      const prefix = body.prefix ?? DEFAULT_BULK_PREFIX;
      if (body.keys) {
        const repeated = repeatedKeys(body.keys);
        if (repeated.length > 0) throw keysTaken(repeated);
      }

      let devices: BulkEnrolledDevice[] = [];
      for (let attempt = 1; ; attempt++) {
        const keys = body.keys ?? generatedKeys(prefix, await bulk.highestSuffix(prefix), body.count ?? 0);
        devices = keys.map((device_key) => ({ device_key, token_code: newTokenCode(), token_expires_at }));
        const result = await bulk.createBatch({
          batch_id,
          created_at,
          token_expires_at,
          created_by: actorOf(request).name,
          group_id: body.group ?? null,
          devices: devices.map((d) => ({
            device_key: d.device_key,
            token_hash: tokenHash(d.device_key, d.token_code),
          })),
        });
        if (result.created) break;
        if (body.keys || attempt >= GENERATE_ATTEMPTS) throw keysTaken(result.taken);
      }

      await ctx.audit.record(request, {
        action: 'device.bulk_enroll',
        target: batch_id,
        details: {
          devices: devices.length,
          generated: !body.keys,
          ...(body.keys ? {} : { prefix }),
          group: body.group ?? null,
          token_ttl_sec: ttlSec,
          token_expires_at,
        },
      });
      if (wantsCsv(request)) {
        return reply
          .type('text/csv; charset=utf-8')
          .header('x-batch-id', batch_id)
          .header('content-disposition', `attachment; filename="enrollment-${batch_id}.csv"`)
          .send(bulkCsv(devices));
      }
      return { success: true as const, data: { batch_id, devices } };
    },
  );

  r.delete(
    '/api/admin/devices/bulk/:batch_id/tokens',
    {
      schema: {
        tags: ['devices-admin'],
        summary: "Revoke a batch's unused tokens (devices that registered are left as they are)",
        security,
        params: BatchIdParams,
        response: { 200: BulkRevokeResponse },
      },
      config: { access: 'operate' },
    },
    async (request) => {
      const { batch_id } = request.params;
      const result = await bulk.revokeUnused(batch_id, new Date().toISOString());
      if (!result) throw new AppError('BATCH_NOT_FOUND');
      await ctx.audit.record(request, {
        action: 'device.bulk_revoke_tokens',
        target: batch_id,
        details: { ...result },
      });
      return { success: true as const, data: { batch_id, ...result } };
    },
  );
};
