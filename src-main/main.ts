/**
 * Electron entry point: single-instance lock, then the ordered bootstrap (src-main/app/bootstrap.ts). Quitting
 * waits for the agent to flush and close before the process exits. Cannot run on the build machines (no
 * Electron binary): `npm start` falls back to the headless web UI there.
 */
import { app } from 'electron';
import { bootstrap, fatal, type Shell } from './app/bootstrap.js';

// Keep Chromium from reaching out on its own (the app talks only to the servers the operator configured).
app.commandLine.appendSwitch('disable-background-networking');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let shell: Shell | null = null;
  let quitting = false;

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
      shell = await bootstrap();
    })
    .catch((err: unknown) => {
      fatal(err instanceof Error ? err.message : String(err));
      app.exit(1);
    });
}
