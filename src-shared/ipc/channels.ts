/**
 * THE channel map: one entry per agent API call, grouped by domain (`device.register`, `admin.devices.list`, …),
 * each with a zod input and output schema. Both transports use it — Electron IPC (`ipcMain.handle(channel)` in
 * src-main/app, preload's `window.outpost`) and the headless web bridge (`POST /bridge/invoke/:channel`) — so
 * the renderer has one code path above the transport. Every payload is `unknown` until the input schema has
 * parsed it; every answer is a `Result<output>`. Output schemas are plain (stripping) objects on purpose: a
 * field not declared here never reaches the UI, which is one of the two guards keeping secrets in main.
 *
 * Stable contract: extend only (new channels, new optional fields); never rename or remove.
 */
import type { z } from 'zod';
import type { ChannelName } from './channel-names.js';
import { admin } from './schemas/admin.js';
import { app } from './schemas/app.js';
import { consoleChannels } from './schemas/console.js';
import { device } from './schemas/device.js';
import { license } from './schemas/license.js';
import { server } from './schemas/server.js';
import { settings } from './schemas/settings.js';
import { station } from './schemas/station.js';

export const channels = {
  ...device,
  ...station,
  ...license,
  ...settings,
  ...server,
  ...app,
  ...admin,
  ...consoleChannels,
} as const;

export type Channels = typeof channels;
export type Channel = keyof Channels;
export type ChannelInput<C extends Channel> = z.input<Channels[C]['input']>;
export type ChannelOutput<C extends Channel> = z.output<Channels[C]['output']>;

export const CHANNEL_NAMES = Object.keys(channels) as Channel[];

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(channels, name);
}

export { IPC_EVENT_CHANNEL, IPC_PREFIX, ipcChannelName, CHANNEL_NAME_LIST } from './channel-names.js';

// Compile-time guard: channel-names.ts lists exactly the channels of the map (no drift either way).
type SameNames = [Exclude<Channel, ChannelName>, Exclude<ChannelName, Channel>] extends [never, never]
  ? true
  : false;
const sameNames: SameNames = true;
void sameNames;

/**
 * Error codes the transport layer itself produces (the agent's own codes come from src-shared/errors.ts and
 * src-main/agent/errors.ts).
 */
export const TRANSPORT_ERRORS = {
  /** The bridge / IPC could not be reached or answered garbage. */
  TRANSPORT_ERROR: 'TRANSPORT_ERROR',
  UNKNOWN_CHANNEL: 'UNKNOWN_CHANNEL',
  /** The answer did not match the channel's output schema. */
  INVALID_RESULT: 'INVALID_RESULT',
  /** The admin console needs the embedded server running with its API key. */
  ADMIN_UNAVAILABLE: 'ADMIN_UNAVAILABLE',
  /** The service behind the channel is not part of this agent (e.g. station not configured). */
  NOT_AVAILABLE: 'NOT_AVAILABLE',
} as const;

export * from './schemas/admin.js';
export * from './schemas/app.js';
export * from './schemas/common.js';
export * from './schemas/console.js';
export * from './schemas/device.js';
export * from './schemas/license.js';
export * from './schemas/server.js';
export * from './schemas/settings.js';
export * from './schemas/station.js';
export * from './events.js';
export type * from './api-types.js';
