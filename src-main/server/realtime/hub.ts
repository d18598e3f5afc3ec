import type { ServerEvent } from '../../../src-shared/api/realtime.js';
import type { RealtimeStats } from '../context.js';
import { encode } from './messages.js';
import type { ConnectionRegistry } from './registry.js';

/** Who receives an event. */
export type Target =
  /** Every authenticated socket (stations, operators, admins). */
  | { kind: 'authenticated' }
  /** Every socket of one device. */
  | { kind: 'device'; deviceId: string }
  /** Admin and operator sockets (presence is for people, not for other stations). */
  | { kind: 'watchers' };

/**
 * The fan-out boundary. Route plugins publish here and never touch sockets. The in-process hub below delivers
 * to this server's sockets; a PostgreSQL LISTEN/NOTIFY hub would NOTIFY in `publish` and call
 * `registry.deliver` from its LISTEN callback on every instance, without any route changing.
 */
export interface RealtimeHub extends RealtimeStats {
  /** Sends one event; returns how many local sockets it was written to. */
  publish(target: Target, event: ServerEvent, data: unknown): number;
  close(): Promise<void>;
}

export class InProcessHub implements RealtimeHub {
  constructor(private readonly registry: ConnectionRegistry) {}

  publish(target: Target, event: ServerEvent, data: unknown): number {
    this.registry.countEvent();
    // Nobody listening (the common case for a station pushing without a socket): skip serializing.
    if (!this.registry.hasRecipients(target)) return 0;
    return this.registry.deliver(target, encode(event, data));
  }

  active(): number {
    return this.registry.activeCount();
  }
  total(): number {
    return this.registry.totalCount();
  }
  rooms(): number {
    return this.registry.roomCount();
  }
  eventsPerMinute(): number {
    return this.registry.eventsPerMinute();
  }

  async close(): Promise<void> {
    await this.registry.closeAll();
  }
}
