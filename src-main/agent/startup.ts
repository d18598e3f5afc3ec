/**
 * The one ordered start-up both composition roots share (the Electron shell in src-main/app/bootstrap.ts and
 * the headless web UI in src-main/cli/web-ui/run.ts). What differs between them stays with them: how secrets
 * are opened, which process hosts the embedded server (the spawner), and the transport (IPC + window, or the
 * web bridge). The order is fixed here:
 *
 *   assemble (no network): embedded-server control + admin client + the agent API over the built agent
 *   → the shell attaches its transport (so a slow or hung server child never makes an invisible app)
 *   → start(): embedded server from settings → agent services (heartbeats, station, license)
 *   → stop(), in reverse: admin sampler → agent services (station.db flushed) → embedded server.
 */
import type { ServerStatus } from '../../src-shared/ipc/channels.js';
import { AdminClient } from './admin/admin-client.js';
import { ConsoleSession } from './admin/console-session.js';
import { InventoryClient } from './admin/inventory-client.js';
import { EmbeddedServer, type ServerSpawner } from './admin/embedded-server.js';
import type { Agent } from './agent.js';
import { createAgentApi, type AgentApi, type AppInfoBase } from './api.js';
import { createLogger } from './logging/logger.js';

const log = createLogger('startup');

export interface AgentStackOptions {
  agent: Agent;
  spawner: ServerSpawner;
  app: AppInfoBase;
  openLogsFolder?: (path: string) => Promise<boolean>;
  env?: NodeJS.ProcessEnv;
}

export interface AgentStack {
  agent: Agent;
  server: EmbeddedServer;
  admin: AdminClient;
  api: AgentApi;
  /** Embedded server (as settings say) then the agent's services; answers the server's status. */
  start(): Promise<ServerStatus>;
  /** Reverse order; safe to call twice or before start() finished. */
  stop(): Promise<void>;
}

export function assembleAgentStack(opts: AgentStackOptions): AgentStack {
  const { agent } = opts;
  const server: EmbeddedServer = new EmbeddedServer(agent, opts.spawner, {
    onReady: () => admin.sampler.start(),
    onStopped: () => admin.sampler.stop(),
  });
  // The console administers the server the active profile points at: the embedded one with its own key, any
  // other after the operator signs in.
  const session = new ConsoleSession({
    targetUrl: () => {
      try {
        return agent.settings.activeProfile().base_url;
      } catch {
        return null;
      }
    },
    embedded: () => server.adminEndpoint(),
    secrets: agent.secrets,
  });
  const admin: AdminClient = new AdminClient(() => session.endpoint());
  const api = createAgentApi({
    agent,
    app: opts.app,
    server,
    admin,
    console: { session, inventory: new InventoryClient(admin.http) },
    openLogsFolder: opts.openLogsFolder,
    env: opts.env,
  });

  let starting: Promise<ServerStatus> | undefined;
  let stopping: Promise<void> | undefined;
  const start = () =>
    (starting ??= (async () => {
      const status = await server.startFromSettings();
      await agent.start();
      log.info({ server: status.running ? status.url : status.mode }, 'agent stack started');
      return status;
    })());
  const stop = () =>
    (stopping ??= (async () => {
      await starting?.catch(() => undefined);
      admin.sampler.stop();
      await agent.stop(); // heartbeats off, station sync settles, station.db closed
      await server.stop(); // asks the server to close its database; kill() only after the grace period
    })());
  return { agent, server, admin, api, start, stop };
}
