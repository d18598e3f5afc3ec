/**
 * The renderer's view of the channel API: everything comes from src-shared's channel map, so the pages,
 * the preload and the web bridge cannot drift apart. The renderer never imports src-main.
 */
export type { Result } from '../../src-shared/result.js';
export type { Api as OutpostApi, Transport } from '../../src-shared/ipc/api-types.js';
export type { UiEvent as AgentEvent } from '../../src-shared/ipc/events.js';
export type {
  AdminClient,
  AdminDevice,
  AdminLicense,
  AdminStats,
  AppInfo,
  CopyReceipt,
  DeviceStatus,
  DeviceToken,
  HeartbeatResult,
  LicenseStatus,
  LogLevel,
  LogLine,
  ProfileInput,
  ProfileView,
  QueueItem,
  QueueSnapshot,
  Quota,
  ServerStatus,
  SettingsView,
  StationStatus,
  SyncProgress,
} from '../../src-shared/ipc/channels.js';

export type QueueCounts = import('../../src-shared/ipc/channels.js').QueueSnapshot['counts'];
