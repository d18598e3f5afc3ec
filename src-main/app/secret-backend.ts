/**
 * The desktop shell's secret store: the OS keyring first (same as headless); where none is reachable,
 * Electron's safeStorage encrypting a file in userData. safeStorage on Linux without a keyring silently picks
 * `basic_text` (a hard-coded key, i.e. obfuscation), so that backend is refused unless the user opted in with
 * `--allow-insecure-secret-storage` (or OUTPOST_ALLOW_BASIC_TEXT=1). No 'electron' import: the cipher is injected.
 *
 * The choice is made once per data dir and written down (secret-backend.json). A later launch where that backend
 * is unavailable (keyring locked today) says so and lets the operator retry or quit: picking another backend
 * then would make the device look unregistered and leave its secrets behind, so it never happens silently.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretStore } from '../agent/secrets/secret-store.js';

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  /** Linux only; other platforms answer 'unknown' or lack the method. */
  getSelectedStorageBackend?(): string;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export type SecretBackendChoice =
  { kind: 'keyring' } | { kind: 'safe-storage'; warning?: string } | { kind: 'refuse'; message: string };

export function chooseSecretBackend(opts: {
  keyringAvailable: boolean;
  safeStorage: Pick<SafeStorageLike, 'isEncryptionAvailable' | 'getSelectedStorageBackend'>;
  allowBasicText: boolean;
  platform?: NodeJS.Platform;
}): SecretBackendChoice {
  if (opts.keyringAvailable) return { kind: 'keyring' };
  if (!opts.safeStorage.isEncryptionAvailable()) {
    return {
      kind: 'refuse',
      message:
        'No OS keyring and no safeStorage encryption available: Outpost will not keep secrets in plain text. Install/unlock a keyring (GNOME Keyring, KWallet) and restart.',
    };
  }
  const backend =
    (opts.platform ?? process.platform) === 'linux'
      ? opts.safeStorage.getSelectedStorageBackend?.()
      : undefined;
  if (backend === 'basic_text') {
    if (!opts.allowBasicText) {
      return {
        kind: 'refuse',
        message:
          'Only the basic_text safeStorage backend is available (secrets would be obfuscated, not encrypted). Install/unlock a keyring, or start with --allow-insecure-secret-storage to accept the risk.',
      };
    }
    return {
      kind: 'safe-storage',
      warning: 'Secrets use safeStorage basic_text (obfuscation only), by your opt-in.',
    };
  }
  return { kind: 'safe-storage' };
}

/** Secrets encrypted one by one with safeStorage, in <userData>/secrets.safestorage.json (mode 0600). */
export class SafeStorageSecretStore implements SecretStore {
  readonly backend = 'encrypted-file' as const;
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly cipher: Pick<SafeStorageLike, 'encryptString' | 'decryptString'>,
  ) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.file = join(dataDir, 'secrets.safestorage.json');
  }

  private read(): Record<string, string> {
    if (!existsSync(this.file)) return {};
    const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  }

  private write(all: Record<string, string>): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  async get(account: string): Promise<string | null> {
    const enc = this.read()[account];
    return enc === undefined ? null : this.cipher.decryptString(Buffer.from(enc, 'base64'));
  }

  async set(account: string, value: string): Promise<void> {
    const all = this.read();
    all[account] = this.cipher.encryptString(value).toString('base64');
    this.write(all);
  }

  async delete(account: string): Promise<void> {
    const all = this.read();
    if (!(account in all)) return;
    delete all[account];
    this.write(all);
  }
}

export type SecretBackendName = 'keyring' | 'safe-storage' | 'encrypted-file';

export interface SecretBackendRecord {
  backend: SecretBackendName;
  /** The keyring service the secrets were written under (kept so a later naming rule cannot orphan them). */
  keyring_service?: string;
}

const RECORD_FILE = 'secret-backend.json';
const BACKENDS: readonly SecretBackendName[] = ['keyring', 'safe-storage', 'encrypted-file'];

export function readBackendRecord(dataDir: string): SecretBackendRecord | null {
  const file = join(dataDir, RECORD_FILE);
  if (!existsSync(file)) return null;
  let parsed: { backend?: unknown; keyring_service?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch {
    return null;
  }
  const backend = BACKENDS.find((b) => b === parsed.backend);
  if (!backend) return null;
  return typeof parsed.keyring_service === 'string'
    ? { backend, keyring_service: parsed.keyring_service }
    : { backend };
}

export function writeBackendRecord(dataDir: string, record: SecretBackendRecord): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, RECORD_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * A data dir used before the choice was written down: its files say where the secrets are. A configured data
 * dir with neither secrets file used the keyring (the only automatic choice back then).
 */
export function inferBackendRecord(dataDir: string): SecretBackendRecord | null {
  if (existsSync(join(dataDir, 'secrets.safestorage.json'))) return { backend: 'safe-storage' };
  if (existsSync(join(dataDir, 'secrets.enc'))) return { backend: 'encrypted-file' };
  if (existsSync(join(dataDir, 'settings.json'))) return { backend: 'keyring' };
  return null;
}

export type OpenedSecrets =
  | { kind: 'opened'; store: SecretStore; record: SecretBackendRecord; warning?: string }
  /** The recorded backend cannot be used right now: say so, let the operator retry or quit. */
  | { kind: 'unavailable'; backend: SecretBackendName; message: string }
  /** No backend Outpost accepts (or flags asking for another one than the recorded): nothing to retry. */
  | { kind: 'refuse'; message: string };

export interface SecretBackendDeps {
  dataDir: string;
  /** `--secrets-file`: the encrypted file store by explicit choice. */
  secretsFileRequested: boolean;
  keyringService: string;
  allowBasicText: boolean;
  safeStorage: SafeStorageLike;
  openKeyring(service: string): Promise<SecretStore>;
  openEncryptedFile(): Promise<SecretStore>;
  platform?: NodeJS.Platform;
}

const LABEL: Record<SecretBackendName, string> = {
  keyring: 'the OS keyring',
  'safe-storage': "Electron's safeStorage (secrets.safestorage.json)",
  'encrypted-file': 'the encrypted secrets file (--secrets-file)',
};

/** Opens the data dir's secret store by its recorded backend, or chooses (and records) one on first use. */
export async function openRecordedSecrets(deps: SecretBackendDeps): Promise<OpenedSecrets> {
  const recorded = readBackendRecord(deps.dataDir) ?? inferBackendRecord(deps.dataDir);
  if (recorded) {
    if (deps.secretsFileRequested && recorded.backend !== 'encrypted-file') {
      return {
        kind: 'refuse',
        message: `This data dir keeps its secrets in ${LABEL[recorded.backend]}; Outpost does not move them. Start without --secrets-file, or use another --data-dir.`,
      };
    }
    return openRecorded(deps, recorded);
  }
  if (deps.secretsFileRequested) {
    return opened(deps, await deps.openEncryptedFile(), { backend: 'encrypted-file' });
  }
  let keyringError: string;
  try {
    const store = await deps.openKeyring(deps.keyringService);
    return opened(deps, store, { backend: 'keyring', keyring_service: deps.keyringService });
  } catch (err) {
    keyringError = err instanceof Error ? err.message : String(err);
  }
  const choice = chooseSecretBackend({
    keyringAvailable: false,
    safeStorage: deps.safeStorage,
    allowBasicText: deps.allowBasicText,
    platform: deps.platform,
  });
  if (choice.kind !== 'safe-storage') {
    return {
      kind: 'refuse',
      message: choice.kind === 'refuse' ? `${choice.message} (${keyringError})` : keyringError,
    };
  }
  const result = opened(deps, new SafeStorageSecretStore(deps.dataDir, deps.safeStorage), {
    backend: 'safe-storage',
  });
  return choice.warning && result.kind === 'opened' ? { ...result, warning: choice.warning } : result;
}

async function openRecorded(deps: SecretBackendDeps, recorded: SecretBackendRecord): Promise<OpenedSecrets> {
  const unavailable = (reason: string): OpenedSecrets => ({
    kind: 'unavailable',
    backend: recorded.backend,
    message: `This data dir keeps its secrets in ${LABEL[recorded.backend]}, which is unavailable now: ${reason}. Outpost will not move them elsewhere; fix it and retry, or quit.`,
  });
  switch (recorded.backend) {
    case 'keyring': {
      const service = recorded.keyring_service ?? deps.keyringService;
      try {
        return opened(deps, await deps.openKeyring(service), {
          backend: 'keyring',
          keyring_service: service,
        });
      } catch (err) {
        return unavailable(err instanceof Error ? err.message : String(err));
      }
    }
    case 'safe-storage': {
      const choice = chooseSecretBackend({
        keyringAvailable: false,
        safeStorage: deps.safeStorage,
        allowBasicText: deps.allowBasicText,
        platform: deps.platform,
      });
      if (choice.kind === 'refuse') return unavailable(choice.message);
      const result = opened(deps, new SafeStorageSecretStore(deps.dataDir, deps.safeStorage), recorded);
      return choice.kind === 'safe-storage' && choice.warning && result.kind === 'opened'
        ? { ...result, warning: choice.warning }
        : result;
    }
    case 'encrypted-file':
      return opened(deps, await deps.openEncryptedFile(), recorded);
  }
}

function opened(deps: SecretBackendDeps, store: SecretStore, record: SecretBackendRecord): OpenedSecrets {
  writeBackendRecord(deps.dataDir, record);
  return { kind: 'opened', store, record };
}
