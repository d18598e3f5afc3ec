/**
 * The shell's own state for the window (src-shared/ipc/shell-state.ts): the embedded server's start-up phase and
 * cause of failure, and the one-time admin password. The password stays in this object's memory until the
 * operator dismisses it in the window; it is never logged. IPC for it goes through the same trust check as the
 * agent channels. The headless web UI uses the same object (served by its bridge), plus the agent's phase and the
 * secret-store question it may have to ask before the agent exists.
 */
import {
  SHELL_DISMISS_NOTICE_CHANNEL,
  SHELL_STATE_CHANNEL,
  SHELL_STATE_EVENT,
  type AdminNotice,
  type AgentPhase,
  type SecretsChoice,
  type ShellState,
  type StartupPhase,
} from '../../src-shared/ipc/shell-state.js';
import { ok } from '../../src-shared/result.js';
import { UNTRUSTED_SENDER, type IpcMainLike, type WebContentsLike } from './ipc-bridge.js';
import type { IpcEventLike } from './security-policy.js';

export class ShellStatus {
  private state: ShellState = { startup: { phase: 'starting', error: null }, admin_notice: null };
  private readonly listeners = new Set<(s: ShellState) => void>();
  private secretsChosen: (() => void) | null = null;

  get(): ShellState {
    const s = this.state;
    return {
      startup: { ...s.startup },
      admin_notice: s.admin_notice ? { ...s.admin_notice } : null,
      ...(s.agent ? { agent: { ...s.agent } } : {}),
      ...(s.secrets_choice !== undefined
        ? { secrets_choice: s.secrets_choice ? { ...s.secrets_choice } : null }
        : {}),
    };
  }

  setAgent(phase: AgentPhase, error: string | null = null): void {
    this.state = { ...this.state, agent: { phase, error } };
    this.emit();
  }

  /** Shows the question and settles once the operator chose the encrypted file store (chooseSecretsFile). */
  askForSecretsFile(choice: SecretsChoice): Promise<void> {
    this.state = {
      ...this.state,
      secrets_choice: { ...choice },
      agent: { phase: 'waiting-for-secrets', error: null },
    };
    this.emit();
    return new Promise<void>((resolve) => {
      this.secretsChosen = resolve;
    });
  }

  /** The operator's explicit choice; false when nothing was asked (a stale page, a second click). */
  chooseSecretsFile(): boolean {
    const done = this.secretsChosen;
    if (!done) return false;
    this.secretsChosen = null;
    this.state = { ...this.state, secrets_choice: null, agent: { phase: 'starting', error: null } };
    this.emit();
    done();
    return true;
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
