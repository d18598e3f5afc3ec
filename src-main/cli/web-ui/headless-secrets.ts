/**
 * Where the headless agent keeps its secrets. The OS keyring by default; the encrypted file store when asked
 * for (`--secrets-file`) or when the operator chose it for this data dir earlier (recorded in
 * secret-backend.json, the desktop shell's record, so both shells agree). Without a keyring and without that
 * choice it never falls back by itself: it asks in the web UI (and says the flag on the terminal) and waits.
 */
import type { SecretsChoice } from '../../../src-shared/ipc/shell-state.js';
import { describeError } from '../../agent/errors.js';
import { openEncryptedFileStore, secretsFilePaths } from '../../agent/secrets/encrypted-file-store.js';
import {
  openSecretStore,
  SecretStoreUnavailableError,
  type SecretStore,
} from '../../agent/secrets/secret-store.js';
import { readBackendRecord, writeBackendRecord } from '../../app/secret-backend.js';

export interface HeadlessSecretsOptions {
  dataDir: string;
  secretsFile?: boolean;
  keyringService?: string;
  /** Shows the question in the web UI; settles once the operator chose the encrypted file store. */
  ask(choice: SecretsChoice): Promise<void>;
  print(line: string): void;
}

async function openFileStore(dataDir: string): Promise<SecretStore> {
  const store = await openEncryptedFileStore(dataDir);
  // Written only once the store opened: a failed start leaves no record behind to change the next one.
  writeBackendRecord(dataDir, { backend: 'encrypted-file' });
  return store;
}

export async function openHeadlessSecrets(opts: HeadlessSecretsOptions): Promise<SecretStore> {
  if (opts.secretsFile || readBackendRecord(opts.dataDir)?.backend === 'encrypted-file') {
    return openFileStore(opts.dataDir);
  }
  try {
    return await openSecretStore({ dataDir: opts.dataDir, service: opts.keyringService });
  } catch (err) {
    if (!(err instanceof SecretStoreUnavailableError)) throw err;
    const choice: SecretsChoice = {
      reason: describeError(err),
      file_path: secretsFilePaths(opts.dataDir).file,
      flag: '--secrets-file',
    };
    opts.print(
      `The OS keyring is not available (${choice.reason}). Outpost will not pick another secret store by ` +
        `itself: choose the encrypted secrets file in the web UI below, or start again with --secrets-file.`,
    );
    await opts.ask(choice);
    opts.print(`Secrets: encrypted file ${choice.file_path} (chosen in the web UI)`);
    return openFileStore(opts.dataDir);
  }
}
