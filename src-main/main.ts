/**
 * Electron entry point: launch flags (a data dir of its own comes before the single-instance lock, which is per
 * userData dir), the app scheme's privileges (fixed before ready), then the ordered bootstrap
 * (src-main/app/bootstrap.ts). Quitting waits for the agent to flush and the embedded server to close its
 * database before the process exits. Cannot run on the build machines (no Electron binary): `npm start` falls back
 * to the headless web UI there; tests/app/boot.test.ts runs this file under Node against a stub `electron`.
 */
import { app } from 'electron';
import { registerAppScheme } from './app/app-protocol.js';
import { bootstrap, fatal, StartupCancelled, type Shell } from './app/bootstrap.js';
import { parseLaunchOptions, type LaunchOptions } from './app/launch-options.js';

// Keep Chromium from reaching out on its own (the app talks only to the servers the operator configured).
app.commandLine.appendSwitch('disable-background-networking');

let launch: LaunchOptions | null = null;
try {
  // Packaged: argv is [exe, ...flags]; from a checkout: [electron, appDir, ...flags].
  launch = parseLaunchOptions(process.argv.slice(app.isPackaged ? 1 : 2), process.env);
  if (launch.dataDir) app.setPath('userData', launch.dataDir);
  registerAppScheme();
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  void app.whenReady().then(() => {
    fatal(message);
    app.exit(2);
  });
}

if (!launch) {
  // reported above once the app is ready
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let shell: Shell | null = null;
  let quitting = false;
  const options = launch;

  app.on('second-instance', () => shell?.showWindow());
  // The tray keeps the agent (heartbeats, station) running when the window is closed.
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => shell?.showWindow());
  app.on('before-quit', (event) => {
    if (quitting || !shell) return;
    event.preventDefault();
    quitting = true;
    void shell
      .shutdown()
      .catch(() => undefined)
      .finally(() => app.quit());
  });

  app
    .whenReady()
    .then(async () => {
      shell = await bootstrap(options);
      await shell.started;
    })
    .catch((err: unknown) => {
      if (!(err instanceof StartupCancelled)) fatal(err instanceof Error ? err.message : String(err));
      app.exit(1);
    });
}
