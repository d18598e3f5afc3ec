/**
 * The desktop composition root, in a fixed order: logging → session hardening and the app scheme → secrets (the
 * data dir's recorded backend; see secret-backend.ts) → createAgent (settings, station DB migrations, services
 * built; no network yet) → the agent stack shared with the headless UI (agent/startup.ts) → IPC → window and
 * tray → stack start: embedded server in a utilityProcess (if enabled; standalone on first start), timed out
 * with its cause shown in the window, then the agent services. The window comes before the server so a slow or
 * hung server child never makes an invisible app. Quit stops it all in reverse (startup.ts), flushing the
 * station DB and asking the server to close its database.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app, dialog, ipcMain, safeStorage, session, shell, type BrowserWindow } from 'electron';
import { createAgent } from '../agent/agent.js';
import { createLogger, initLogging } from '../agent/logging/logger.js';
import { openEncryptedFileStore } from '../agent/secrets/encrypted-file-store.js';
import { keyringServiceFor, openKeyringStore } from '../agent/secrets/keyring-store.js';
import type { SecretStore } from '../agent/secrets/secret-store.js';
import { settingsPath } from '../agent/settings/settings.js';
import { ensureDataDir } from '../../src-shared/data-dir.js';
import { assembleAgentStack } from '../agent/startup.js';
import { handleAppProtocol } from './app-protocol.js';
import { hardenSession, hardenWebContents } from './hardening.js';
import { forwardEvents, registerIpc } from './ipc-bridge.js';
import type { LaunchOptions } from './launch-options.js';
import { openRecordedSecrets } from './secret-backend.js';
import { appContentSecurityPolicy, isTrustedSender, type AppOrigin } from './security-policy.js';
import { registerShellIpc, ShellStatus } from './shell-status.js';
import { createTray } from './tray.js';
import { TrayStateMemo } from './tray-state.js';
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
  const serverEntry = 'dist/src-main/app/server-process.js';
  return {
    dataDir: app.getPath('userData'),
    preload: join(root, 'dist/preload/preload.cjs'),
    rendererIndex: join(root, 'dist/renderer/index.html'),
    // Prefer an unpacked copy when the packager put one next to the asar; utilityProcess reads the asar otherwise.
    serverScript:
      [unpacked, root].map((base) => join(base, serverEntry)).find((p) => existsSync(p)) ??
      join(root, serverEntry),
    icon: join(root, 'resources/icon.png'),
    trayIcon: join(root, 'resources/tray.png'),
  };
}

/** The operator chose Quit in a start-up question: nothing more to say, just exit. */
export class StartupCancelled extends Error {
  constructor() {
    super('start-up cancelled by the operator');
  }
}

/**
 * The data dir's secret store. When its recorded backend is unavailable now (keyring locked) the operator is
 * asked to fix it and retry, or to quit; the secrets are never moved to another backend on the way.
 */
async function openSecrets(dataDir: string, launch: LaunchOptions): Promise<SecretStore> {
  for (;;) {
    const result = await openRecordedSecrets({
      dataDir,
      secretsFileRequested: launch.secretsFile,
      keyringService: process.env.OUTPOST_KEYRING_SERVICE ?? keyringServiceFor(dataDir),
      allowBasicText: launch.allowInsecureSecretStorage,
      safeStorage,
      openKeyring: openKeyringStore,
      openEncryptedFile: () => openEncryptedFileStore(dataDir),
    });
    if (result.kind === 'opened') {
      if (result.warning) log.warn(result.warning);
      log.info({ backend: result.record.backend }, 'secret store opened');
      return result.store;
    }
    if (result.kind === 'refuse') {
      log.error(result.message);
      throw new Error(result.message);
    }
    log.warn({ backend: result.backend }, 'recorded secret backend unavailable: asking the operator');
    const { response } = await dialog.showMessageBox({
      type: 'warning',
      title: 'Outpost: secrets unavailable',
      message: 'Outpost cannot reach its secret store',
      detail: result.message,
      buttons: ['Retry', 'Quit'],
      defaultId: 0,
      cancelId: 1,
      noLink: true,
    });
    if (response !== 0) throw new StartupCancelled();
  }
}

export interface Shell {
  window(): BrowserWindow | null;
  showWindow(): void;
  /** Settles when the embedded server and the agent services have started (or failed to). */
  started: Promise<void>;
  shutdown(): Promise<void>;
}

export async function bootstrap(launch: LaunchOptions): Promise<Shell> {
  const paths = appPaths();
  // Before anything writes there: an unusable dir fails with its reason instead of spinning in mkdir.
  ensureDataDir(paths.dataDir);
  initLogging({ dataDir: paths.dataDir });
  const devServer = !app.isPackaged ? (process.env.OUTPOST_DEV_SERVER_URL ?? null) : null;
  const origin: AppOrigin = { rendererIndex: paths.rendererIndex, devServerOrigin: devServer };
  hardenSession(origin);
  hardenWebContents(origin);
  handleAppProtocol(
    session.defaultSession,
    join(paths.rendererIndex, '..'),
    appContentSecurityPolicy(devServer),
  );

  const secrets = await openSecrets(paths.dataDir, launch);
  const firstStart = !existsSync(settingsPath(paths.dataDir));
  const agent = await createAgent({ dataDir: paths.dataDir, secrets, logging: false });
  if (firstStart || launch.port !== null) {
    const current = agent.settings.get().embedded_server;
    agent.settings.update({
      embedded_server: { mode: firstStart ? 'local' : current.mode, port: launch.port ?? current.port },
    });
  }

  const status = new ShellStatus();
  const spawner = utilityServerSpawner({
    script: paths.serverScript,
    onAdminNotice: (notice) => {
      // The password itself goes to the window only (shell-status.ts), never to the log.
      log.info({ username: notice.username }, 'embedded server created its admin user (password shown once)');
      status.setAdminNotice(notice);
    },
  });
  const stack = assembleAgentStack({
    agent,
    spawner,
    app: {
      name: app.getName(),
      version: app.getVersion(),
      shell: 'electron',
      electron: process.versions.electron ?? null,
    },
    openLogsFolder: async (path) => (await shell.openPath(path)) === '',
  });
  const { api } = stack;
  const trayState = new TrayStateMemo();
  const offTray = api.onEvent((e) => trayState.apply(e));

  let win: BrowserWindow | null = null;
  const trusted = new Set<number>();
  const isTrusted = (event: Parameters<typeof isTrustedSender>[0]) => isTrustedSender(event, trusted, origin);
  const onRejected = (channel: string) => log.warn({ channel }, 'IPC from an untrusted sender ignored');
  const ourWindow = () => (win && !win.isDestroyed() ? win.webContents : null);
  const unregister = registerIpc(ipcMain, api, isTrusted, onRejected);
  const unregisterShell = registerShellIpc(ipcMain, status, isTrusted, ourWindow, onRejected);
  const offEvents = forwardEvents(api, ourWindow);

  const showWindow = () => {
    if (!win || win.isDestroyed()) {
      // Shown by its own ready-to-show (window.ts), so the first paint is the renderer, not a blank frame.
      win = createMainWindow({ origin, preloadPath: paths.preload, iconPath: paths.icon });
      const id = win.webContents.id;
      trusted.add(id);
      win.on('closed', () => {
        trusted.delete(id);
        win = null;
      });
      return;
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  showWindow();
  const tray = createTray({
    iconPath: paths.trayIcon,
    state: trayState,
    onShow: showWindow,
    onQuit: () => app.quit(),
  });

  const started = (async () => {
    const s = await stack.start();
    if (s.mode !== 'off' && !s.running) {
      status.setStartup('failed', s.last_error ?? 'The embedded server did not start: see the log');
    } else {
      status.setStartup('ready');
    }
    log.info({ data_dir: paths.dataDir, secrets: secrets.backend }, 'desktop shell ready');
  })();

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      spawner.abortStarting(); // a server still starting is asked to stop now, not after its start timeout
      await started.catch(() => undefined);
      offEvents();
      offTray();
      unregister();
      unregisterShell();
      await stack.stop();
      tray.destroy();
      log.info('desktop shell stopped');
    })());

  return { window: () => win, showWindow, started, shutdown };
}

export function fatal(message: string): void {
  dialog.showErrorBox('Outpost cannot start', message);
}
