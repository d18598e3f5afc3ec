/**
 * The desktop shell's secret store: the OS keyring first (same as headless); where none is reachable,
 * Electron's safeStorage encrypting a file in userData. safeStorage on Linux without a keyring silently picks
 * `basic_text` (a hard-coded key, i.e. obfuscation), so that backend is refused unless the user opted in with
 * `--allow-insecure-secret-storage` (or OUTPOST_ALLOW_BASIC_TEXT=1). No 'electron' import: the cipher is injected.
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
