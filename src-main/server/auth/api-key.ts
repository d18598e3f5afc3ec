import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { digestEquals, sha256Hex } from './secret-hash.js';

/**
 * Admin API keys (`X-API-Key`). Keys are held only as SHA-256 digests and compared in constant time against
 * every configured digest (no early exit), so neither timing nor a leaked data dir gives a key away.
 */
export class ApiKeyVerifier {
  private readonly digests: string[];

  constructor(keyDigests: readonly string[]) {
    this.digests = [...keyDigests];
  }

  verify(presented: unknown): boolean {
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) return false;
    return this.verifyDigest(sha256Hex(presented));
  }

  /** Whether the digest of a presented key is one of the environment's (checked against all, no early exit). */
  verifyDigest(digest: string): boolean {
    let match = false;
    for (const d of this.digests) match = digestEquals(digest, d) || match;
    return match;
  }

  /**
   * onRequest hook for admin routes. `X-WebSocket-API-Key` is seed 003's name for the same key (its backend
   * pushes notifications with it): one key, one check, the same roles. `X-API-Key` wins when both are sent.
   */
  readonly guard = async (request: FastifyRequest): Promise<void> => {
    const h = request.headers;
    if (!this.verify(h['x-api-key'] ?? h['x-websocket-api-key'])) {
      throw new AppError('UNAUTHORIZED', 'Valid API key required');
    }
    request.actor = { kind: 'api-key', name: 'environment', role: 'admin' };
  };
}
