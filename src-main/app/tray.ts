/**
 * Tray icon whose tooltip and menu show registered / heartbeat / online state, fed by the agent's UI events.
 * Labels come from the pure trayLines() so they are testable without Electron.
 */
import { Menu, Tray, nativeImage } from 'electron';
import type { UiEvent } from '../../src-shared/ipc/channels.js';
import { trayLines, type TrayState } from './tray-state.js';

export function createTray(opts: { iconPath: string; onShow(): void; onQuit(): void }) {
  const tray = new Tray(nativeImage.createFromPath(opts.iconPath).resize({ width: 16, height: 16 }));
  const state: TrayState = { registered: false, heartbeat: 'stopped', online: null };
  const render = () => {
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
  };
  tray.on('click', opts.onShow);
  render();
  return {
    update(e: UiEvent) {
      if (e.type === 'device.status') {
        state.registered = e.data.registered;
        state.heartbeat = e.data.heartbeat;
      } else if (e.type === 'station.status') {
        state.online = e.data.online;
      } else return;
      render();
    },
    destroy: () => tray.destroy(),
  };
}
