import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign } from 'jose';
import type { CertificatePayload, PublicKeyData } from '../../../src-shared/api/licenses.js';
import { writeSecretFile } from '../config.js';
import { loadEd25519PrivateKey } from '../key-files.js';

export const SIGNING_KEY_FILE = 'license-signing-key.pem';

/**
 * The Ed25519 key that signs license certificates. Made on first start and kept in the data dir (PKCS#8 PEM,
 * mode 0600): agents pin its public half at activation, so replacing the file invalidates every certificate
 * already issued (they re-validate online and fetch a new one on the next activation call).
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

  static loadOrCreate(dataDir: string): LicenseSigner {
    const file = join(dataDir, SIGNING_KEY_FILE);
    if (!existsSync(file)) {
      const { privateKey } = generateKeyPairSync('ed25519');
      writeSecretFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    }
    const privateKey = loadEd25519PrivateKey(file);
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
