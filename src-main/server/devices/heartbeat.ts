import type { HeartbeatBody, HeartbeatResponse } from '../../../src-shared/api/devices.js';
import { AppError } from '../errors.js';
import type { ServerMetrics } from '../metrics.js';
import type { DevicesRepo } from '../store/devices-repo.js';
import { bearerSecret, type BearerCheck, type DeviceAuthCache } from './auth-cache.js';
import { nowIso } from './clock.js';

/**
 * The device side of seed 004 authentication and the heartbeat itself, shared by the Fastify routes and the raw
 * fast path (fast-path.ts), so both answer identically by construction.
 */
export class DeviceGate {
  constructor(
    private readonly cache: DeviceAuthCache,
    private readonly repo: DevicesRepo,
    private readonly metrics: ServerMetrics,
    readonly intervalSec: number,
  ) {}

  /** Bearer check: resolves, or throws 401 INVALID_DEVICE_SECRET / DEVICE_REVOKED. Sync when cached. */
  authenticate(deviceKey: string, authorization: string | undefined): void | Promise<void> {
    const secret = bearerSecret(authorization);
    if (!secret) throw this.refused('invalid', false);
    const c = this.cache.check(deviceKey, secret);
    if (typeof c === 'string') {
      if (c !== 'ok') throw this.refused(c, true);
      return;
    }
    return c.then((v) => {
      if (v !== 'ok') throw this.refused(v, true);
    });
  }

  /** Records an authenticated heartbeat and builds the answer. */
  record(deviceKey: string, body: HeartbeatBody, ip: string): HeartbeatResponse {
    const now = nowIso();
    // Built field by field rather than spread: this object is the one the write-behind buffer keeps.
    const info = body
      ? {
          ip_address: body.ip_address ?? ip,
          ip_lan: body.ip_lan,
          ip_public: body.ip_public,
          mac: body.mac,
          cluster_ip: body.cluster_ip,
          note: body.note,
        }
      : { ip_address: ip };
    this.repo.recordHeartbeat(deviceKey, { last_seen: now, info });
    this.metrics.deviceHeartbeats.inc();
    return {
      ok: true,
      message: 'Heartbeat received',
      server_time: now,
      next_heartbeat_sec: this.intervalSec,
    };
  }

  /** A refused heartbeat-route call counts in the metrics; other device routes call authenticate directly. */
  countRejected(): void {
    this.metrics.heartbeatsRejected.inc();
  }

  private refused(v: BearerCheck, hadSecret: boolean): AppError {
    if (v === 'revoked') return new AppError('DEVICE_REVOKED');
    return new AppError(
      'INVALID_DEVICE_SECRET',
      hadSecret
        ? 'Invalid device credentials'
        : 'Missing device secret: send Authorization: Bearer <device_secret>',
    );
  }
}
