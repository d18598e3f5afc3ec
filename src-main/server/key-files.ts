import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Checks for the server's key material, wherever it is kept (a data-dir file today). Each failure is one line
 * naming the source and what is wrong with it, so a bad file stops the server with a message an operator can
 * act on: never a bare errno, an OpenSSL decoder message that names no file, or a server that starts with a
 * guessable JWT secret or no admin key at all. `source` is the file path (or whatever else names the key).
 */
export const MIN_JWT_SECRET = 32;

/** A key file's text, or an error naming the file and what is wrong. */
export function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot be read (${code})`;
    throw new Error(`${file}: ${why}`);
  }
}

/** The JWT secret (trimmed): a short one signs tokens anyone can forge by guessing it, an empty one fails every login. */
export function checkJwtSecret(text: string, source: string): string {
  const secret = text.trim();
  if (secret.length < MIN_JWT_SECRET) {
    throw new Error(
      `${source}: the JWT secret must be at least ${MIN_JWT_SECRET} characters (it has ${secret.length}); ` +
        'delete the file to have a new one generated',
    );
  }
  return secret;
}

/** SHA-256 digests of the admin keys, one per line (blank lines and `#` comments allowed). */
export function parseApiKeyDigests(text: string, source: string): string[] {
  const digests: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    // A mistyped line would otherwise be skipped quietly and the key the operator meant would never work.
    if (!/^[0-9a-fA-F]{64}$/.test(line)) {
      throw new Error(`${source}: line ${i + 1} is not a SHA-256 digest (64 hex characters)`);
    }
    digests.push(line.toLowerCase());
  }
  // Without a digest no admin route could ever be used, and nothing would say why.
  if (digests.length === 0) {
    throw new Error(
      `${source}: no admin key digest (expected one SHA-256 hex line per key); ` +
        'delete the file to have a new key generated, or set OUTPOST_API_KEYS',
    );
  }
  return digests;
}

/** An Ed25519 private key from PKCS#8 PEM text. */
export function parseEd25519PrivateKey(pem: string, source: string): KeyObject {
  if (pem.trim() === '') throw new Error(`${source}: empty key file`);
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    throw new Error(`${source}: not a PEM private key (expected -----BEGIN PRIVATE KEY-----)`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error(`${source}: the PEM private key cannot be decoded (corrupt or truncated?)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${source}: an ${key.asymmetricKeyType ?? 'unknown'} key, expected Ed25519`);
  }
  return key;
}

/** An Ed25519 private key from a PKCS#8 PEM file. */
export function loadEd25519PrivateKey(file: string): KeyObject {
  return parseEd25519PrivateKey(readKeyFile(file), file);
}
