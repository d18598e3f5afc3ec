/**
 * The console's channels (session, inventory, groups, bulk enrollment): each forwards to the session or the
 * inventory client, which return the contract's types. Kept apart from the agent's other handlers so the
 * console's wiring reads in one place.
 */
import type { Channel } from '../../../src-shared/ipc/channels.js';
import type { Handlers } from '../api/handlers.js';
import type { ConsoleSession } from './console-session.js';
import type { InventoryClient } from './inventory-client.js';

type ConsoleChannel =
  Extract<Channel, `admin.${'session' | 'inventory' | 'groups'}.${string}`> | 'admin.devices.bulk';

export function consoleHandlers(
  session: () => ConsoleSession,
  inventory: () => InventoryClient,
): Pick<Handlers, ConsoleChannel> {
  return {
    'admin.session.status': () => session().status(),
    'admin.session.signIn': (input) => session().signIn(input),
    'admin.session.signOut': () => session().signOut(),
    'admin.inventory.list': (q) => inventory().list(q),
    'admin.inventory.get': ({ device_key }) => inventory().get(device_key),
    'admin.inventory.timeline': ({ device_key, page }) => inventory().timeline(device_key, page),
    'admin.inventory.heartbeats': ({ device_key }) => inventory().heartbeats(device_key),
    'admin.inventory.update': ({ device_key, ...patch }) => inventory().update(device_key, patch),
    'admin.inventory.exportCsv': (q) => inventory().exportCsv(q),
    'admin.groups.list': () => inventory().groups(),
    'admin.groups.create': (body) => inventory().createGroup(body),
    'admin.groups.update': ({ id, ...body }) => inventory().updateGroup(id, body),
    'admin.groups.delete': ({ id }) => inventory().deleteGroup(id),
    'admin.devices.bulk': (body) => inventory().bulk(body),
  };
}
