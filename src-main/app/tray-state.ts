/** Tray text for the agent state, and the state itself folded from UI events (pure: tested without Electron). */
import type { UiEvent } from '../../src-shared/ipc/channels.js';

export interface TrayState {
  registered: boolean;
  heartbeat: 'active' | 'inactive' | 'stopped' | 'reregistration_needed';
  /** Station's server reachability; null when there is no station. */
  online: boolean | null;
}

export const INITIAL_TRAY_STATE: TrayState = { registered: false, heartbeat: 'stopped', online: null };

/** The next tray state, or the same object when the event does not concern the tray. */
export function nextTrayState(s: TrayState, e: UiEvent): TrayState {
  if (e.type === 'device.status') return { ...s, registered: e.data.registered, heartbeat: e.data.heartbeat };
  if (e.type === 'station.status') return { ...s, online: e.data.online };
  return s;
}

export function trayLines(s: TrayState): string[] {
  const heartbeat = {
    active: 'Heartbeat: Active ✓',
    inactive: 'Heartbeat: Inactive',
    stopped: 'Heartbeat: stopped',
    reregistration_needed: 'Heartbeat: re-registration needed',
  }[s.heartbeat];
  const lines = [`Outpost — ${s.registered ? 'Registered' : 'Not registered'}`, heartbeat];
  if (s.online !== null) lines.push(s.online ? 'Server: online' : 'Server: offline (queueing)');
  return lines;
}

/**
 * Follows the events from the moment the API exists, so a tray created later (after the window) starts from
 * what was already emitted rather than from "Not registered".
 */
export class TrayStateMemo {
  private state: TrayState = INITIAL_TRAY_STATE;
  private listener: ((s: TrayState) => void) | null = null;

  apply(e: UiEvent): void {
    const next = nextTrayState(this.state, e);
    if (next === this.state) return;
    this.state = next;
    this.listener?.(next);
  }

  current(): TrayState {
    return this.state;
  }

  follow(listener: (s: TrayState) => void): void {
    this.listener = listener;
    listener(this.state);
  }
}
