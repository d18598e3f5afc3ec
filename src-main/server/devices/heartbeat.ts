import type { HeartbeatBody, HeartbeatResponse } from '../../../src-shared/api/devices.js';
import { AppError } from '../errors.js';
import type { ServerMetrics } from '../metrics.js';
import type { DevicesRepo } from '../store/devices-repo.js';
import type { NewDeviceEvent } from '../store/device-events-repo.js';
import { DEFAULT_GROUP_ID } from '../store/groups-repo.js';
import { bearerSecret, type BearerCheck, type CachedDevice, type DeviceAuthCache } from './auth-cache.js';
import type { GroupPolicy } from './group-policy.js';
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
    private readonly policy: GroupPolicy,
    /** Where IP and MAC changes go (the timeline); called only on a change, never per heartbeat. */
    private readonly changed: (events: NewDeviceEvent[]) => void = () => {},
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
          hostname: body.hostname,
        }
      : { ip_address: ip };
    this.repo.recordHeartbeat(deviceKey, { last_seen: now, info });
    this.metrics.deviceHeartbeats.inc();
    const entry = this.cache.peek(deviceKey);
    if (entry) this.noticeChanges(deviceKey, entry, info.ip_address, info.mac ?? undefined, now);
    return {
      ok: true,
      message: 'Heartbeat received',
      server_time: now,
      next_heartbeat_sec: this.policy.intervalOf(entry?.groupId ?? DEFAULT_GROUP_ID),
    };
  }

  /**
   * Compares the reported address and MAC with the last ones this instance knows (loaded with the credentials,
   * kept current here): equal, the common case, costs two string compares. A device first heard of has nothing
   * to compare against and records nothing.
   */
  private noticeChanges(
    key: string,
    entry: CachedDevice,
    ip: string,
    mac: string | undefined,
    at: string,
  ): void {
    let events: NewDeviceEvent[] | undefined;
    if (ip !== entry.ip) {
      if (entry.ip !== null)
        (events ??= []).push({
          device_key: key,
          type: 'ip_changed',
          at,
          details: { from: entry.ip, to: ip },
        });
      entry.ip = ip;
    }
    if (mac !== undefined && mac !== entry.mac) {
      if (entry.mac !== null)
        (events ??= []).push({
          device_key: key,
          type: 'mac_changed',
          at,
          details: { from: entry.mac, to: mac },
        });
      entry.mac = mac;
    }
    if (events) this.changed(events);
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
