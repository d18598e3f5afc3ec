/**
 * The shell's own state for the window (src-shared/ipc/shell-state.ts): the embedded server's start-up phase and
 * cause of failure, and the one-time admin password. The password stays in this object's memory until the
 * operator dismisses it in the window; it is never logged. IPC for it goes through the same trust check as the
 * agent channels.
 */
import {
  SHELL_DISMISS_NOTICE_CHANNEL,
  SHELL_STATE_CHANNEL,
  SHELL_STATE_EVENT,
  type AdminNotice,
  type ShellState,
  type StartupPhase,
} from '../../src-shared/ipc/shell-state.js';
import { ok } from '../../src-shared/result.js';
import { UNTRUSTED_SENDER, type IpcMainLike, type WebContentsLike } from './ipc-bridge.js';
import type { IpcEventLike } from './security-policy.js';

export class ShellStatus {
  private state: ShellState = { startup: { phase: 'starting', error: null }, admin_notice: null };
  private readonly listeners = new Set<(s: ShellState) => void>();

  get(): ShellState {
    return {
      startup: { ...this.state.startup },
      admin_notice: this.state.admin_notice ? { ...this.state.admin_notice } : null,
    };
  }

  setStartup(phase: StartupPhase, error: string | null = null): void {
    this.state = { ...this.state, startup: { phase, error } };
    this.emit();
  }

  setAdminNotice(notice: AdminNotice): void {
    this.state = { ...this.state, admin_notice: { ...notice } };
    this.emit();
  }

  dismissAdminNotice(): void {
    if (!this.state.admin_notice) return;
    this.state = { ...this.state, admin_notice: null };
    this.emit();
  }

  onChange(listener: (s: ShellState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    const s = this.get();
    for (const l of [...this.listeners]) l(s);
  }
}

/** The two shell channels (read, dismiss) and the push to our window; returns the unregister function. */
export function registerShellIpc(
  ipcMain: IpcMainLike,
  status: ShellStatus,
  isTrusted: (event: IpcEventLike) => boolean,
  target: () => WebContentsLike | null,
  onRejected?: (channel: string) => void,
): () => void {
  ipcMain.handle(SHELL_STATE_CHANNEL, async (event) => {
    if (!isTrusted(event)) {
      onRejected?.(SHELL_STATE_CHANNEL);
      return UNTRUSTED_SENDER;
    }
    return ok(status.get());
  });
  ipcMain.handle(SHELL_DISMISS_NOTICE_CHANNEL, async (event) => {
    if (!isTrusted(event)) {
      onRejected?.(SHELL_DISMISS_NOTICE_CHANNEL);
      return UNTRUSTED_SENDER;
    }
    status.dismissAdminNotice();
    return ok(status.get());
  });
  const off = status.onChange((s) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(SHELL_STATE_EVENT, s);
  });
  return () => {
    off();
    ipcMain.removeHandler(SHELL_STATE_CHANNEL);
    ipcMain.removeHandler(SHELL_DISMISS_NOTICE_CHANNEL);
  };
}
