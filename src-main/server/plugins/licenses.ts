import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  ActivateRequest,
  ActivateResponse,
  DeactivateRequest,
  DeactivateResponse,
  DeleteResponse,
  GenerateRequest,
  GenerateResponse,
  LicenseIdParams,
  LicenseListQuery,
  LicenseListResponse,
  LicenseResponse,
  PublicKeyResponse,
  UpdateRequest,
} from '../../../src-shared/api/licenses.js';
import type { ServerContext } from '../context.js';
import type { RealtimeHub } from '../realtime/hub.js';
import { AppError } from '../errors.js';
import { generateLicenseKey } from '../licensing/license-key.js';
import { LicenseLimits } from '../licensing/limits.js';
import { LicenseSigner } from '../licensing/signing-key.js';
import { licenseView } from '../licensing/view.js';

const TAGS = ['licenses'];
const ADMIN = [{ apiKey: [] }];

/**
 * Seed 002 license routes. Decision beyond the seed: listing and reading licenses need X-API-Key too (the seed
 * leaves them public "consider protecting in production"; a public list hands out every license key). Activation,
 * deactivation and the public key stay public, rate limited per IP with unknown keys weighted (brute force).
 */
export const licensesPlugin: FastifyPluginAsync<{ ctx: ServerContext; hub?: RealtimeHub }> = async (
  app,
  { ctx, hub },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store } = ctx;
  const signer = LicenseSigner.fromPem(ctx.runtime.keys.licenseSigningKeyPem);
  const limits = new LicenseLimits(ctx.runtime, ctx.config.rateLimitPerMin);
  const perIp = { rateLimit: { max: ctx.config.rateLimitPerMin, timeWindow: 60_000 } };
  const nowIso = () => new Date().toISOString();
  // Licenses are bound to machine fingerprints, not to device ids, so the change goes to every signed-in socket
  // with the license id only (no key): the agent holding that license re-validates at once instead of at its
  // hourly check, the others ignore it.
  const announce = (licenseId: string, status: string) =>
    hub?.publish({ kind: 'authenticated' }, 'license_updated', { license_id: licenseId, status });

  r.get(
    '/api/licenses',
    {
      onRequest: ctx.adminGuard,
      config: { access: 'view' },
      schema: {
        tags: TAGS,
        security: ADMIN,
        querystring: LicenseListQuery,
        response: { 200: LicenseListResponse },
      },
    },
    async (request) => {
      const q = request.query;
      const now = nowIso();
      const { rows, total } = await store.licenses.list({
        limit: q.limit,
        offset: (q.page - 1) * q.limit,
        sort: q.sort,
        order: q.order,
        status: q.status,
        user_id: q.user_id,
        search: q.search || undefined,
        now,
      });
      return {
        success: true as const,
        data: {
          licenses: rows.map((row) => licenseView(row, now)),
          pagination: { page: q.page, limit: q.limit, total, totalPages: Math.ceil(total / q.limit) },
        },
      };
    },
  );

  // Registered before /:id so the static segment is never read as an id.
  r.get(
    '/api/licenses/public-key',
    { schema: { tags: TAGS, response: { 200: PublicKeyResponse } } },
    async () => ({ success: true as const, data: signer.publicKeyData() }),
  );

  r.get(
    '/api/licenses/:id',
    {
      onRequest: ctx.adminGuard,
      config: { access: 'view' },
      schema: { tags: TAGS, security: ADMIN, params: LicenseIdParams, response: { 200: LicenseResponse } },
    },
    async (request) => {
      const lic = await store.licenses.findById(request.params.id);
      if (!lic) throw new AppError('NOT_FOUND', 'License not found');
      return { success: true as const, data: licenseView(lic, nowIso()) };
    },
  );

  r.post(
    '/api/licenses/generate',
    {
      onRequest: ctx.adminGuard,
      config: { access: 'admin' },
      schema: { tags: TAGS, security: ADMIN, body: GenerateRequest, response: { 201: GenerateResponse } },
    },
    async (request, reply) => {
      const b = request.body;
      // 59 random bits make a collision vanishingly rare; the UNIQUE constraint still decides, so retry on one.
      for (let attempt = 0; ; attempt++) {
        try {
          const lic = await store.licenses.create({
            id: randomUUID(),
            license_key: generateLicenseKey(ctx.config.licensePrefix),
            duration_days: b.duration_days,
            max_machines: b.max_machines,
            description: b.description ?? null,
            now: nowIso(),
          });
          await ctx.audit.record(request, {
            action: 'license.generate',
            target: lic.id,
            details: { duration_days: lic.duration_days, max_machines: lic.max_machines },
          });
          return reply.code(201).send({
            success: true as const,
            data: {
              id: lic.id,
              license_key: lic.license_key,
              duration_days: lic.duration_days,
              max_machines: lic.max_machines,
              description: lic.description,
              status: lic.status,
              created_at: lic.created_at,
            },
            message: 'License generated successfully',
          });
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'CONFLICT') || attempt >= 4) throw err;
        }
      }
    },
  );

  r.post(
    '/api/licenses/activate',
    { config: perIp, schema: { tags: TAGS, body: ActivateRequest, response: { 200: ActivateResponse } } },
    async (request) => {
      await limits.checkIp(request);
      const b = request.body;
      const now = nowIso();
      const out = await store.licenses.activate({
        license_key: b.license_key,
        email: b.user_email,
        name: b.user_name,
        fingerprint: b.system_fingerprint,
        now,
      });
      await limits.countAttempt(request, out.kind === 'not_found');
      switch (out.kind) {
        case 'not_found':
          throw new AppError('NOT_FOUND', 'License not found');
        case 'revoked':
          throw new AppError('LICENSE_REVOKED');
        case 'expired':
          throw new AppError('LICENSE_EXPIRED');
        case 'in_use':
          throw new AppError('LICENSE_IN_USE', undefined, {
            max_machines: out.license.max_machines,
            machines: out.license.machines,
          });
        case 'ok':
          break;
      }
      const lic = out.license;
      const expiresAt = lic.expires_at as string;
      const certificate = await signer.sign({
        v: 1,
        license_id: lic.id,
        license_key: lic.license_key,
        fingerprint: b.system_fingerprint,
        status: 'active',
        expires_at: expiresAt,
        issued_at: now,
      });
      return {
        success: true as const,
        data: {
          license_id: lic.id,
          license_key: lic.license_key,
          user_email: b.user_email,
          duration_days: lic.duration_days,
          activated_at: lic.activated_at as string,
          expires_at: expiresAt,
          status: 'active' as const,
          max_machines: lic.max_machines,
          machines: lic.machines,
          certificate,
        },
        message: out.newSeat ? 'License activated successfully' : 'License already activated on this machine',
      };
    },
  );

  r.post(
    '/api/licenses/deactivate',
    { config: perIp, schema: { tags: TAGS, body: DeactivateRequest, response: { 200: DeactivateResponse } } },
    async (request) => {
      await limits.checkIp(request);
      const b = request.body;
      await limits.checkDeactivation(b.license_key);
      const out = await store.licenses.deactivate(b.license_key, b.system_fingerprint, nowIso());
      await limits.countAttempt(request, out.kind === 'not_found');
      if (out.kind === 'not_found') throw new AppError('NOT_FOUND', 'License not found');
      if (out.kind === 'not_activated') {
        throw new AppError('NOT_FOUND', 'This machine is not activated on the license');
      }
      return {
        success: true as const,
        data: {
          license_id: out.license.id,
          license_key: out.license.license_key,
          machines: out.license.machines,
        },
        message: 'License deactivated on this machine',
      };
    },
  );

  r.put(
    '/api/licenses/:id',
    {
      onRequest: ctx.adminGuard,
      config: { access: 'admin' },
      schema: {
        tags: TAGS,
        security: ADMIN,
        params: LicenseIdParams,
        body: UpdateRequest,
        response: { 200: LicenseResponse },
      },
    },
    async (request) => {
      const now = nowIso();
      const lic = await store.licenses.update(request.params.id, request.body, now);
      if (!lic) throw new AppError('NOT_FOUND', 'License not found');
      announce(lic.id, lic.status);
      const action = request.body.status === 'revoked' ? 'license.revoke' : 'license.update';
      await ctx.audit.record(request, { action, target: lic.id, details: { ...request.body } });
      return { success: true as const, data: licenseView(lic, now), message: 'License updated successfully' };
    },
  );

  r.delete(
    '/api/licenses/:id',
    {
      onRequest: ctx.adminGuard,
      config: { access: 'admin' },
      schema: { tags: TAGS, security: ADMIN, params: LicenseIdParams, response: { 200: DeleteResponse } },
    },
    async (request) => {
      if (!(await store.licenses.delete(request.params.id)))
        throw new AppError('NOT_FOUND', 'License not found');
      announce(request.params.id, 'deleted');
      await ctx.audit.record(request, { action: 'license.delete', target: request.params.id });
      return {
        success: true as const,
        data: { id: request.params.id },
        message: 'License deleted successfully',
      };
    },
  );
};
