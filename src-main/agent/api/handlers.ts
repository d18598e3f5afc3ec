/**
 * One handler per channel: the input is already parsed by the channel's schema; the return value is checked
 * against the output schema by api.ts. The services return the contract's types, so a handler only calls and
 * forwards; the mapped type makes the compiler insist on a handler for every channel, with the right types.
 */
import type { Channel, ChannelOutput, Channels, SettingsView } from '../../../src-shared/ipc/channels.js';
import type { z } from 'zod';
import { AdminClient } from '../admin/admin-client.js';
import { consoleHandlers } from '../admin/console-handlers.js';
import type { ConsoleSession } from '../admin/console-session.js';
import type { ServerController } from '../admin/embedded-server.js';
import type { InventoryClient } from '../admin/inventory-client.js';
import type { AgentServices } from '../agent.js';
import { AgentError, describeError } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { logsDir, tailLog } from './logs-tail.js';

type Input<C extends Channel> = z.output<Channels[C]['input']>;
export type Handlers = {
  [C in Channel]: (input: Input<C>) => Promise<ChannelOutput<C>> | ChannelOutput<C>;
};

export interface AppInfoBase {
  name: string;
  version: string;
  shell: 'electron' | 'headless';
  electron: string | null;
}

export interface HandlerDeps {
  agent: AgentServices;
  app: AppInfoBase;
  server?: ServerController;
  admin?: AdminClient;
  /** The console's sign-in and inventory (any server the active profile points at). */
  console?: { session: ConsoleSession; inventory: InventoryClient };
  /** Electron: shell.openPath on the logs folder. Headless: absent (answers opened:false). */
  openLogsFolder?: (path: string) => Promise<boolean>;
  /** Overrides the OUTPOST_SERVER_URL check (tests). */
  env?: NodeJS.ProcessEnv;
}

const log = createLogger('api');

const notAvailable = (what: string) =>
  new AgentError('NOT_AVAILABLE', `${what} is not available in this agent: check the agent's start-up log`);

export function createHandlers(deps: HandlerDeps): Handlers {
  const { agent } = deps;
  const { station, license } = agent;
  const server = () =>
    deps.server ??
    (() => {
      throw notAvailable('The embedded server');
    })();
  const admin = () =>
    deps.admin ??
    (() => {
      throw notAvailable('The server admin');
    })();
  const consoleDeps = () =>
    deps.console ??
    (() => {
      throw notAvailable('The operator console');
    })();
  const deviceStatus = () => agent.device.status();
  const stationStatus = () => station.status();
  const queue = () => station.queue();
  let uiOpen = 0;

  function settingsView(): SettingsView {
    const s = agent.settings.get();
    return {
      active: s.active,
      profiles: s.profiles,
      heartbeat_interval_sec: s.heartbeat_interval_sec,
      device_note: s.device_note,
      public_ip_url: s.public_ip_url ?? null,
      embedded_server: s.embedded_server,
      server_url_overridden: Boolean((deps.env ?? process.env).OUTPOST_SERVER_URL?.trim()),
      settings_recovered: agent.settings.recovered ?? null,
    };
  }

  return {
    'device.status': deviceStatus,
    'device.register': async ({ token, device_key }) => {
      await agent.device.register(token, device_key);
      return deviceStatus();
    },
    'device.unregister': async () => {
      await agent.device.unregister();
      return deviceStatus();
    },
    'device.heartbeatNow': () => agent.device.heartbeatNow(),
    'device.ownKey': () => ({ device_key: agent.device.ownDeviceKey() }),

    'station.login': async ({ username, password }) => {
      await station.login(username, password);
      return stationStatus();
    },
    'station.logout': async () => {
      await station.logout();
      return stationStatus();
    },
    'station.recordCopy': ({ client_id, uid }) => station.recordCopy(client_id, uid),
    'station.syncNow': () => station.syncNow(),
    'station.queue': queue,
    'station.quotas': () => ({ quotas: station.quotas() }),
    'station.retry': ({ uuid }) => {
      station.retry(uuid);
      return queue();
    },
    'station.dismiss': ({ uuid }) => {
      station.dismiss(uuid);
      return queue();
    },
    'station.undoDismiss': ({ uuid }) => {
      station.undoDismiss(uuid);
      return queue();
    },
    'station.status': stationStatus,

    'license.activate': ({ license_key, email }) => license.activate(license_key, email),
    'license.deactivate': () => license.deactivate(),
    'license.status': () => license.status(),
    'license.checkNow': () => license.checkNow(),

    'settings.get': settingsView,
    'settings.update': (patch) => {
      const { public_ip_url, ...rest } = patch;
      agent.settings.update({
        ...rest,
        ...(public_ip_url !== undefined ? { public_ip_url: public_ip_url ?? undefined } : {}),
      });
      return settingsView();
    },

    'server.status': () => server().status(),
    'server.configure': (input) => server().configure(input),
    'server.restart': () => server().restart(),

    'logs.tail': (input) => tailLog(agent.dataDir, input ?? {}),
    'app.info': () => ({
      ...deps.app,
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
      data_dir: agent.dataDir,
      logs_dir: logsDir(agent.dataDir),
      secret_backend: agent.secrets.backend,
    }),
    'app.openLogsFolder': async () => {
      const path = logsDir(agent.dataDir);
      return { opened: deps.openLogsFolder ? await deps.openLogsFolder(path) : false, path };
    },
    // Reference-counted: several windows / browser tabs may be open; the plugin heartbeat runs while any is.
    'ui.opened': () => {
      if (uiOpen++ === 0) {
        agent.device
          .startPluginHeartbeat()
          .catch((err: unknown) => log.warn({ err: describeError(err) }, 'plugin heartbeat did not start'));
      }
      return { done: true as const };
    },
    'ui.closed': () => {
      if (uiOpen > 0 && --uiOpen === 0) agent.device.stopPluginHeartbeat();
      return { done: true as const };
    },

    'admin.devices.list': () => admin().listDevices(),
    'admin.devices.create': (input) => admin().createDevice(input),
    'admin.devices.outstanding': () => admin().outstandingTokens(),
    'admin.devices.newToken': ({ device_key }) => admin().newToken(device_key),
    'admin.devices.revoke': ({ device_key }) => admin().revokeDevice(device_key),
    'admin.clients.list': () => admin().listClients(),
    'admin.clients.create': ({ name, quota }) => admin().createClient(name, quota),
    'admin.clients.topUp': ({ id, add }) => admin().topUpClient(id, add),
    'admin.clients.reduce': ({ id, by }) => admin().reduceClient(id, by),
    'admin.clients.rename': ({ id, name }) => admin().renameClient(id, name),
    'admin.clients.delete': ({ id }) => admin().deleteClient(id),
    'admin.licenses.list': (input) => admin().listLicenses(input),
    'admin.licenses.generate': (input) => admin().generateLicense(input),
    'admin.licenses.revoke': ({ id }) => admin().revokeLicense(id),
    'admin.stats': () => admin().stats(),
    ...consoleHandlers(
      () => consoleDeps().session,
      () => consoleDeps().inventory,
    ),
  };
}
