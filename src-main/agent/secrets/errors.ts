/**
 * Secret store failures (kept apart from secret-store.ts so the backends import them without a cycle). Both are
 * AgentErrors, so the UI adapter passes their code and one-line message through instead of a generic error.
 */
import { AgentError } from '../errors.js';

/** The keyring cannot be used. The message is one line: what is wrong and what to do. */
export class SecretStoreUnavailableError extends AgentError {
  override readonly name: string = 'SecretStoreUnavailableError';
  declare readonly code: 'SECRET_STORE_UNAVAILABLE';
  constructor(message: string) {
    super('SECRET_STORE_UNAVAILABLE', message);
  }
}

/** The encrypted secrets file failed authentication (edited, truncated, or the key file does not match). */
export class SecretStoreCorruptError extends AgentError {
  override readonly name: string = 'SecretStoreCorruptError';
  declare readonly code: 'SECRET_STORE_CORRUPT';
  constructor(message: string) {
    super('SECRET_STORE_CORRUPT', message);
  }
}
