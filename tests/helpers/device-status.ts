import type { DeviceStatus } from '../../src-main/agent/events.js';

/** A never-registered agent's device status: the starting point of the IPC, bridge and component tests. */
export const unregisteredDeviceStatus: DeviceStatus = {
  registered: false,
  device_key: null,
  registered_at: null,
  heartbeat: 'stopped',
  last_success_at: null,
  last_error: null,
  last_error_kind: null,
  last_error_at: null,
  last_latency_ms: null,
  consecutive_failures: 0,
  next_attempt_at: null,
  server_url: 'http://127.0.0.1:9',
};
