/**
 * Opt-in (`--secrets-file`) store for headless machines without a keyring: all secrets in one AES-256-GCM
 * encrypted JSON file (<dataDir>/secrets.enc, 0600) under a random 256-bit key in <dataDir>/secrets.key (0600).
 * Honest limits: the key sits next to the data, so this protects against a copied secrets file, backups and
 * casual reads, not against someone who can read the whole data dir as this user. That is why it is opt-in and
 * why every open logs a warning. GCM authentication detects any edit; we then refuse to guess and say so.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../logging/logger.js';
import type { SecretStore } from './secret-store.js';
import { SecretStoreCorruptError } from './errors.js';

const log = createLogger('secrets');
const AAD = Buffer.from('outpost-secrets-v1');

interface Envelope {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

export function secretsFilePaths(dataDir: string): { file: string; key: string } {
  return { file: join(dataDir, 'secrets.enc'), key: join(dataDir, 'secrets.key') };
}

function writePrivate(path: string, data: string | Buffer): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600); // an existing umask or file cannot widen it
  renameSync(tmp, path);
}

function loadKey(path: string): Buffer {
  if (!existsSync(path)) {
    writePrivate(path, randomBytes(32).toString('base64'));
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new SecretStoreCorruptError(`Secrets key file ${path} is not a 256-bit key.`);
  return key;
}

export function encrypt(key: Buffer, values: Record<string, string>): Envelope {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const data = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
  return {
    v: 1,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

export function decrypt(key: Buffer, env: Envelope, path: string): Record<string, string> {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(env.iv, 'base64'));
    decipher.setAAD(AAD);
    decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]);
    const parsed: unknown = JSON.parse(plain.toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, string>;
  } catch {
    throw new SecretStoreCorruptError(
      `Secrets file ${path} failed authentication (modified, truncated or a different key): restore it or delete it and register again.`,
    );
  }
}

class EncryptedFileStore implements SecretStore {
  readonly backend = 'encrypted-file' as const;
  constructor(
    private readonly file: string,
    private readonly key: Buffer,
    private values: Record<string, string>,
  ) {}

  async get(account: string): Promise<string | null> {
    return Object.prototype.hasOwnProperty.call(this.values, account) ? (this.values[account] ?? null) : null;
  }

  async set(account: string, value: string): Promise<void> {
    this.values = { ...this.values, [account]: value };
    this.flush();
  }

  async delete(account: string): Promise<void> {
    if (!Object.prototype.hasOwnProperty.call(this.values, account)) return;
    const { [account]: _gone, ...rest } = this.values;
    this.values = rest;
    this.flush();
  }

  private flush(): void {
    writePrivate(this.file, JSON.stringify(encrypt(this.key, this.values)));
  }
}

export async function openEncryptedFileStore(dataDir: string): Promise<SecretStore> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const paths = secretsFilePaths(dataDir);
  const key = loadKey(paths.key);
  let values: Record<string, string> = {};
  if (existsSync(paths.file)) {
    let env: Envelope;
    try {
      env = JSON.parse(readFileSync(paths.file, 'utf8')) as Envelope;
    } catch {
      throw new SecretStoreCorruptError(
        `Secrets file ${paths.file} is not valid: restore it or delete it and register again.`,
      );
    }
    values = decrypt(key, env, paths.file);
  }
  log.warn(
    { file: paths.file, key_path: paths.key },
    'secrets are kept in an encrypted file whose key is stored next to it (opted in with --secrets-file); the OS keyring is safer',
  );
  return new EncryptedFileStore(paths.file, key, values);
}
