import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  DeviceDetailsResponse,
  DeviceKeyParams,
  HeartbeatBody,
  HeartbeatResponse,
  RegisterBody,
  RegisterResponse,
  SshKeyBody,
  SshKeyResponse,
} from '../../../src-shared/api/devices.js';
import { randomSecret, sha256Hex } from '../auth/secret-hash.js';
import type { ServerContext } from '../context.js';
import { DeviceAuthCache } from '../devices/auth-cache.js';
import { installHeartbeatFastPath } from '../devices/fast-path.js';
import { GroupPolicy } from '../devices/group-policy.js';
import { DeviceGate } from '../devices/heartbeat.js';
import type { NewDeviceEvent } from '../store/device-events-repo.js';
import { RegistrationGuard } from '../devices/registration-guard.js';
import { hostKeyLine } from '../devices/ssh-host-key.js';
import { SshKeyError, parseSshPublicKey } from '../devices/ssh-keys.js';
import { tokenHash } from '../devices/tokens.js';
import { deviceView } from '../devices/views.js';
import { AppError } from '../errors.js';
import { rateLimitError } from '../rate-limiter.js';
import { devicesAdminRoutes } from './devices-admin.js';
import { groupsRoutes } from './groups.js';

/** State shared by the device and admin routes of one server. */
export interface DevicesRuntime {
  cache: DeviceAuthCache;
  guard: RegistrationGuard;
  hostKey: string;
  /** After a committed credential change: every instance drops its cached entry for the device. */
  credentialsChanged(deviceKey: string): Promise<void>;
  /** Every group's heartbeat policy, per instance, reloaded on the fleet's group announcements. */
  policy: GroupPolicy;
  /** Appends timeline entries after the change they describe; a failure is logged, never the request's. */
  recordEvents(events: NewDeviceEvent[]): void;
}

/** JSON.stringify without per-response zod validation: the heartbeat is the hot path (≥17k/s). */
const plainJson = () => (data: unknown) => JSON.stringify(data);

/**
 * Seed 004, device side: registration with a one-time token, bearer-authenticated heartbeats, device details, SSH
 * keys; plus the admin routes (devices-admin.ts). Heartbeats skip the per-IP limit (many devices share a NAT) and
 * any per-request database access: the secret check hits an in-memory cache and the write goes to the store's
 * write-behind buffer.
 */
export const devicesPlugin: FastifyPluginAsync<{ ctx: ServerContext }> = async (app, { ctx }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = ctx.store.devices;
  const rt: DevicesRuntime = {
    // The TTL must outlive a heartbeat interval, or a fleet beating every 60 s would miss the cache every time.
    cache: new DeviceAuthCache(repo, Math.max(10 * 60_000, 3 * ctx.config.heartbeatIntervalSec * 1000)),
    guard: RegistrationGuard.forRuntime(ctx.runtime),
    hostKey: hostKeyLine(ctx.runtime.keys.sshHostKeyPem),
    credentialsChanged: (deviceKey) => ctx.runtime.authEvents.announce(deviceKey),
    policy: new GroupPolicy(ctx.store.groups, ctx.config.heartbeatIntervalSec, 60_000, (err) =>
      app.log.warn({ err }, 'device groups: reload failed'),
    ),
    recordEvents: (events) => {
      ctx.store.deviceEvents.append(events).catch((err: unknown) => {
        app.log.warn({ err }, 'device timeline: append failed');
      });
    },
  };
  await rt.policy.reload();
  app.addHook('onClose', async () => rt.policy.stop());
  rt.policy.follow(ctx.runtime.authEvents, () => rt.cache.clear());
  // Changes made by any instance (this one included) reach the cache through the runtime's bus.
  // The bus also carries user and station-binding changes ('principal:…', never a device key: no ':' in those).
  ctx.runtime.authEvents.subscribe((deviceKey) => {
    if (!deviceKey.includes(':')) rt.cache.invalidate(deviceKey);
  });
  const security = [{ bearer: [] }];

  const gate = new DeviceGate(rt.cache, repo, ctx.metrics, rt.policy, rt.recordEvents);
  const authenticate = (request: FastifyRequest, deviceKey: string) =>
    gate.authenticate(deviceKey, request.headers.authorization);
  // Real HTTP heartbeats are answered before Fastify sees them (see fast-path.ts); the route below serves the rest.
  installHeartbeatFastPath(app, gate, ctx.metrics, { trustProxy: ctx.config.trustProxy });

  r.post(
    '/api/devices/:key/register',
    {
      schema: {
        tags: ['devices'],
        summary: 'Register with the one-time token; returns the device secret (shown once)',
        params: DeviceKeyParams,
        body: RegisterBody,
        response: { 200: RegisterResponse },
      },
      // Per-IP request limit (OUTPOST_RATE_LIMIT_PER_MIN) on top of the wrong-guess limits below.
      config: { envelope: 'ok', rateLimit: {} },
    },
    async (request) => {
      const { key } = request.params;
      const ip = request.ip;
      const device = await repo.get(key);
      if (!device) {
        const ipLock = await rt.guard.unknownDevice(ip);
        if (ipLock) throw rateLimitError(ipLock);
        throw new AppError('DEVICE_NOT_FOUND');
      }
      const { token_code, ...info } = request.body;
      const presented = tokenHash(key, token_code);
      // The current token, or one that expired or was burned (also by a concurrent winner), is not a guess.
      const guess = presented !== device.token_hash && presented !== device.used_token_hash;
      if (device.status === 'registered' && device.token_hash === null && guess) {
        const lock = await rt.guard.lockedUntil(key, ip);
        if (lock) throw rateLimitError(lock);
        throw new AppError('ALREADY_REGISTERED');
      }
      const lock = guess ? await rt.guard.reserveGuess(key, ip) : await rt.guard.lockedUntil(key, ip);
      if (lock) throw rateLimitError(lock);

      const secret = randomSecret(32);
      const now = new Date().toISOString();
      let won: boolean;
      try {
        won = await repo.register(key, {
          token_hash: presented,
          secret_hash: sha256Hex(secret),
          now,
          info: { ...info, ip_address: info.ip_address ?? ip },
        });
      } catch (err) {
        // Nothing was evaluated: the reserved guess goes back.
        if (guess) await rt.guard.returnGuess(key, ip);
        throw err;
      }
      if (!won) {
        throw new AppError(
          'TOKEN_INVALID',
          'Invalid, expired or already used token: ask your administrator for a new one',
        );
      }
      // Read before an admin reissued the token: it was the right one after all, not a guess.
      if (guess) await rt.guard.returnGuess(key, ip);
      await rt.credentialsChanged(key);
      rt.recordEvents([
        { device_key: key, type: 'registered', at: now, details: { ip: info.ip_address ?? ip } },
      ]);
      return {
        ok: true as const,
        message: 'Device registered',
        device_key: key,
        device_secret: secret,
        next_heartbeat_sec: rt.policy.intervalOf(device.group_id),
      };
    },
  );

  r.post(
    '/api/devices/:key/online',
    {
      schema: {
        tags: ['devices'],
        summary: 'Heartbeat: every field optional, ip_address defaults to the connection address',
        security,
        params: DeviceKeyParams,
        body: HeartbeatBody,
        response: { 200: HeartbeatResponse },
      },
      serializerCompiler: plainJson,
      config: { envelope: 'ok' },
    },
    async (request) => {
      const { key } = request.params;
      try {
        await authenticate(request, key);
      } catch (err) {
        gate.countRejected();
        throw err;
      }
      return gate.record(key, request.body, request.ip);
    },
  );

  r.get(
    '/api/devices/:key',
    {
      schema: {
        tags: ['devices'],
        summary: 'This device as the server sees it',
        security,
        params: DeviceKeyParams,
        response: { 200: DeviceDetailsResponse },
      },
      config: { envelope: 'ok' },
    },
    async (request) => {
      const { key } = request.params;
      await authenticate(request, key);
      const device = await repo.get(key);
      if (!device) throw new AppError('DEVICE_NOT_FOUND');
      return { ok: true as const, device: deviceView(device, rt.policy) };
    },
  );

  r.put(
    '/api/devices/:key/ssh-key',
    {
      schema: {
        tags: ['devices'],
        summary: "Publish the device's OpenSSH public key",
        security,
        params: DeviceKeyParams,
        body: SshKeyBody,
        response: { 200: SshKeyResponse },
      },
      config: { envelope: 'ok' },
    },
    async (request) => {
      const { key } = request.params;
      await authenticate(request, key);
      let parsed;
      try {
        parsed = parseSshPublicKey(request.body.pubkey);
      } catch (err) {
        if (!(err instanceof SshKeyError)) throw err;
        throw new AppError('VALIDATION_ERROR', 'Invalid SSH public key', [
          { field: 'body.pubkey', message: err.message },
        ]);
      }
      const at = new Date().toISOString();
      if (!(await repo.setSshKey(key, parsed.line, at))) {
        throw new AppError('DEVICE_NOT_FOUND');
      }
      rt.recordEvents([
        { device_key: key, type: 'ssh_key_published', at, details: { fingerprint: parsed.fingerprint } },
      ]);
      return {
        ok: true as const,
        message: 'SSH key saved',
        key_type: parsed.type,
        fingerprint: parsed.fingerprint,
      };
    },
  );

  r.get(
    '/api/ssh-hostkey',
    {
      schema: {
        tags: ['devices'],
        summary: "The server's ed25519 SSH host key, one OpenSSH line (text/plain)",
      },
      config: { envelope: 'ok', rateLimit: {} },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(rt.hostKey),
  );

  await app.register(devicesAdminRoutes, { ctx, rt });
  await app.register(groupsRoutes, { ctx, rt });
};
