/**
 * The agent's one error type. Every service method the UI calls throws an AgentError on failure; the IPC / web
 * bridge adapter turns it into `Result<T>`'s `{ok:false, error:{code, message}}`, and the CLI prints the
 * message on stderr. Messages are written for the operator (what happened + what to do) and never hold a secret.
 */
import type { ErrorCode } from '../../src-shared/errors.js';

/** Agent-side codes that have no HTTP status (local validation, local state, transport). */
export type AgentErrorCode =
  | ErrorCode
  | 'INVALID_TOKEN_FORMAT'
  | 'INVALID_DEVICE_KEY'
  | 'NOT_REGISTERED'
  | 'REREGISTRATION_NEEDED'
  | 'NETWORK_ERROR'
  /** The profile URL answers 404 where an Outpost server has routes: it leads to something else. */
  | 'WRONG_SERVER_URL'
  | 'SECRET_STORE_UNAVAILABLE'
  | 'SETTINGS_INVALID'
  /** station.db of a station that has run before is missing, empty, unreadable or foreign: the station stops. */
  | 'STATION_DB_UNUSABLE'
  /** The disk (or the station database's size limit) is full: the write was not made. */
  | 'STORAGE_FULL'
  | 'UNEXPECTED_RESPONSE';

export class AgentError extends Error {
  override readonly name: string = 'AgentError';
  constructor(
    readonly code: AgentErrorCode | string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function isAgentError(err: unknown): err is AgentError {
  return err instanceof AgentError;
}

/** A one-line, secret-free description of anything thrown (for logs and status fields). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
