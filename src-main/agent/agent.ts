/**
 * The agent's composition root. Order matters and is fixed: data dir → logging → settings → secrets → events →
 * services. Nothing here talks to the network until start(). The Electron shell (main.ts) and the headless CLI
 * both build the agent through createAgent, so there is one wiring for both.
 */
import { DeviceService, type DeviceTimingOverrides } from './device/device-service.js';
import { ensureDataDir } from '../../src-shared/data-dir.js';
import { AgentEvents } from './events.js';
import { LicenseService } from './license/license-service.js';
import { createLogger, initLogging } from './logging/logger.js';
import { openSecretStore, type SecretStore } from './secrets/secret-store.js';
import { SettingsStore } from './settings/settings.js';
import { StationService, type StationServiceOptions } from './station/station-service.js';
import { clockFilePath, ServerClock } from './time/server-clock.js';

export interface AgentOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Opt in to the encrypted file store instead of the OS keyring (headless machines without one). */
  secretsFile?: boolean;
  /** Keyring service name (default 'outpost'; tests pass a unique one). */
  keyringService?: string;
  /** Overrides the active profile's base URL for this run (like OUTPOST_SERVER_URL). */
  serverUrl?: string;
  /** A ready secret store (e.g. createMemorySecretStore() for throwaway tools); skips openSecretStore. */
  secrets?: SecretStore;
  /** false = leave logging as it is (the caller set it up); default: <dataDir>/logs/app.log. */
  logging?: false | { level?: string; stdout?: boolean };
  /** Heartbeat timing overrides (tests and the bench); normally the settings decide. */
  timings?: DeviceTimingOverrides;
  /** The server-time estimate (tests inject one over a moved local clock); default: clock.json in the data dir. */
  clock?: ServerClock;
  /** Station timing overrides (tests): push delay and its timers, sync and health intervals, realtime. */
  station?: Pick<
    StationServiceOptions,
    'pushDelayMs' | 'timers' | 'syncIntervalMs' | 'healthIntervalMs' | 'realtime'
  >;
}

export interface Agent {
  dataDir: string;
  settings: SettingsStore;
  secrets: SecretStore;
  events: AgentEvents;
  device: DeviceService;
  station: StationService;
  license: LicenseService;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The agent's services without its lifecycle: what the UI adapter and the embedded-server control use. */
export type AgentServices = Omit<Agent, 'start' | 'stop'>;

export async function createAgent(opts: AgentOptions): Promise<Agent> {
  const dataDir = ensureDataDir(opts.dataDir);
  if (opts.logging !== false) initLogging({ dataDir, ...(opts.logging ?? {}) });
  const log = createLogger('agent');

  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  if (opts.serverUrl) env.OUTPOST_SERVER_URL = opts.serverUrl;
  const settings = SettingsStore.open(dataDir, env);
  const secrets =
    opts.secrets ??
    (await openSecretStore({ dataDir, secretsFile: opts.secretsFile, service: opts.keyringService }));
  const events = new AgentEvents();
  // One estimate of the server's time for everything that judges server-issued expiries.
  const clock = opts.clock ?? new ServerClock({ file: clockFilePath(dataDir) });
  const device = new DeviceService({
    dataDir,
    settings,
    secrets,
    events,
    timings: opts.timings,
    // Heartbeats every minute keep the server-time estimate fresh between the hourly license checks.
    http: { onServerDate: (date) => clock.observeDateHeader(date) },
  });
  const profile = settings.activeProfile();
  const station = new StationService({
    dataDir,
    secrets,
    events,
    serverUrl: () => settings.activeProfile().base_url,
    timeoutMs: profile.timeout * 1000,
    verifyTls: profile.verify_tls,
    nfcPort: env.OUTPOST_NFC_PORT ? Number(env.OUTPOST_NFC_PORT) : undefined,
    clock,
    ...opts.station,
  });
  const license = new LicenseService({ dataDir, settings, events, secrets, clock });
  // The server announces a license change (revoked, extended) on the device's socket: check at once instead
  // of showing the old verdict until the hourly check.
  events.on((e) => {
    if (e.type !== 'realtime' || e.data.event !== 'license_updated') return;
    const id = (e.data.data as { license_id?: unknown } | null)?.license_id;
    if (typeof id !== 'string' || !license.holds(id)) return;
    license
      .checkNow()
      .catch((err: unknown) => log.warn({ err }, 'license check after license_updated failed'));
  });

  let started = false;
  const agent: Agent = {
    dataDir,
    settings,
    secrets,
    events,
    device,
    station,
    license,
    async start() {
      if (started) return;
      started = true;
      log.info(
        { data_dir: dataDir, server: settings.activeProfile().base_url, secrets: secrets.backend },
        'agent starting',
      );
      await device.start();
      await license.start();
      await station.start();
    },
    async stop() {
      if (!started) return;
      started = false;
      // Reverse order of start; one failing service must not keep the others running.
      const results = await Promise.allSettled([station.stop(), device.stop(), license.stop()]);
      for (const r of results)
        if (r.status === 'rejected') log.warn({ err: r.reason }, 'service stop failed');
      log.info('agent stopped');
    },
  };
  return agent;
}
