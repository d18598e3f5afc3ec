/**
 * Where the agent keeps its secrets (device secret, station JWT, license pin, the embedded server's admin key). The OS keyring is the default and the
 * only automatic choice: when it is unreachable we fail with one clear line and never fall back to plaintext.
 * Headless machines without a Secret Service opt in to the encrypted file store (`--secrets-file`). The memory
 * store exists only for callers that ask for it by name (tests, throwaway tools).
 */
import { createLogger } from '../logging/logger.js';
import { openEncryptedFileStore } from './encrypted-file-store.js';

export interface SecretStore {
  readonly backend: 'keyring' | 'encrypted-file' | 'memory';
  get(account: string): Promise<string | null>;
  set(account: string, value: string): Promise<void>;
  delete(account: string): Promise<void>;
}

/** Accounts used by the agent (one keyring entry each under the service name). */
export const SECRET_ACCOUNTS = {
  deviceSecret: 'device_secret',
  jwt: 'jwt',
  /** The license server's public key pinned at activation, and what the agent last wrote to license.json. */
  licensePin: 'license_pin',
} as const;

export { SecretStoreCorruptError, SecretStoreUnavailableError } from './errors.js';

export const DEFAULT_KEYRING_SERVICE = 'outpost';

const log = createLogger('secrets');

export async function openSecretStore(opts: {
  dataDir: string;
  secretsFile?: boolean;
  service?: string;
}): Promise<SecretStore> {
  if (opts.secretsFile) return openEncryptedFileStore(opts.dataDir);
  // Loaded on demand: the native keyring module (and its D-Bus client) is dead weight for --secrets-file users.
  const { openKeyringStore } = await import('./keyring-store.js');
  const store = await openKeyringStore(opts.service ?? DEFAULT_KEYRING_SERVICE);
  log.debug({ backend: store.backend }, 'secret store opened');
  return store;
}

export class MemorySecretStore implements SecretStore {
  readonly backend = 'memory' as const;
  private readonly values = new Map<string, string>();
  async get(account: string): Promise<string | null> {
    return this.values.get(account) ?? null;
  }
  async set(account: string, value: string): Promise<void> {
    this.values.set(account, value);
  }
  async delete(account: string): Promise<void> {
    this.values.delete(account);
  }
}

/** Explicit, programmatic use only: secrets live as long as the process. */
export function createMemorySecretStore(): SecretStore {
  return new MemorySecretStore();
}
