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
    const digest = sha256Hex(presented);
    let match = false;
    for (const d of this.digests) match = digestEquals(digest, d) || match;
    return match;
  }

  /** preHandler for admin routes. */
  readonly guard = async (request: FastifyRequest): Promise<void> => {
    if (!this.verify(request.headers['x-api-key'])) {
      throw new AppError('UNAUTHORIZED', 'Valid API key required');
    }
  };
}
