import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { DeviceKeyParams } from '../../../src-shared/api/devices.js';
import {
  DeviceResponse,
  HeartbeatHistoryResponse,
  TimelineQuery,
  TimelineResponse,
  UpdateDeviceBody,
  type InventoryDeviceDetail,
} from '../../../src-shared/api/inventory.js';
import type { ServerContext } from '../context.js';
import { isWithin } from '../devices/presence.js';
import { inventoryView } from '../devices/views.js';
import { AppError } from '../errors.js';
import type { DeviceRecord } from '../store/devices-repo.js';
import { hourOf } from '../store/hour-of.js';
import type { DevicesRuntime } from './devices.js';

const HOUR_MS = 3600_000;
const HOURS = 168;

/**
 * The device page's routes (seed 002 envelope): one device with its group and state transitions, the operator's
 * edits (note, group), its timeline and its heartbeats per hour for the last 7 days. Registered inside
 * devices-admin.ts, behind its admin gate.
 */
export const devicePageRoutes: FastifyPluginAsync<{ ctx: ServerContext; rt: DevicesRuntime }> = async (
  app,
  { ctx, rt },
) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = ctx.store.devices;
  const security = [{ apiKey: [] }];
  const tags = ['devices-admin'];

  const detail = async (d: DeviceRecord): Promise<InventoryDeviceDetail> => {
    const now = Date.now();
    const threshold = rt.policy.thresholdOf(d.group_id);
    const state =
      d.status === 'revoked'
        ? 'revoked'
        : d.status === 'pending'
          ? 'never'
          : isWithin(d.last_seen, threshold, now)
            ? 'online'
            : 'offline';
    const latest = await ctx.store.deviceEvents.latest(d.device_key, ['offline', 'online']);
    return {
      ...inventoryView({ ...d, state, group_name: rt.policy.nameOf(d.group_id) }, rt.policy, now),
      transitions: {
        created_at: d.created_at,
        registered_at: d.registered_at,
        revoked_at: d.revoked_at,
        went_offline_at: latest.offline ?? null,
        came_online_at: latest.online ?? null,
      },
      heartbeat_interval_sec: rt.policy.intervalOf(d.group_id),
      silence_threshold_sec: threshold,
    };
  };

  r.get(
    '/api/admin/devices/:key',
    {
      schema: {
        tags,
        summary: 'One device: identity, device info, group, state and the time of each transition',
        security,
        params: DeviceKeyParams,
        response: { 200: DeviceResponse },
      },
      config: { access: 'view' },
    },
    async (request) => {
      const d = await repo.get(request.params.key);
      if (!d) throw new AppError('DEVICE_NOT_FOUND');
      return { success: true as const, data: await detail(d) };
    },
  );

  r.put(
    '/api/admin/devices/:key',
    {
      schema: {
        tags,
        summary: "Edit a device's note and/or move it to another group",
        security,
        params: DeviceKeyParams,
        body: UpdateDeviceBody,
        response: { 200: DeviceResponse },
      },
      config: { access: 'operate' },
    },
    async (request) => {
      const { key } = request.params;
      const { note, group } = request.body;
      const before = await repo.get(key);
      if (!before) throw new AppError('DEVICE_NOT_FOUND');
      const after = await repo.edit(key, { note, group_id: group }, new Date().toISOString());
      if (after === 'no-group') throw new AppError('GROUP_NOT_FOUND');
      if (!after) throw new AppError('DEVICE_NOT_FOUND');
      // Its cached entry (with its group) is dropped on every instance: the next heartbeat gets the new interval.
      if (group !== undefined && group !== before.group_id) await rt.credentialsChanged(key);
      const details: Record<string, unknown> = {};
      if (note !== undefined) details.note = { from: before.note, to: note };
      if (group !== undefined) details.group = { from: before.group_id, to: group };
      await ctx.audit.record(request, { action: 'device.update', target: key, details });
      return { success: true as const, data: await detail(after) };
    },
  );

  r.get(
    '/api/admin/devices/:key/timeline',
    {
      schema: {
        tags,
        summary: 'What happened to the device, newest first (paged)',
        security,
        params: DeviceKeyParams,
        querystring: TimelineQuery,
        response: { 200: TimelineResponse },
      },
      config: { access: 'view' },
    },
    async (request) => {
      const { key } = request.params;
      const { page, limit } = request.query;
      if (!(await repo.get(key))) throw new AppError('DEVICE_NOT_FOUND');
      const { rows, total } = await ctx.store.deviceEvents.page(key, (page - 1) * limit, limit);
      return {
        success: true as const,
        data: {
          device_key: key,
          events: rows.map((e) => ({ at: e.at, type: e.type, ...(e.details ? { details: e.details } : {}) })),
          pagination: { page, limit, total, totalPages: Math.ceil(total / limit) },
        },
      };
    },
  );

  r.get(
    '/api/admin/devices/:key/heartbeats',
    {
      schema: {
        tags,
        summary: 'Heartbeats per hour for the last 7 days: 168 buckets, oldest first, the current hour last',
        security,
        params: DeviceKeyParams,
        response: { 200: HeartbeatHistoryResponse },
      },
      config: { access: 'view' },
    },
    async (request) => {
      const { key } = request.params;
      if (!(await repo.get(key))) throw new AppError('DEVICE_NOT_FOUND');
      const current = Date.parse(hourOf(new Date().toISOString()));
      const first = current - (HOURS - 1) * HOUR_MS;
      const counts = new Map<number, number>();
      for (const h of await repo.heartbeatHours(key, new Date(first).toISOString())) {
        counts.set(Date.parse(h.hour), Number(h.beats));
      }
      const buckets = Array.from({ length: HOURS }, (_, i) => {
        const t = first + i * HOUR_MS;
        return { hour: new Date(t).toISOString(), count: counts.get(t) ?? 0 };
      });
      return { success: true as const, data: { device_key: key, buckets } };
    },
  );
};
