import { z } from 'zod';
import { DEVICE_KEY_PATTERN } from '../../codes.js';

/** Input of a call that takes nothing: `api.device.status()` or `api.device.status({})`. */
export const NoInput = z.strictObject({}).optional();

/** Output of a call whose only news is "done". */
export const Done = z.object({ done: z.literal(true) });
export type Done = z.infer<typeof Done>;

/** ISO-8601 timestamp as the agent writes it (kept a plain string: the UI only formats it). */
export const Timestamp = z.string().max(64);
export const NullableTimestamp = Timestamp.nullable();

/** Device key rule (3–64 of `[A-Za-z0-9._-]`). */
export const DeviceKey = z
  .string()
  .trim()
  .regex(DEVICE_KEY_PATTERN, 'Device key: 3–64 letters, digits, dot, dash or underscore');
