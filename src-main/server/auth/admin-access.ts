import type { FastifyRequest } from 'fastify';
import type { Role } from '../../../src-shared/api/auth.js';

/**
 * What an admin route needs of its caller. `view`: read and export (viewer, operator, admin). `operate`: change
 * devices, groups, tokens, quotas and alerts (operator, admin). `admin`: users, API keys, webhooks, licenses'
 * keys and everything else (admin only). A route says which in `config: { access }`; without one it is `admin`,
 * so a route that forgets to say is closed, not open.
 */
export type AccessLevel = 'view' | 'operate' | 'admin';

/** Who made an admin request: a user signed in with a JWT, or an API key (by its name). */
export interface Actor {
  kind: 'user' | 'api-key';
  /** The username, or the key's name (`environment` for a key from OUTPOST_API_KEYS). */
  name: string;
  role: Role;
  /** The user's or the named key's id; absent for the environment's keys. */
  id?: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessLevel;
  }
  interface FastifyRequest {
    /** Set by the admin gate on every admin route. */
    actor?: Actor;
  }
}

export function accessOf(request: FastifyRequest): AccessLevel {
  return request.routeOptions?.config?.access ?? 'admin';
}

/** The actor of a request that passed the admin gate (routes behind it may rely on it). */
export function actorOf(request: FastifyRequest): Actor {
  return request.actor ?? { kind: 'api-key', name: 'environment', role: 'admin' };
}

/** OpenAPI security of admin routes: an API key, or a user's JWT. */
export const ADMIN_SECURITY: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }];
