/**
 * What only the desktop shell knows and the window must show: whether the embedded server came up (and why not),
 * and the server's one-time admin password from its first start. Kept off the agent channel map on purpose: the
 * password lives in main's memory until the operator dismisses it, is never logged, never written to disk and
 * never offered to the headless web bridge. The preload exposes it as `window.outpostShell`.
 */
import type { Result } from '../result.js';

export type StartupPhase = 'starting' | 'ready' | 'failed';

export interface AdminNotice {
  username: string;
  password: string;
}

export interface ShellState {
  startup: { phase: StartupPhase; error: string | null };
  admin_notice: AdminNotice | null;
}

/** IPC names (same `outpost:` namespace as the channel map, distinct names). */
export const SHELL_STATE_CHANNEL = 'outpost:shell.state';
export const SHELL_DISMISS_NOTICE_CHANNEL = 'outpost:shell.dismissAdminNotice';
export const SHELL_STATE_EVENT = 'outpost:shell.changed';

/** The preload's `window.outpostShell`. */
export interface ShellBridge {
  state(): Promise<Result<ShellState>>;
  dismissAdminNotice(): Promise<Result<ShellState>>;
  onChange(listener: (state: ShellState) => void): () => void;
}
