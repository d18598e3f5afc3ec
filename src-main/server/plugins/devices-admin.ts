import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AdminCreateDeviceBody,
  AdminRevokeResponse,
  AdminTokenResponse,
  DeviceKeyParams,
} from '../../../src-shared/api/devices.js';
import {
  DeviceListQuery,
  DeviceListResponse,
  MoveDevicesBody,
  MoveDevicesResponse,
} from '../../../src-shared/api/inventory.js';
import type { ServerContext } from '../context.js';
import { deviceCsvStream } from '../devices/csv-export.js';
import { GROUPS_MOVED } from '../devices/group-policy.js';
import { newDeviceKey, newTokenCode, tokenHash } from '../devices/tokens.js';
import { inventoryView } from '../devices/views.js';
import { AppError } from '../errors.js';
import { devicePageRoutes } from './device-page.js';
import type { DevicesRuntime } from './devices.js';

/**
 * Seed 004 administration: enrol a device with a one-time token, issue a new token, revoke (seed 004's `ok`
 * envelope), plus the fleet inventory (seed 002's envelope): the paged, searchable list and its CSV export, and
 * bulk moves between groups. Reads need `view`, changes `operate`; every change goes to the audit trail. The
 * caller is checked in onRequest, before the body is even validated, so an unauthenticated caller learns nothing
 * about a route's input rules.
 */
export const devicesAdminRoutes: FastifyPluginAsync<{ ctx: ServerContext; rt: DevicesRuntime }> = async (
  app,
  { ctx, rt },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = ctx.store.devices;
  app.addHook('onRequest', ctx.adminGuard);
  const seed004 = { envelope: 'ok' as const, access: 'operate' as const };
  const security = [{ apiKey: [] }];
  const tags = ['devices-admin'];

  const expiry = () => new Date(Date.now() + ctx.config.tokenTtlSec * 1000).toISOString();
  const presence = () => ({ now: Date.now(), defaultThresholdSec: rt.policy.defaultThresholdSec });

  r.post(
    '/api/admin/devices',
    {
      schema: {
        tags,
        summary: 'Create a device and its one-time registration token',
        security,
        body: AdminCreateDeviceBody,
        response: { 200: AdminTokenResponse },
      },
      config: seed004,
    },
    async (request) => {
      const body = request.body ?? {};
      const note = body.note ?? null;
      // A generated key can collide (32 bits); retry with a fresh one. A chosen key that exists is a 409.
      for (let attempt = 0; ; attempt++) {
        const device_key = body.device_key ?? newDeviceKey();
        const token_code = newTokenCode();
        const token_expires_at = expiry();
        let created;
        try {
          created = await repo.create({
            device_key,
            note,
            token_hash: tokenHash(device_key, token_code),
            token_expires_at,
          });
        } catch (err) {
          if (err instanceof AppError && err.code === 'CONFLICT' && !body.device_key && attempt < 5) continue;
          throw err;
        }
        await ctx.store.deviceEvents.append([
          { device_key, type: 'created', at: created.created_at },
          {
            device_key,
            type: 'token_issued',
            at: created.created_at,
            details: { expires_at: token_expires_at },
          },
        ]);
        await ctx.audit.record(request, { action: 'device.create', target: device_key, details: { note } });
        return { ok: true as const, device_key, token_code, token_expires_at };
      }
    },
  );

  r.get(
    '/api/admin/devices',
    {
      schema: {
        tags,
        summary:
          'The device inventory: search, filter, sort, page; `Accept: text/csv` exports the filter as CSV',
        description:
          'search matches device key, note, IP addresses, MAC and hostname as literal text, case-insensitive. ' +
          "state uses each device's own group's silence threshold. With `Accept: text/csv` every matching device " +
          'is streamed (page and limit are ignored).',
        security,
        querystring: DeviceListQuery,
        response: { 200: DeviceListResponse },
      },
      config: { access: 'view' },
    },
    async (request, reply) => {
      const q = request.query;
      const filter = { search: q.search || undefined, state: q.state, group: q.group };
      const policy = presence();
      if (/\btext\/csv\b/i.test(request.headers.accept ?? '')) {
        await ctx.audit.record(request, { action: 'device.export', target: null, details: { ...filter } });
        const day = new Date(policy.now).toISOString().slice(0, 10);
        return (
          reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="devices-${day}.csv"`)
            // A stream bypasses the JSON serializer (Fastify pipes it); the route's type only knows the JSON answer.
            .send(deviceCsvStream(repo, filter, policy) as unknown as DeviceListResponse)
        );
      }
      const { rows, total } = await repo.listPage(
        { ...filter, sort: q.sort, order: q.order, offset: (q.page - 1) * q.limit, limit: q.limit },
        policy,
      );
      return {
        success: true as const,
        data: {
          devices: rows.map((d) => inventoryView(d, rt.policy, policy.now)),
          pagination: { page: q.page, limit: q.limit, total, totalPages: Math.ceil(total / q.limit) },
        },
      };
    },
  );

  r.post(
    '/api/admin/devices/move',
    {
      schema: {
        tags,
        summary: 'Move the selected devices, or every device matching a list filter, to a group',
        security,
        body: MoveDevicesBody,
        response: { 200: MoveDevicesResponse },
      },
      config: { access: 'operate' },
    },
    async (request) => {
      const { group, device_keys, filter } = request.body;
      if ((device_keys === undefined) === (filter === undefined)) {
        throw new AppError('VALIDATION_ERROR', 'Give either device_keys or filter', [
          { field: 'body', message: 'give either device_keys or filter' },
        ]);
      }
      const sel = device_keys
        ? { keys: device_keys }
        : { filter: { search: filter!.search || undefined, state: filter!.state, group: filter!.group } };
      const moved = await repo.move(group, sel, presence(), new Date().toISOString());
      if (moved === 'no-group') throw new AppError('GROUP_NOT_FOUND');
      // Every instance re-reads which group its cached devices are in (their next heartbeat's interval).
      if (moved > 0) await ctx.runtime.authEvents.announce(GROUPS_MOVED);
      await ctx.audit.record(request, {
        action: 'device.move',
        target: String(group),
        details: { moved, ...(device_keys ? { device_keys: device_keys.length } : { filter: sel.filter }) },
      });
      return { success: true as const, data: { moved } };
    },
  );

  r.post(
    '/api/admin/devices/:key/token',
    {
      schema: {
        tags,
        summary: 'Issue a new one-time token (replaces any outstanding one; allows re-registration)',
        security,
        params: DeviceKeyParams,
        response: { 200: AdminTokenResponse },
      },
      config: seed004,
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
      rt.recordEvents([
        {
          device_key: key,
          type: 'token_issued',
          at: new Date().toISOString(),
          details: { expires_at: token_expires_at },
        },
      ]);
      await ctx.audit.record(request, { action: 'device.token', target: key });
      return { ok: true as const, device_key: key, token_code, token_expires_at };
    },
  );

  r.delete(
    '/api/admin/devices/:key',
    {
      schema: {
        tags,
        summary: 'Revoke a device: its secret and any outstanding token stop working',
        security,
        params: DeviceKeyParams,
        response: { 200: AdminRevokeResponse },
      },
      config: seed004,
    },
    async (request) => {
      const { key } = request.params;
      const at = new Date().toISOString();
      if (!(await repo.revoke(key, at))) throw new AppError('DEVICE_NOT_FOUND');
      await rt.credentialsChanged(key);
      rt.recordEvents([{ device_key: key, type: 'revoked', at }]);
      await ctx.audit.record(request, { action: 'device.revoke', target: key });
      return { ok: true as const, message: 'Device revoked', device_key: key };
    },
  );

  await app.register(devicePageRoutes, { ctx, rt });
};
