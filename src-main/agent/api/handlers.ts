/**
 * One handler per channel: the input is already parsed by the channel's schema; the return value is checked
 * against the output schema by api.ts. The mapped type makes the compiler insist on a handler for every
 * channel in the map, with the right input and output types.
 */
import type { Channel, ChannelOutput, Channels, SettingsView } from '../../../src-shared/ipc/channels.js';
import type { z } from 'zod';
import { AdminClient } from '../admin/admin-client.js';
import type { ServerController } from '../admin/embedded-server.js';
import { AgentError, describeError } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { SECRET_ACCOUNTS } from '../secrets/secret-store.js';
import type { AgentLike } from './agent-like.js';
import { logsDir, tailLog } from './logs-tail.js';
import * as map from './mappers.js';

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
  agent: AgentLike;
  app: AppInfoBase;
  server?: ServerController;
  admin?: AdminClient;
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
  const station = () =>
    agent.station ??
    (() => {
      throw notAvailable('The station');
    })();
  const license = () =>
    agent.license ??
    (() => {
      throw notAvailable('Licensing');
    })();
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
  const deviceStatus = async () => agent.device.status();
  const stationStatus = async () => map.toStationStatus(await station().status());
  const queue = async () => map.toQueueSnapshot(await station().queue());
  let uiOpen = 0;

  async function settingsView(): Promise<SettingsView> {
    const s = agent.settings.get();
    const profiles = await Promise.all(
      s.profiles.map(async (p) => ({
        name: p.name,
        base_url: p.base_url,
        timeout: p.timeout,
        retries: p.retries,
        verify_tls: p.verify_tls,
        has_token: (await agent.secrets.get(SECRET_ACCOUNTS.profileToken(p.name))) !== null,
      })),
    );
    return {
      active: s.active,
      profiles,
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
    'device.heartbeatNow': async () => {
      const r = (await agent.device.heartbeatNow()) as {
        ok?: unknown;
        message?: unknown;
        latency_ms?: unknown;
      };
      return {
        ok: r.ok === true,
        message: typeof r.message === 'string' ? r.message : '',
        latency_ms: typeof r.latency_ms === 'number' ? r.latency_ms : null,
      };
    },
    'device.ownKey': async () => {
      const k = await agent.device.ownDeviceKey();
      const key = typeof k === 'string' ? k : (k as { device_key?: unknown } | null)?.device_key;
      if (typeof key !== 'string') throw new AgentError('UNEXPECTED_RESPONSE', 'No device key available');
      return { device_key: key };
    },

    'station.login': async ({ username, password }) => {
      await station().login(username, password);
      return stationStatus();
    },
    'station.logout': async () => {
      await station().logout();
      return stationStatus();
    },
    'station.recordCopy': async ({ client_id, uid }) =>
      map.toCopyReceipt(await station().recordCopy(client_id, uid)),
    'station.syncNow': async () => map.toSyncResult(await station().syncNow()),
    'station.queue': queue,
    'station.quotas': async () => map.toQuotas(await station().quotas()),
    'station.retry': async ({ uuid }) => {
      await station().retry(uuid);
      return queue();
    },
    'station.dismiss': async ({ uuid }) => {
      await station().dismiss(uuid);
      return queue();
    },
    'station.undoDismiss': async ({ uuid }) => {
      await station().undoDismiss(uuid);
      return queue();
    },
    'station.status': stationStatus,

    'license.activate': async ({ license_key, email }) =>
      map.toLicenseStatus(await license().activate(license_key, email)),
    'license.deactivate': async () => {
      await license().deactivate();
      return map.toLicenseStatus(await license().status());
    },
    'license.status': async () => map.toLicenseStatus(await license().status()),
    'license.checkNow': async () => map.toLicenseStatus(await license().checkNow()),

    'settings.get': settingsView,
    'settings.update': async (patch) => {
      const before = agent.settings.get().profiles.map((p) => p.name);
      const { public_ip_url, ...rest } = patch;
      agent.settings.update({
        ...rest,
        ...(public_ip_url !== undefined ? { public_ip_url: public_ip_url ?? undefined } : {}),
      });
      // A removed profile takes its token out of the keyring with it.
      const after = new Set(agent.settings.get().profiles.map((p) => p.name));
      for (const name of before.filter((n) => !after.has(n))) {
        await agent.secrets.delete(SECRET_ACCOUNTS.profileToken(name));
      }
      return settingsView();
    },
    'settings.setProfileToken': async ({ profile, token }) => {
      if (!agent.settings.get().profiles.some((p) => p.name === profile)) {
        throw new AgentError('NOT_FOUND', `No profile named '${profile}'`);
      }
      const account = SECRET_ACCOUNTS.profileToken(profile);
      if (token === null) await agent.secrets.delete(account);
      else await agent.secrets.set(account, token);
      return { profile, has_token: token !== null };
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
        Promise.resolve(agent.device.startPluginHeartbeat()).catch((err: unknown) =>
          log.warn({ err: describeError(err) }, 'plugin heartbeat did not start'),
        );
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
  };
}
