/**
 * SecretStore over the OS keyring through @napi-rs/keyring (Secret Service on Linux, Keychain on macOS,
 * Credential Manager on Windows). On Linux we pin the Secret Service store: the library's default may fall back
 * to the kernel keyutils store, which forgets everything at logout and so looks like a keyring that works.
 * Every library failure that means "no usable keyring" becomes one SecretStoreUnavailableError line.
 */
import { AsyncEntry, type EntryOptions } from '@napi-rs/keyring';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import type { SecretStore } from './secret-store.js';
import { SecretStoreUnavailableError } from './errors.js';

const REMEDY =
  'start or unlock a Secret Service keyring (e.g. gnome-keyring in a D-Bus session), or opt in to the encrypted file store with --secrets-file';

const entryOptions: EntryOptions | undefined =
  process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined;

/** The keyring service of the default data dir (~/.outpost): existing installs keep their secrets under it. */
export const DEFAULT_DATA_DIR_SERVICE = 'outpost';

/**
 * One keyring service per data dir, so two agents (the desktop app and a headless agent, or two test data dirs)
 * never read or overwrite each other's device secret. The default data dir keeps the historical name; any other
 * gets `outpost-<hash of its canonical path>` (case-folded on Windows, where paths are case-insensitive).
 */
export function keyringServiceFor(
  dataDir: string,
  opts: { defaultDataDir?: string; platform?: NodeJS.Platform } = {},
): string {
  const platform = opts.platform ?? process.platform;
  const paths = platform === 'win32' ? win32 : posix;
  const canonical = (p: string) => {
    const abs = paths.resolve(p);
    return platform === 'win32' ? abs.toLowerCase() : abs;
  };
  const path = canonical(dataDir);
  if (path === canonical(opts.defaultDataDir ?? paths.join(homedir(), '.outpost')))
    return DEFAULT_DATA_DIR_SERVICE;
  return `${DEFAULT_DATA_DIR_SERVICE}-${createHash('sha256').update(path).digest('hex').slice(0, 16)}`;
}

/** Maps a keyring library error to our one-line error (or returns null when it is not an availability issue). */
export function keyringUnavailable(err: unknown): SecretStoreUnavailableError | null {
  const msg = err instanceof Error ? err.message : String(err);
  let reason: string | null = null;
  if (/prompt was dismissed/i.test(msg)) reason = 'the keyring is locked and the unlock prompt was dismissed';
  else if (/DBUS_SESSION_BUS_ADDRESS|Failed to connect|autolaunch|zbus|DBus error|D-Bus/i.test(msg))
    reason = 'no D-Bus session bus is reachable';
  else if (/AccessDenied|access denied/i.test(msg)) reason = 'access to the platform keyring was denied';
  else if (/no result found|No such object|collection/i.test(msg))
    reason = 'no unlocked default keyring collection exists';
  else if (/platform storage|Platform failure|NoStorageAccess|locked/i.test(msg))
    reason = 'the platform keyring cannot be used';
  if (!reason) return null;
  return new SecretStoreUnavailableError(`OS keyring unavailable: ${reason}; ${REMEDY}.`);
}

function mapError(err: unknown): Error {
  return keyringUnavailable(err) ?? (err instanceof Error ? err : new Error(String(err)));
}

class KeyringStore implements SecretStore {
  readonly backend = 'keyring' as const;
  constructor(private readonly service: string) {}

  private entry(account: string): AsyncEntry {
    try {
      return new AsyncEntry(this.service, account, entryOptions);
    } catch (err) {
      throw mapError(err);
    }
  }

  async get(account: string): Promise<string | null> {
    try {
      return (await this.entry(account).getPassword()) ?? null;
    } catch (err) {
      throw mapError(err);
    }
  }

  async set(account: string, value: string): Promise<void> {
    try {
      await this.entry(account).setPassword(value);
    } catch (err) {
      throw mapError(err);
    }
  }

  async delete(account: string): Promise<void> {
    try {
      await this.entry(account).deletePassword();
    } catch (err) {
      throw mapError(err);
    }
  }
}

/** Opens the store and proves the keyring answers (so the CLI fails at start, not at the first secret). */
export async function openKeyringStore(service: string): Promise<SecretStore> {
  const store = new KeyringStore(service);
  await store.get('__outpost_probe__');
  return store;
}
