import type { ServerEvent } from '../../../src-shared/api/realtime.js';
import type { RealtimeStats } from '../context.js';
import type { FanOut, Presence, RaisedEvent, Target, TransactionalOutbox } from '../runtime/runtime.js';
import { encode } from './messages.js';
import type { ConnectionRegistry } from './registry.js';

export type { Target } from '../runtime/runtime.js';

/**
 * The fan-out boundary. Route plugins publish here and never touch sockets. The runtime's fan-out carries an
 * event to every instance (in-process for one server, a shared table for several), and each instance writes
 * it to its own sockets; no route changes with the transport.
 */
export interface RealtimeHub extends RealtimeStats {
  /** Sends one event to its recipients on every instance. */
  publish(target: Target, event: ServerEvent, data: unknown): void;
  /** Resolves once every event published so far reaches the other instances (never rejects). */
  shared(): Promise<void>;
  /**
   * The outbox a Store write may insert its events into within its own transaction, when the transport has one
   * (the PostgreSQL fleet); undefined otherwise, and the route publishes and awaits `shared()` as usual.
   */
  outbox(): Pick<TransactionalOutbox, 'origin' | 'at'> | undefined;
  /** The events a committed write already put into the outbox: to this instance's sockets, then wake the others. */
  committed(events: readonly RaisedEvent[]): void;
  /** Sockets connected for the target across the fleet right now (what a publish would reach). */
  recipients(target: Target): Promise<number>;
  close(): Promise<void>;
}

export class FleetHub implements RealtimeHub {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly fanout: FanOut,
    private readonly presence: Presence,
  ) {
    fanout.bind((target, event, data) => this.deliverHere(target, event, data));
  }

  publish(target: Target, event: ServerEvent, data: unknown): void {
    this.registry.countEvent();
    this.fanout.publish(target, event, data);
  }

  shared(): Promise<void> {
    return this.fanout.shared();
  }

  outbox(): Pick<TransactionalOutbox, 'origin' | 'at'> | undefined {
    return this.fanout.outbox;
  }

  committed(events: readonly RaisedEvent[]): void {
    const outbox = this.fanout.outbox;
    if (!outbox) throw new Error('committed() needs a fan-out with a transactional outbox');
    for (let i = 0; i < events.length; i++) this.registry.countEvent();
    outbox.committed(events);
  }

  recipients(target: Target): Promise<number> {
    return this.presence.count(target);
  }

  private deliverHere(target: Target, event: ServerEvent, data: unknown): void {
    // Nobody listening here (the common case for a station pushing without a socket): skip serializing.
    if (!this.registry.hasRecipients(target)) return;
    this.registry.deliver(target, encode(event, data));
  }

  active(): number {
    return this.registry.activeCount();
  }
  activeByTransport(): Readonly<Record<'ws' | 'socketio', number>> {
    return this.registry.activeByTransport();
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
