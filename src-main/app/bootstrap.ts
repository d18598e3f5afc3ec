/**
 * The desktop composition root, in a fixed order: logging → secrets (keyring, else safeStorage, never
 * basic_text without opt-in) → createAgent (settings, station DB migrations, services built; no network yet) →
 * embedded server in a utilityProcess (if enabled; standalone on first start) → agent services started → IPC
 * → window and tray. Quit stops it all in reverse, flushing the station DB.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app, dialog, ipcMain, safeStorage, shell, type BrowserWindow } from 'electron';
import { AdminClient } from '../agent/admin/admin-client.js';
import { EmbeddedServer } from '../agent/admin/embedded-server.js';
import { createAgent, type Agent } from '../agent/agent.js';
import { createAgentApi } from '../agent/api.js';
import { createLogger, initLogging } from '../agent/logging/logger.js';
import { openSecretStore, type SecretStore } from '../agent/secrets/secret-store.js';
import { settingsPath } from '../agent/settings/settings.js';
import { hardenSession, hardenWebContents } from './hardening.js';
import { forwardEvents, registerIpc } from './ipc-bridge.js';
import { chooseSecretBackend, SafeStorageSecretStore } from './secret-backend.js';
import { isTrustedSender, type AppOrigin } from './security-policy.js';
import { createTray } from './tray.js';
import { utilityServerSpawner } from './utility-server.js';
import { createMainWindow } from './window.js';

const log = createLogger('shell');

export interface AppPaths {
  dataDir: string;
  preload: string;
  rendererIndex: string;
  serverScript: string;
  icon: string;
  trayIcon: string;
}

export function appPaths(): AppPaths {
  const root = app.getAppPath();
  const unpacked = root.replace(/app\.asar$/, 'app.asar.unpacked');
  return {
    dataDir: app.getPath('userData'),
    preload: join(root, 'dist/preload/preload.cjs'),
    rendererIndex: join(root, 'dist/renderer/index.html'),
    // Prefer an unpacked copy when the packager put one next to the asar; utilityProcess reads the asar otherwise.
    serverScript:
      [unpacked, root]
        .map((base) => join(base, 'dist/src-main/cli/web-ui/server-child.js'))
        .find((p) => existsSync(p)) ?? join(root, 'dist/src-main/cli/web-ui/server-child.js'),
    icon: join(root, 'resources/icon.png'),
    trayIcon: join(root, 'resources/tray.png'),
  };
}

async function openSecrets(dataDir: string): Promise<SecretStore> {
  let keyringError: unknown = null;
  try {
    return await openSecretStore({ dataDir });
  } catch (err) {
    keyringError = err;
  }
  const allowBasicText =
    app.commandLine.hasSwitch('allow-insecure-secret-storage') ||
    process.env.OUTPOST_ALLOW_BASIC_TEXT === '1';
  const choice = chooseSecretBackend({ keyringAvailable: false, safeStorage, allowBasicText });
  if (choice.kind === 'refuse') {
    log.error({ keyring: String(keyringError) }, choice.message);
    throw new Error(choice.message);
  }
  if (choice.kind === 'safe-storage' && choice.warning) log.warn(choice.warning);
  log.info('OS keyring unavailable: secrets encrypted with safeStorage');
  return new SafeStorageSecretStore(dataDir, safeStorage);
}

export interface Shell {
  agent: Agent;
  window(): BrowserWindow | null;
  showWindow(): void;
  shutdown(): Promise<void>;
}

export async function bootstrap(): Promise<Shell> {
  const paths = appPaths();
  initLogging({ dataDir: paths.dataDir });
  const devServer = !app.isPackaged ? (process.env.OUTPOST_DEV_SERVER_URL ?? null) : null;
  const origin: AppOrigin = { rendererIndex: paths.rendererIndex, devServerOrigin: devServer };
  hardenSession(origin);
  hardenWebContents(origin);

  const secrets = await openSecrets(paths.dataDir);
  const firstStart = !existsSync(settingsPath(paths.dataDir));
  const agent = await createAgent({ dataDir: paths.dataDir, secrets, logging: false });
  if (firstStart) {
    const { port } = agent.settings.get().embedded_server;
    agent.settings.update({ embedded_server: { mode: 'local', port } });
  }

  const admin: AdminClient = new AdminClient(() => server.adminEndpoint());
  const server = new EmbeddedServer(agent, utilityServerSpawner({ script: paths.serverScript }), {
    onReady: () => admin.sampler.start(),
    onStopped: () => admin.sampler.stop(),
  });
  await server.startFromSettings();
  await agent.start();

  const api = createAgentApi({
    agent,
    app: {
      name: app.getName(),
      version: app.getVersion(),
      shell: 'electron',
      electron: process.versions.electron ?? null,
    },
    server,
    admin,
    openLogsFolder: async (path) => (await shell.openPath(path)) === '',
  });

  let win: BrowserWindow | null = null;
  const trusted = new Set<number>();
  const unregister = registerIpc(
    ipcMain,
    api,
    (event) => isTrustedSender(event, trusted, origin),
    (channel) => log.warn({ channel }, 'IPC from an untrusted sender ignored'),
  );
  const offEvents = forwardEvents(api, () => (win && !win.isDestroyed() ? win.webContents : null));

  const showWindow = () => {
    if (!win || win.isDestroyed()) {
      win = createMainWindow({ origin, preloadPath: paths.preload, iconPath: paths.icon });
      const id = win.webContents.id;
      trusted.add(id);
      win.on('closed', () => {
        trusted.delete(id);
        win = null;
      });
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      offEvents();
      unregister();
      admin.sampler.stop();
      await agent.stop(); // heartbeats off, station sync settles, station.db closed
      await server.stop();
      tray.destroy();
    })());

  const tray = createTray({ iconPath: paths.trayIcon, onShow: showWindow, onQuit: () => app.quit() });
  api.onEvent((e) => tray.update(e));
  showWindow();
  log.info({ data_dir: paths.dataDir, secrets: secrets.backend }, 'desktop shell ready');
  return { agent, window: () => win, showWindow, shutdown };
}

export function fatal(message: string): void {
  dialog.showErrorBox('Outpost cannot start', message);
}
