/** The main window: secure webPreferences, our renderer only, shown when ready (no white flash). */
import { BrowserWindow } from 'electron';
import { rendererUrl, type AppOrigin } from './security-policy.js';

export function createMainWindow(opts: {
  origin: AppOrigin;
  preloadPath: string;
  iconPath: string;
}): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 820,
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'Outpost',
    icon: opts.iconPath,
    autoHideMenuBar: true,
    // Written out here (not built by a helper) so electronegativity and reviewers see every flag at the call site;
    // tests/app/security-policy.test.ts reads this file to keep it that way.
    webPreferences: {
      preload: opts.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(rendererUrl(opts.origin));
  return win;
}
