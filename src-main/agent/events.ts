/**
 * The agent's one event stream (status changes, realtime events, sync progress). The Electron shell forwards it
 * over IPC, the headless `--ui` bridge over WS. A listener that throws never breaks the emitter or other listeners.
 */
import { createLogger } from './logging/logger.js';

/** Device registration + heartbeat status as the UI shows it (no secrets). */
export interface DeviceStatus {
  registered: boolean;
  device_key: string | null;
  registered_at: string | null;
  /** 'stopped' = not registered or agent not running; 'reregistration_needed' after a 401 (revoked). */
  heartbeat: 'active' | 'inactive' | 'stopped' | 'reregistration_needed';
  last_success_at: string | null;
  last_error: string | null;
  /** What the last failure was, so the UI can give advice that fits the cause (null after a success). */
  last_error_kind: HeartbeatErrorKind | null;
  last_error_at: string | null;
  last_latency_ms: number | null;
  consecutive_failures: number;
  next_attempt_at: string | null;
  server_url: string;
}

/**
 * network = the server did not answer; refused = it answered 401/404 for this device (revoked, deleted, wrong
 * secret); wrong_url = 404 without our server's "device not found" (the profile URL points elsewhere);
 * server = any other answer (5xx, 429, …).
 */
export type HeartbeatErrorKind = 'network' | 'refused' | 'wrong_url' | 'server';

export type AgentEvent =
  | { type: 'device.status'; data: DeviceStatus }
  | { type: 'station.status'; data: unknown }
  | { type: 'station.sync-progress'; data: unknown }
  | { type: 'realtime'; data: { event: string; data: unknown } }
  | { type: 'license.status'; data: unknown }
  | { type: 'log'; data: unknown };

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
