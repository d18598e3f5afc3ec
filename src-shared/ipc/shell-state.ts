/**
 * What only the shell knows and the window must show: whether the embedded server came up (and why not), and
 * the server's one-time admin credentials from its first start. Kept off the agent channel map on purpose: the
 * password lives in the shell's memory until the operator dismisses it, is never logged and never written to
 * disk. The desktop preload exposes it as `window.outpostShell`; the headless web bridge serves the same state
 * behind its per-launch token (web-shell-bridge.ts), so an operator without the terminal sees it too. Headless,
 * the web UI also listens before the agent exists, so it carries the agent's phase and the one question the
 * agent may have to ask first (where its secrets go when there is no OS keyring).
 */
import type { Result } from '../result.js';

// Plain types, no zod here: the sandboxed preload bundles this file and stays small. The browser side validates
// with the schema in web-shell-bridge.ts.
export type StartupPhase = 'starting' | 'ready' | 'failed';

export interface AdminNotice {
  username: string;
  password: string;
}

/**
 * Headless only: the OS keyring could not be opened, and the agent waits for the operator to choose the
 * encrypted file store (it never picks it by itself).
 */
export interface SecretsChoice {
  /** Why the keyring is unusable, in words. */
  reason: string;
  /** Where the encrypted file store would keep the secrets (its key file sits next to it). */
  file_path: string;
  /** The flag that makes the same choice on the command line. */
  flag: '--secrets-file';
}

export type AgentPhase = 'waiting-for-secrets' | 'starting' | 'ready' | 'failed';

export interface ShellState {
  startup: { phase: StartupPhase; error: string | null };
  admin_notice: AdminNotice | null;
  /** Absent in the desktop shell: its agent exists before the window. */
  agent?: { phase: AgentPhase; error: string | null };
  secrets_choice?: SecretsChoice | null;
}

/** IPC names (same `outpost:` namespace as the channel map, distinct names). */
export const SHELL_STATE_CHANNEL = 'outpost:shell.state';
export const SHELL_DISMISS_NOTICE_CHANNEL = 'outpost:shell.dismissAdminNotice';
export const SHELL_STATE_EVENT = 'outpost:shell.changed';

/** The preload's `window.outpostShell`, and the headless web UI's equivalent. */
export interface ShellBridge {
  state(): Promise<Result<ShellState>>;
  dismissAdminNotice(): Promise<Result<ShellState>>;
  /** Headless only: the operator chose the encrypted file store (see SecretsChoice). */
  useSecretsFile?(): Promise<Result<ShellState>>;
  onChange(listener: (state: ShellState) => void): () => void;
}
