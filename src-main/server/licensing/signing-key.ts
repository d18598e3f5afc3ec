import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import type { CertificatePayload, PublicKeyData } from '../../../src-shared/api/licenses.js';

/**
 * The Ed25519 key that signs license certificates. The runtime supplies it (a data-dir file, or one row for a
 * PostgreSQL fleet), one key for every instance: agents pin its public half at activation, so replacing it
 * invalidates every certificate already issued (they re-validate online and fetch a new one on the next
 * activation call).
 */
export class LicenseSigner {
  readonly keyId: string;
  private readonly publicPem: string;

  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {
    const der = publicKey.export({ type: 'spki', format: 'der' });
    this.keyId = createHash('sha256').update(der).digest('hex').slice(0, 16);
    this.publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  static fromPem(pkcs8Pem: string): LicenseSigner {
    const privateKey = createPrivateKey(pkcs8Pem);
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error('license signing key is not an Ed25519 key');
    return new LicenseSigner(privateKey, createPublicKey(privateKey));
  }

  /** A compact JWS (`alg: EdDSA`, `kid`) over the payload; any JOSE library can verify it. */
  async sign(payload: CertificatePayload): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'outpost-license+jws', kid: this.keyId })
      .sign(this.privateKey);
  }

  publicKeyData(): PublicKeyData {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return {
      alg: 'EdDSA',
      crv: 'Ed25519',
      key_id: this.keyId,
      public_key_pem: this.publicPem,
      jwk: { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) },
    };
  }
}
