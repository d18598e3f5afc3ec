import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeSecretFile } from '../config.js';
import { loadEd25519PrivateKey } from '../key-files.js';
import { sshString } from './ssh-keys.js';

export const HOST_KEY_FILE = 'ssh_host_ed25519_key';

/**
 * The server's ed25519 SSH host key (seed 004 `GET /api/ssh-hostkey`). Made on first start and kept in the data
 * dir as PKCS#8 PEM with mode 0600; only the public half ever leaves the process, as an OpenSSH line.
 */
export function loadOrCreateHostKey(dataDir: string, comment = 'outpost'): string {
  const file = join(dataDir, HOST_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeSecretFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  } else {
    chmodSync(file, 0o600); // a copied data dir must not leave the key world-readable
  }
  const pub = createPublicKey(loadEd25519PrivateKey(file));
  const x = pub.export({ format: 'jwk' }).x;
  if (!x) throw new Error(`${file}: not an Ed25519 key`);
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(x, 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}
