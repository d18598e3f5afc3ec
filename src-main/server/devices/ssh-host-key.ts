import { createPrivateKey, createPublicKey } from 'node:crypto';
import { sshString } from './ssh-keys.js';

/**
 * The public half of the server's ed25519 SSH host key (seed 004 `GET /api/ssh-hostkey`) as one OpenSSH line.
 * The runtime keeps the private key (PKCS#8 PEM), one for the whole fleet: agents pin it on first use, so an
 * instance with a key of its own would look like a changed host key to them.
 */
export function hostKeyLine(pkcs8Pem: string, comment = 'outpost'): string {
  const pub = createPublicKey(createPrivateKey(pkcs8Pem));
  const x = pub.export({ format: 'jwk' }).x;
  if (pub.asymmetricKeyType !== 'ed25519' || !x) throw new Error('SSH host key is not an ed25519 key');
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(x, 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}
