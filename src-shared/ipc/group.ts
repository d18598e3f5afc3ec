import { CHANNEL_NAME_LIST, type ChannelName } from './channel-names.js';

/**
 * Builds the grouped, task-shaped object from the flat channel list: 'admin.devices.list' →
 * `{ admin: { devices: { list(input?) } } }`, each leaf calling `call(channel, input)`. Used by the API client and
 * by the Electron preload, so both expose exactly the channel map.
 */
export function groupCalls<R>(call: (channel: ChannelName, input: unknown) => R): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const name of CHANNEL_NAME_LIST) {
    const parts = name.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = (input?: unknown) => call(name, input);
  }
  return root;
}
