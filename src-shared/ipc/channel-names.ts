/**
 * The channel names alone, without their schemas: what the Electron preload needs (keeps zod out of its
 * bundle). channels.ts checks at compile time that this list and the map hold exactly the same names.
 */
export const CHANNEL_NAME_LIST = [
  'device.status',
  'device.register',
  'device.unregister',
  'device.heartbeatNow',
  'device.ownKey',
  'station.login',
  'station.logout',
  'station.recordCopy',
  'station.syncNow',
  'station.queue',
  'station.quotas',
  'station.retry',
  'station.dismiss',
  'station.undoDismiss',
  'station.status',
  'license.activate',
  'license.deactivate',
  'license.status',
  'license.checkNow',
  'settings.get',
  'settings.update',
  'server.status',
  'server.configure',
  'server.restart',
  'logs.tail',
  'app.info',
  'app.openLogsFolder',
  'ui.opened',
  'ui.closed',
  'admin.devices.list',
  'admin.devices.create',
  'admin.devices.outstanding',
  'admin.devices.newToken',
  'admin.devices.revoke',
  'admin.clients.list',
  'admin.clients.create',
  'admin.clients.topUp',
  'admin.clients.reduce',
  'admin.clients.rename',
  'admin.clients.delete',
  'admin.licenses.list',
  'admin.licenses.generate',
  'admin.licenses.revoke',
  'admin.stats',
] as const;

export type ChannelName = (typeof CHANNEL_NAME_LIST)[number];

/** Electron IPC channel names are namespaced so they can never collide with Electron's own. */
export const IPC_PREFIX = 'outpost:';
export const IPC_EVENT_CHANNEL = 'outpost:event';
export const ipcChannelName = (c: ChannelName): string => `${IPC_PREFIX}${c}`;
