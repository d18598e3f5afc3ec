import type { FastifyRequest } from 'fastify';
import type { Role } from '../../../src-shared/api/auth.js';
import { AppError } from '../errors.js';
import { accessOf, type AccessLevel, type Actor } from './admin-access.js';
import type { ApiKeyVerifier } from './api-key.js';
import type { JwtService } from './jwt.js';
import type { NamedKeys } from './named-keys.js';
import { sha256Hex } from './secret-hash.js';

/** What each role may do on admin routes. A station syncs; it never reaches an admin route. */
const ALLOWED: Readonly<Record<Role, readonly AccessLevel[]>> = {
  admin: ['view', 'operate', 'admin'],
  operator: ['view', 'operate'],
  viewer: ['view'],
  station: [],
};

export function roleAllows(role: Role, level: AccessLevel): boolean {
  return ALLOWED[role].includes(level);
}

const ENVIRONMENT: Actor = { kind: 'api-key', name: 'environment', role: 'admin' };

/**
 * The one gate of every admin route: who is calling (401 when nobody we know), then whether its role reaches the
 * route's `config.access` (403 FORBIDDEN). Callers are the environment's keys (OUTPOST_API_KEYS or the data
 * dir's key file: admin, actor `environment`), named API keys, and users' JWTs. Keys go as `X-API-Key` or seed
 * 003's `X-WebSocket-API-Key` (`X-API-Key` wins when both are sent); a JWT as `Authorization: Bearer`. A JWT's
 * role is the user's role now, not the one in the token: a demoted or disabled user loses access within the
 * principal gate's bound (invalidated at once on every instance), not when the token expires.
 */
export class AdminGate {
  constructor(
    private readonly environmentKeys: ApiKeyVerifier,
    private readonly namedKeys: NamedKeys,
    private readonly jwt: JwtService,
  ) {}

  readonly guard = async (request: FastifyRequest): Promise<void> => {
    const actor = await this.authenticate(request);
    request.actor = actor;
    const level = accessOf(request);
    if (!roleAllows(actor.role, level)) {
      throw new AppError('FORBIDDEN', `The ${actor.role} role may not use this route (needs ${level})`);
    }
  };

  async authenticate(request: FastifyRequest): Promise<Actor> {
    const h = request.headers;
    const key = h['x-api-key'] ?? h['x-websocket-api-key'];
    if (key !== undefined) {
      if (typeof key !== 'string' || key.length === 0 || key.length > 512) throw unauthorized();
      const digest = sha256Hex(key);
      // The environment's keys are compared in constant time against every digest; a named key is found by its
      // digest (an index read: the digest of a 256-bit key tells nothing of the key or of its neighbours).
      if (this.environmentKeys.verifyDigest(digest)) return ENVIRONMENT;
      const named = await this.namedKeys.find(digest);
      if (named) return { kind: 'api-key', name: named.name, role: named.role, id: named.id };
      throw unauthorized();
    }
    if (h.authorization !== undefined) {
      const token = bearerOf(request);
      if (!token) throw new AppError('INVALID_TOKEN', 'Bearer token required');
      const { user } = await this.jwt.authenticate(token);
      return { kind: 'user', name: user.username, role: user.role, id: user.id };
    }
    throw unauthorized();
  }
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

/** Seed 002's wording: scripts written against it match on the message. */
const unauthorized = () => new AppError('UNAUTHORIZED', 'Valid API key required');
