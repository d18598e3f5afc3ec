import type { FastifyRequest } from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import { Role, type PublicUser, type TokenClaims } from '../../../src-shared/api/auth.js';
import { AppError } from '../errors.js';
import type { PrincipalGate } from './principal-gate.js';

/**
 * Login tokens (seed 001): HS256 JWTs signed with the server's secret. Verification pins the algorithm, so a
 * token with `alg: none` or any other algorithm is refused before its claims are read.
 */
export interface TokenSubject {
  userId: number;
  username: string;
  role: Role;
  deviceId: string | null;
}

export class JwtService {
  /** Imported once: handing jose raw bytes would re-import the HMAC key on every sign and verify. */
  private key: Promise<CryptoKey> | undefined;
  /**
   * Tokens already verified, by their exact text (a station sends the same token with every 500-op push, and
   * WebCrypto's HMAC costs far more than the push's own bookkeeping). Only expiry is re-checked on a hit.
   * Bounded: the oldest entries go first.
   */
  private readonly verified = new Map<string, TokenClaims>();
  private static readonly CACHE_MAX = 5000;

  constructor(
    private readonly secret: Uint8Array,
    private readonly expiresSec: number,
    /** Whether a well-signed token's user and device may still act (deleted, disabled, re-bound). */
    readonly principals: PrincipalGate,
  ) {}

  private hmacKey(): Promise<CryptoKey> {
    this.key ??= crypto.subtle.importKey(
      'raw',
      new Uint8Array(this.secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    return this.key;
  }

  async sign(s: TokenSubject, now = Date.now()): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now / 1000);
    const exp = iat + this.expiresSec;
    const token = await new SignJWT({ username: s.username, role: s.role, device_id: s.deviceId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(s.userId))
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(await this.hmacKey());
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The verified claims, or undefined for any bad token (signature, algorithm, expiry, shape). */
  async verify(token: string): Promise<TokenClaims | undefined> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) return undefined;
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.exp * 1000 > Date.now()) return hit;
      this.verified.delete(token);
      return undefined;
    }
    const claims = await this.verifyUncached(token);
    if (claims) {
      if (this.verified.size >= JwtService.CACHE_MAX) {
        this.verified.delete(this.verified.keys().next().value!);
      }
      this.verified.set(token, claims);
    }
    return claims;
  }

  private async verifyUncached(token: string): Promise<TokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, await this.hmacKey(), { algorithms: ['HS256'] });
      const role = Role.safeParse(payload.role);
      const deviceId = payload.device_id ?? null;
      if (
        typeof payload.sub !== 'string' ||
        !/^[1-9][0-9]*$/.test(payload.sub) ||
        typeof payload.username !== 'string' ||
        !role.success ||
        (deviceId !== null && typeof deviceId !== 'string') ||
        typeof payload.exp !== 'number' ||
        typeof payload.iat !== 'number'
      ) {
        return undefined;
      }
      return {
        sub: payload.sub,
        username: payload.username,
        role: role.data,
        device_id: deviceId,
        iat: payload.iat,
        exp: payload.exp,
      };
    } catch {
      return undefined;
    }
  }

  /**
   * A token's claims and its user as the store has it now, or an AppError: 401 INVALID_TOKEN (bad token, user
   * deleted or disabled), 403 FORBIDDEN (its device_id belongs to another account).
   */
  async authenticate(token: string): Promise<{ claims: TokenClaims; user: PublicUser }> {
    const claims = await this.verify(token);
    if (!claims) throw new AppError('INVALID_TOKEN');
    return { claims, user: await this.principals.check(claims) };
  }

  /** The Bearer token's claims, or a 401 INVALID_TOKEN / 403 FORBIDDEN as `authenticate` says. */
  async fromRequest(request: FastifyRequest): Promise<TokenClaims> {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) throw new AppError('INVALID_TOKEN', 'Bearer token required');
    return (await this.authenticate(m[1]!)).claims;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the JWT preHandler on routes that require a login. */
    claims?: TokenClaims;
  }
}

/** preHandler for routes that need a logged-in user. */
export function requireJwt(jwt: JwtService) {
  return async (request: FastifyRequest): Promise<void> => {
    request.claims = await jwt.fromRequest(request);
  };
}
