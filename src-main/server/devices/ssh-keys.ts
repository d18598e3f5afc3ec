import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';

/**
 * OpenSSH public keys (`<type> <base64 wire blob> [comment]`), checked the way sshd would read them: the blob is
 * parsed, its embedded type must match the line's, and the key material must import as a real public key.
 * Accepted: ssh-ed25519, ssh-rsa (≥ 2048 bits), ecdsa-sha2-nistp256/384/521.
 */
export interface ParsedSshKey {
  type: string;
  /** Normalised line: single spaces, no surrounding whitespace. */
  line: string;
  /** `SHA256:<base64, unpadded>` as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export class SshKeyError extends Error {}

const ECDSA_CURVES: Record<string, { curve: string; crv: string; pointLen: number }> = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', crv: 'P-256', pointLen: 65 },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', crv: 'P-384', pointLen: 97 },
  'ecdsa-sha2-nistp521': { curve: 'nistp521', crv: 'P-521', pointLen: 133 },
};
const MIN_RSA_BITS = 2048;

class WireReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  string(): Buffer {
    if (this.off + 4 > this.buf.length) throw new SshKeyError('truncated key data');
    const len = this.buf.readUInt32BE(this.off);
    this.off += 4;
    if (len > this.buf.length - this.off) throw new SshKeyError('truncated key data');
    const out = this.buf.subarray(this.off, this.off + len);
    this.off += len;
    return out;
  }
  end(): void {
    if (this.off !== this.buf.length) throw new SshKeyError('unexpected trailing key data');
  }
}

const b64url = (b: Buffer) => b.toString('base64url');

/** mpint → unsigned big-endian bytes (drops the sign-padding zero). */
function unsigned(mpint: Buffer): Buffer {
  let i = 0;
  while (i < mpint.length - 1 && mpint[i] === 0) i++;
  return mpint.subarray(i);
}

function importJwk(jwk: JsonWebKey): void {
  try {
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new SshKeyError('key material is not a valid public key');
  }
}

function checkBlob(type: string, blob: Buffer): void {
  const r = new WireReader(blob);
  const embedded = r.string().toString('latin1');
  if (embedded !== type) throw new SshKeyError(`key data is '${embedded.slice(0, 40)}', line says '${type}'`);
  if (type === 'ssh-ed25519') {
    const pk = r.string();
    r.end();
    if (pk.length !== 32) throw new SshKeyError('ed25519 key must be 32 bytes');
    importJwk({ kty: 'OKP', crv: 'Ed25519', x: b64url(pk) });
    return;
  }
  if (type === 'ssh-rsa') {
    const e = unsigned(r.string());
    const n = unsigned(r.string());
    r.end();
    const bits = n.length === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(n[0] ?? 0));
    if (bits < MIN_RSA_BITS)
      throw new SshKeyError(`RSA key has ${bits} bits; at least ${MIN_RSA_BITS} needed`);
    if (e.length === 0 || e.length > 8) throw new SshKeyError('RSA exponent is invalid');
    importJwk({ kty: 'RSA', n: b64url(n), e: b64url(e) });
    return;
  }
  const ec = ECDSA_CURVES[type];
  if (!ec) throw new SshKeyError(`unsupported key type '${type}'`);
  const curve = r.string().toString('latin1');
  const q = r.string();
  r.end();
  if (curve !== ec.curve) throw new SshKeyError(`curve '${curve.slice(0, 40)}' does not match ${type}`);
  if (q.length !== ec.pointLen || q[0] !== 0x04) throw new SshKeyError('ECDSA point is malformed');
  const half = (ec.pointLen - 1) / 2;
  importJwk({
    kty: 'EC',
    crv: ec.crv,
    x: b64url(q.subarray(1, 1 + half)),
    y: b64url(q.subarray(1 + half)),
  });
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses one public key line; throws SshKeyError with a reason a user can act on. */
export function parseSshPublicKey(input: string): ParsedSshKey {
  const text = input.trim();
  if (/[\r\n\0]/.test(text)) throw new SshKeyError('expected a single line');
  const parts = text.split(/[ \t]+/);
  const [type, data, ...rest] = parts;
  if (!type || !data) throw new SshKeyError("expected '<type> <base64> [comment]'");
  if (type !== 'ssh-ed25519' && type !== 'ssh-rsa' && !(type in ECDSA_CURVES)) {
    throw new SshKeyError(`unsupported key type '${type.slice(0, 40)}'`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) {
    throw new SshKeyError('key data is not valid base64');
  }
  const blob = Buffer.from(data, 'base64');
  checkBlob(type, blob);
  const comment = rest.join(' ');
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (comment.length > 1024 || /[\x00-\x1f\x7f]/.test(comment)) throw new SshKeyError('comment is invalid');
  return {
    type,
    line: comment ? `${type} ${data} ${comment}` : `${type} ${data}`,
    fingerprint: fingerprint(blob),
  };
}

/** Wire string: uint32 length + bytes. */
export function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}
