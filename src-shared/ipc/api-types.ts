/**
 * Types for callers, derived from the channel map (no hand-written .d.ts that can drift):
 * `Api['device']['register']` is `(input: {token, device_key?}) => Promise<Result<DeviceStatus>>`, and
 * `admin.devices.list` becomes `api.admin.devices.list()`.
 */
import type { Result } from '../result.js';
import type { Channel, ChannelInput, ChannelOutput } from './channels.js';
import type { UiEvent } from './events.js';

/** A call that takes nothing may be called with no argument. */
export type CallFn<C extends Channel> =
  undefined extends ChannelInput<C>
    ? (input?: ChannelInput<C>) => Promise<Result<ChannelOutput<C>>>
    : (input: ChannelInput<C>) => Promise<Result<ChannelOutput<C>>>;

/** Flat form: `invoke('device.register', {...})`. */
export type FlatApi = { [C in Channel]: CallFn<C> };

type Head<K extends string> = K extends `${infer H}.${string}` ? H : K;
type Rest<K extends string, H extends string> = K extends `${H}.${infer R}` ? R : never;

/** Nests dotted channel names into groups: 'admin.devices.list' → { admin: { devices: { list } } }. */
export type Grouped<Keys extends string, Prefix extends string = ''> = {
  [H in Head<Keys>]: `${Prefix}${H}` extends Channel
    ? CallFn<`${Prefix}${H}`>
    : Grouped<Rest<Extract<Keys, `${H}.${string}`>, H>, `${Prefix}${H}.`>;
};

export type EventListener = (event: UiEvent) => void;

/** What the renderer gets: grouped task-shaped calls plus the event stream. */
export type Api = Grouped<Channel> & {
  /** Subscribe to agent events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
};

/**
 * The raw bridge exposed by preload as `window.outpost` and implemented by the web bridge transport: two
 * functions, both over the channel map only.
 */
export interface Transport {
  invoke(channel: Channel, payload: unknown): Promise<unknown>;
  subscribe(listener: (event: unknown) => void): () => void;
}

/**
 * `window.outpost` in the Electron renderer (preload): the grouped calls plus the raw transport pair, so the
 * renderer can use it directly or through `createApiClient(window.outpost)` (which re-validates answers).
 */
export type WindowOutpost = Api & Transport;
