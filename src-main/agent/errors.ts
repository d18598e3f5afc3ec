/**
 * The agent's one error type and its code catalogue (code → default operator message → CLI exit code), in the
 * spirit of the server's src-shared/errors.ts. Every service method the UI calls throws an AgentError on failure;
 * the IPC / web bridge adapter turns it into `Result<T>`'s `{ok:false, error:{code, message}}`, and the CLI
 * prints the message on stderr and exits with the code's exit status. Messages are written for the operator
 * (what happened + what to do) and never hold a secret. A code is picked from the catalogue, never invented at
 * the throw site, so the UI and scripts can rely on the set.
 */
import { ERRORS, isErrorCode, type ErrorCode } from '../../src-shared/errors.js';

/** Exit status of the headless CLI: 2 = the command line itself is wrong (README), 1 = anything else. */
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

interface AgentErrorDef {
  message: string;
  /** CLI exit status (default EXIT_FAILURE). */
  exit?: number;
}

/** Agent-side codes that have no HTTP status (local validation, local state, transport). */
export const AGENT_ERRORS = {
  /** A command-line flag is missing, unknown or has a bad value (the message names the flag). */
  USAGE: { message: 'Invalid command line: see --help', exit: EXIT_USAGE },
  INVALID_TOKEN_FORMAT: {
    message: 'Invalid registration token: a token is exactly 6 hexadecimal characters (e.g. ABC123)',
  },
  INVALID_DEVICE_KEY: { message: 'Invalid device key: use 3-64 characters of A-Z a-z 0-9 . _ -' },
  NOT_REGISTERED: { message: 'Device is not registered: register it with a token first' },
  REREGISTRATION_NEEDED: { message: 'The server no longer accepts this device: register it again' },
  NETWORK_ERROR: { message: 'The server did not answer: check the network and the profile URL' },
  /** The profile URL answers 404 where an Outpost server has routes: it leads to something else. */
  WRONG_SERVER_URL: { message: 'The profile URL does not lead to an Outpost server: check it in Settings' },
  SECRET_STORE_UNAVAILABLE: { message: 'The secret store (OS keyring) cannot be used' },
  /** The encrypted secrets file failed authentication (edited, truncated, or the key file does not match). */
  SECRET_STORE_CORRUPT: { message: 'The encrypted secrets file cannot be read' },
  SETTINGS_INVALID: { message: 'Invalid settings' },
  /** station.db of a station that has run before is missing, empty, unreadable or foreign: the station stops. */
  STATION_DB_UNUSABLE: { message: 'The station database cannot be used' },
  /** The disk (or the station database's size limit) is full: the write was not made. */
  STORAGE_FULL: { message: 'The disk is full: nothing was written' },
  /** The station has no valid login: copies stay queued until someone logs in. */
  LOGIN_REQUIRED: { message: 'Log in to sync (copies stay queued)' },
  UNEXPECTED_RESPONSE: { message: 'The server answered something this agent does not understand' },
  /** The service behind a UI call is not part of this agent. */
  NOT_AVAILABLE: { message: "Not available in this agent: check the agent's start-up log" },
  /** The admin console needs the embedded server running with its API key. */
  ADMIN_UNAVAILABLE: { message: 'The server admin needs the embedded server: turn it on in Settings' },
  /** The console's sign-in to a server is missing, expired or no longer accepted: the operator signs in again. */
  SIGNED_OUT: { message: 'Signed out: sign in again' },
  /** A risky action (LAN exposure, reset) was asked for without its explicit confirmation. */
  CONFIRMATION_REQUIRED: { message: 'This action needs an explicit confirmation' },
} as const satisfies Record<string, AgentErrorDef>;

/** Every code an AgentError may carry: the agent's own, plus the server's (relayed from its answers). */
export type AgentErrorCode = keyof typeof AGENT_ERRORS | ErrorCode;

export function isAgentErrorCode(value: unknown): value is AgentErrorCode {
  return (
    isErrorCode(value) ||
    (typeof value === 'string' && Object.prototype.hasOwnProperty.call(AGENT_ERRORS, value))
  );
}

/** A code from a server's answer, kept when it is in the catalogue; anything else is a plain server error. */
export function relayedCode(value: unknown, fallback: AgentErrorCode = 'SERVER_ERROR'): AgentErrorCode {
  return isAgentErrorCode(value) ? value : fallback;
}

export function defaultMessage(code: AgentErrorCode): string {
  return (isErrorCode(code) ? ERRORS[code] : AGENT_ERRORS[code]).message;
}

export function exitCodeFor(code: AgentErrorCode): number {
  const def: AgentErrorDef | undefined = isErrorCode(code) ? undefined : AGENT_ERRORS[code];
  return def?.exit ?? EXIT_FAILURE;
}

export class AgentError extends Error {
  override readonly name: string = 'AgentError';
  constructor(
    readonly code: AgentErrorCode,
    message?: string,
    readonly details?: unknown,
  ) {
    super(message ?? defaultMessage(code));
  }
}

export function isAgentError(err: unknown): err is AgentError {
  return err instanceof AgentError;
}

/** A command-line mistake; the message names the flag (`--client must be a positive whole number`). */
export function usageError(message: string): AgentError {
  return new AgentError('USAGE', message);
}

/** A one-line, secret-free description of anything thrown (for logs and status fields). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
