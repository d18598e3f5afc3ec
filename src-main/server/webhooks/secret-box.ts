import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook signing secrets at rest. They cannot be hashed like API keys (the dispatcher needs them to sign), so
 * they are encrypted with AES-256-GCM under a key derived from the fleet's JWT secret: every instance can sign,
 * and a copy of the database alone (a backup, a dump) does not reveal them. Rotating the JWT secret makes the
 * stored secrets unreadable: re-create the endpoints then.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(fleetSecret: Uint8Array) {
    this.key = Buffer.from(hkdfSync('sha256', fleetSecret, 'outpost', 'webhook-signing-secrets', 32));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v1:${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string): string {
    if (!sealed.startsWith('v1:')) throw new Error('unknown secret format');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  }
}
