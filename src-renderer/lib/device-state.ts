/**
 * What the header and the Registration page say about the device, derived in one place from the agent's
 * status so the two never disagree: "Registered" only while the server has not refused the device, and a
 * heartbeat shown active only while the last beat got through.
 */
import type { DeviceStatus } from '../api/types.js';

export type Tone = 'ok' | 'bad' | 'warn' | 'neutral';

export interface DeviceView {
  tone: Tone;
  label: string;
  /** The agent's reason, shown next to the label when the server refused the device or the URL is wrong. */
  reason: string | null;
}

export function deviceView(s: DeviceStatus): DeviceView {
  if (!s.registered) return { tone: 'bad', label: 'Not registered', reason: null };
  if (s.heartbeat === 'reregistration_needed')
    return { tone: 'bad', label: 'Rejected by server', reason: s.last_error };
  if (s.last_error_kind === 'wrong_url' && s.consecutive_failures > 0)
    return { tone: 'bad', label: 'Server URL looks wrong', reason: s.last_error };
  return { tone: 'ok', label: 'Registered', reason: null };
}

export interface HeartbeatView {
  ok: boolean;
  text: string;
}

export function heartbeatView(s: DeviceStatus): HeartbeatView {
  if (!s.registered) return { ok: false, text: 'Heartbeat: Inactive' };
  if (s.heartbeat === 'reregistration_needed')
    return { ok: false, text: 'Heartbeat: Stopped (the server refused this device)' };
  // 'active' survives a few failed beats (the loop only turns 'inactive' after several): a failed last beat
  // must not read as Active.
  if (s.consecutive_failures > 0) {
    const n = s.consecutive_failures;
    return { ok: false, text: `Heartbeat: Failing (${n} attempt${n === 1 ? '' : 's'} failed, retrying)` };
  }
  if (s.heartbeat === 'active') return { ok: true, text: 'Heartbeat: Active ✓' };
  if (s.heartbeat === 'inactive') return { ok: false, text: 'Heartbeat: Inactive' };
  return { ok: false, text: 'Heartbeat: Stopped (the agent is not sending heartbeats)' };
}
