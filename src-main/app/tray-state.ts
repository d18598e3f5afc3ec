/** Tray text for the agent state (pure: tested without Electron). */
export interface TrayState {
  registered: boolean;
  heartbeat: 'active' | 'inactive' | 'stopped' | 'reregistration_needed';
  /** Station's server reachability; null when there is no station. */
  online: boolean | null;
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
