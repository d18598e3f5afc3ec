import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readKeyFile } from './config.js';

/**
 * Loads an Ed25519 private key (PKCS#8 PEM) from a data-dir file, or throws one line naming the file and what
 * is wrong with it. OpenSSL's own decoder messages name no file and mean nothing to an operator.
 */
export function loadEd25519PrivateKey(file: string): KeyObject {
  const text = readKeyFile(file);
  if (text.trim() === '') throw new Error(`${file}: empty key file`);
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    throw new Error(`${file}: not a PEM private key (expected -----BEGIN PRIVATE KEY-----)`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw new Error(`${file}: the PEM private key cannot be decoded (corrupt or truncated?)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${file}: an ${key.asymmetricKeyType ?? 'unknown'} key, expected Ed25519`);
  }
  return key;
}
