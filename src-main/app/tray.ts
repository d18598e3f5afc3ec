/**
 * Tray icon whose tooltip and menu show registered / heartbeat / online state. Labels come from the pure
 * trayLines() and the state from a TrayStateMemo that has followed the events since start-up.
 */
import { Menu, Tray, nativeImage } from 'electron';
import { trayLines, type TrayStateMemo } from './tray-state.js';

export function createTray(opts: { iconPath: string; state: TrayStateMemo; onShow(): void; onQuit(): void }) {
  const tray = new Tray(nativeImage.createFromPath(opts.iconPath).resize({ width: 16, height: 16 }));
  tray.on('click', opts.onShow);
  opts.state.follow((state) => {
    if (tray.isDestroyed()) return;
    const lines = trayLines(state);
    tray.setToolTip(lines.join('\n'));
    tray.setContextMenu(
      Menu.buildFromTemplate([
        ...lines.map((label) => ({ label, enabled: false })),
        { type: 'separator' },
        { label: 'Show Outpost', click: opts.onShow },
        { label: 'Quit', click: opts.onQuit },
      ]),
    );
  });
  return { destroy: () => tray.destroy() };
}
