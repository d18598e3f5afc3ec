/**
 * Offline proof of a license: the server's activation answer carries a compact JWS (alg EdDSA, Ed25519) over
 * {license_id, license_key, fingerprint, status, expires_at, issued_at}. The agent checks it with the public key it
 * pinned at activation, so no network is needed to know the license is genuine, for this machine and unexpired.
 */
import { createPublicKey } from 'node:crypto';
import { CertificatePayload } from '../../../src-shared/api/licenses.js';

export type CertificateCheck =
  | { ok: true; payload: CertificatePayload }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_key' };

/** Verifies signature and shape only; machine and expiry are judged by the caller against its own clock. */
export async function verifyCertificate(token: string, publicKeyPem: string): Promise<CertificateCheck> {
  let key;
  try {
    key = createPublicKey(publicKeyPem);
  } catch {
    return { ok: false, reason: 'wrong_key' };
  }
  if (key.asymmetricKeyType !== 'ed25519') return { ok: false, reason: 'wrong_key' };
  let payloadBytes: Uint8Array;
  try {
    // jose is loaded on first use: an agent without a license never needs it (memory of the idle agent).
    const { compactVerify } = await import('jose');
    // Pinning the algorithm: a token claiming `none` or an HMAC alg is refused before any key use.
    const res = await compactVerify(token, key, { algorithms: ['EdDSA', 'Ed25519'] });
    payloadBytes = res.payload;
  } catch (err) {
    const code = (err as { code?: string }).code;
    return {
      ok: false,
      reason: code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'bad_signature' : 'malformed',
    };
  }
  try {
    const parsed = CertificatePayload.safeParse(JSON.parse(new TextDecoder().decode(payloadBytes)));
    return parsed.success ? { ok: true, payload: parsed.data } : { ok: false, reason: 'malformed' };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}
