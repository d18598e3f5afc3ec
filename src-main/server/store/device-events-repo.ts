import type { TimelineEventType } from '../../../src-shared/api/inventory.js';

export type { TimelineEventType };

export type EventDetails = Record<string, string | number | boolean | null>;

export interface NewDeviceEvent {
  device_key: string;
  type: TimelineEventType;
  at: string;
  details?: EventDetails;
}

export interface DeviceEventRecord {
  id: number;
  device_key: string;
  type: TimelineEventType;
  at: string;
  details: EventDetails | null;
}

/** What happened to each device (its timeline): appended where it happens, read newest first. */
export interface DeviceEventsRepo {
  append(events: readonly NewDeviceEvent[]): Promise<void>;
  page(
    deviceKey: string,
    offset: number,
    limit: number,
  ): Promise<{ rows: DeviceEventRecord[]; total: number }>;
  /** The time of the newest event of each of `types` (absent when none). */
  latest(
    deviceKey: string,
    types: readonly TimelineEventType[],
  ): Promise<Partial<Record<TimelineEventType, string>>>;
}
