import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AdminCreateDeviceBody,
  AdminDeviceList,
  AdminRevokeResponse,
  AdminTokenResponse,
  DeviceKeyParams,
} from '../../../src-shared/api/devices.js';
import type { ServerContext } from '../context.js';
import { AppError } from '../errors.js';
import type { DevicesRuntime } from './devices.js';
import { newDeviceKey, newTokenCode, tokenHash } from '../devices/tokens.js';
import { adminView } from '../devices/views.js';

/**
 * Seed 004 administration (X-API-Key): enrol a device with a one-time token, list devices with presence, issue a
 * new token, revoke. The key is checked in onRequest, before the body is even validated, so an unauthenticated
 * caller learns nothing about the route's input rules.
 */
export const devicesAdminRoutes: FastifyPluginAsync<{ ctx: ServerContext; rt: DevicesRuntime }> = async (
  app,
  { ctx, rt },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = ctx.store.devices;
  app.addHook('onRequest', ctx.adminGuard);
  const config = { envelope: 'ok' as const };
  const security = [{ apiKey: [] }];

  const expiry = () => new Date(Date.now() + ctx.config.tokenTtlSec * 1000).toISOString();

  r.post(
    '/api/admin/devices',
    {
      schema: {
        tags: ['devices-admin'],
        summary: 'Create a device and its one-time registration token',
        security,
        body: AdminCreateDeviceBody,
        response: { 200: AdminTokenResponse },
      },
      config,
    },
    async (request) => {
      const body = request.body ?? {};
      const note = body.note ?? null;
      // A generated key can collide (32 bits); retry with a fresh one. A chosen key that exists is a 409.
      for (let attempt = 0; ; attempt++) {
        const device_key = body.device_key ?? newDeviceKey();
        const token_code = newTokenCode();
        const token_expires_at = expiry();
        try {
          await repo.create({
            device_key,
            note,
            token_hash: tokenHash(device_key, token_code),
            token_expires_at,
          });
        } catch (err) {
          if (err instanceof AppError && err.code === 'CONFLICT' && !body.device_key && attempt < 5) continue;
          throw err;
        }
        return { ok: true as const, device_key, token_code, token_expires_at };
      }
    },
  );

  r.get(
    '/api/admin/devices',
    {
      schema: {
        tags: ['devices-admin'],
        summary: 'All devices with status and presence',
        security,
        response: { 200: AdminDeviceList },
      },
      config,
    },
    async () => {
      const now = Date.now();
      const interval = ctx.config.heartbeatIntervalSec;
      const devices = (await repo.list()).map((d) => adminView(d, interval, now));
      return {
        ok: true as const,
        count: devices.length,
        online: devices.filter((d) => d.online).length,
        heartbeat_interval_sec: interval,
        devices,
      };
    },
  );

  r.post(
    '/api/admin/devices/:key/token',
    {
      schema: {
        tags: ['devices-admin'],
        summary: 'Issue a new one-time token (replaces any outstanding one; allows re-registration)',
        security,
        params: DeviceKeyParams,
        response: { 200: AdminTokenResponse },
      },
      config,
    },
    async (request) => {
      const { key } = request.params;
      const token_code = newTokenCode();
      const token_expires_at = expiry();
      if (!(await repo.issueToken(key, tokenHash(key, token_code), token_expires_at))) {
        throw new AppError('DEVICE_NOT_FOUND');
      }
      await rt.guard.resetDevice(key);
      await rt.credentialsChanged(key);
      return { ok: true as const, device_key: key, token_code, token_expires_at };
    },
  );

  r.delete(
    '/api/admin/devices/:key',
    {
      schema: {
        tags: ['devices-admin'],
        summary: 'Revoke a device: its secret and any outstanding token stop working',
        security,
        params: DeviceKeyParams,
        response: { 200: AdminRevokeResponse },
      },
      config,
    },
    async (request) => {
      const { key } = request.params;
      const revokedAt = new Date().toISOString();
      if (!(await repo.revoke(key, revokedAt))) throw new AppError('DEVICE_NOT_FOUND');
      await rt.credentialsChanged(key);
      await ctx.events.emit('device.revoked', { device_key: key, revoked_at: revokedAt });
      return { ok: true as const, message: 'Device revoked', device_key: key };
    },
  );
};
