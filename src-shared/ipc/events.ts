/**
 * The event stream as the UI receives it (Electron: `outpost:event` IPC messages; web bridge: WS
 * /bridge/events). Main validates each agent event against these schemas before sending it and drops the ones
 * that do not fit, so the renderer can trust `data`'s type. Extend only.
 */
import { z } from 'zod';
import { LogLine } from './schemas/app.js';
import { DeviceStatus } from './schemas/device.js';
import { LicenseStatus } from './schemas/license.js';
import { ServerStatus } from './schemas/server.js';
import { StationStatus, SyncProgress } from './schemas/station.js';

export const UiEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('device.status'), data: DeviceStatus }),
  z.object({ type: z.literal('station.status'), data: StationStatus }),
  z.object({ type: z.literal('station.sync-progress'), data: SyncProgress }),
  /** A realtime message from the server's WebSocket (seed 001/003 event name + its data). */
  z.object({ type: z.literal('realtime'), data: z.object({ event: z.string(), data: z.unknown() }) }),
  z.object({ type: z.literal('license.status'), data: LicenseStatus }),
  z.object({ type: z.literal('log'), data: LogLine }),
  z.object({ type: z.literal('server.status'), data: ServerStatus }),
]);
export type UiEvent = z.infer<typeof UiEvent>;
export type UiEventType = UiEvent['type'];
export type UiEventOf<T extends UiEventType> = Extract<UiEvent, { type: T }>;
