/**
 * The agent's one event stream (status changes, realtime events, sync progress). The Electron shell forwards it
 * over IPC, the headless `--ui` bridge over WS. A listener that throws never breaks the emitter or other listeners.
 */
import type { DeviceStatus } from '../../src-shared/ipc/schemas/device.js';
import type { LicenseStatus } from '../../src-shared/ipc/schemas/license.js';
import type { CopyReceipt, StationStatus, SyncProgress } from '../../src-shared/ipc/schemas/station.js';
import { createLogger } from './logging/logger.js';

export type { DeviceStatus };

/**
 * network = the server did not answer; refused = it answered 401/404 for this device (revoked, deleted, wrong
 * secret); wrong_url = 404 without our server's "device not found" (the profile URL points elsewhere);
 * server = any other answer (5xx, 429, …).
 */
export type HeartbeatErrorKind = NonNullable<DeviceStatus['last_error_kind']>;

/**
 * Agent events carry the contract's types (src-shared), so the UI adapter only validates and forwards them.
 * `station.copy-recorded` is the one internal event: the adapter answers it with the full station status.
 */
export type AgentEvent =
  | { type: 'device.status'; data: DeviceStatus }
  | { type: 'station.status'; data: StationStatus }
  | { type: 'station.copy-recorded'; data: CopyReceipt }
  | { type: 'station.sync-progress'; data: SyncProgress }
  | { type: 'realtime'; data: { event: string; data: unknown } }
  | { type: 'license.status'; data: LicenseStatus };

export type AgentEventListener = (e: AgentEvent) => void;

const log = createLogger('events');

export class AgentEvents {
  private readonly listeners = new Set<AgentEventListener>();

  /** Returns the unsubscribe function. */
  on(listener: AgentEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(e: AgentEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        log.warn({ err, event: e.type }, 'event listener threw');
      }
    }
  }

  listenerCount(): number {
    return this.listeners.size;
  }
}
