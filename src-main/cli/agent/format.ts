/** Human-readable status lines for the CLI (no secrets ever reach DeviceStatus). */
import type { DeviceStatus } from '../../agent/events.js';

export function describeStatus(s: DeviceStatus): string {
  const lines = [
    `Registered:  ${s.registered ? `yes (${s.device_key}, since ${s.registered_at ?? '?'})` : 'no'}`,
    `Server:      ${s.server_url}`,
    `Heartbeat:   ${heartbeatLabel(s)}`,
  ];
  if (s.last_success_at) lines.push(`Last OK:     ${s.last_success_at} (${s.last_latency_ms ?? '?'} ms)`);
  if (s.last_error) lines.push(`Last error:  ${s.last_error} (${s.last_error_at ?? '?'})`);
  return lines.join('\n');
}

function heartbeatLabel(s: DeviceStatus): string {
  switch (s.heartbeat) {
    case 'active':
      return 'Active ✓';
    case 'inactive':
      return `Inactive (${s.consecutive_failures} consecutive failures, still retrying)`;
    case 'reregistration_needed':
      return 'Stopped: re-registration needed';
    default:
      return s.registered ? 'not running in this process (use `run`)' : 'not registered';
  }
}
