import { z } from 'zod';
import { DeviceKey, NoInput, NullableTimestamp } from './common.js';

/** Registration + heartbeat status as the UI shows it (mirrors the agent's DeviceStatus; no secrets). */
export const DeviceStatus = z.object({
  registered: z.boolean(),
  device_key: z.string().nullable(),
  registered_at: NullableTimestamp,
  heartbeat: z.enum(['active', 'inactive', 'stopped', 'reregistration_needed']),
  last_success_at: NullableTimestamp,
  last_error: z.string().nullable(),
  /** network | refused (401/404 for this device) | wrong_url (404 not from an Outpost server) | server. */
  last_error_kind: z.enum(['network', 'refused', 'wrong_url', 'server']).nullable(),
  last_error_at: NullableTimestamp,
  last_latency_ms: z.number().nullable(),
  consecutive_failures: z.number().int().nonnegative(),
  next_attempt_at: NullableTimestamp,
  server_url: z.string(),
});
export type DeviceStatus = z.infer<typeof DeviceStatus>;

export const HeartbeatResult = z.object({
  ok: z.boolean(),
  message: z.string(),
  latency_ms: z.number().nullable(),
});
export type HeartbeatResult = z.infer<typeof HeartbeatResult>;

export const device = {
  'device.status': { input: NoInput, output: DeviceStatus },
  /**
   * The token is what the operator typed: the agent trims, uppercases and checks the 6 hex characters itself
   * (so the message for a bad token is the agent's), the schema only bounds it.
   */
  'device.register': {
    input: z.strictObject({ token: z.string().max(64), device_key: DeviceKey.optional() }),
    output: DeviceStatus,
  },
  'device.unregister': { input: NoInput, output: DeviceStatus },
  /** The Test Heartbeat button. */
  'device.heartbeatNow': { input: NoInput, output: HeartbeatResult },
  /** The key this agent would register with (prefill of the "Device key" field). */
  'device.ownKey': { input: NoInput, output: z.object({ device_key: z.string() }) },
} as const;
