import type { PublicUser, TokenClaims } from '../../../src-shared/api/auth.js';
import { AppError } from '../errors.js';
import type { AuthInvalidationBus } from '../runtime/runtime.js';
import type { StationBindingsRepo } from '../store/station-bindings-repo.js';
import type { UsersRepo } from '../store/users-repo.js';

interface UserEntry {
  /** null: the user was deleted or disabled. */
  user: PublicUser | null;
  loadedAt: number;
}

export type Revocation = { userId: number } | { deviceId: string };

/**
 * A principal change as it travels on the runtime's invalidation bus, next to device keys. Device keys never
 * contain ':' (DEVICE_KEY_PATTERN), so these names never collide with one, and the device auth cache ignores them.
 */
type PrincipalChange = Revocation | { userChanged: number };
const PREFIX = 'principal:';

export function encodePrincipalChange(c: PrincipalChange): string {
  if ('userId' in c) return `${PREFIX}revoke-user:${c.userId}`;
  if ('deviceId' in c) return `${PREFIX}revoke-device:${c.deviceId}`;
  return `${PREFIX}user-changed:${c.userChanged}`;
}

export function decodePrincipalChange(key: string): PrincipalChange | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  const rest = key.slice(PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return undefined;
  const kind = rest.slice(0, colon);
  const arg = rest.slice(colon + 1);
  const id = /^\d{1,15}$/.test(arg) ? Number(arg) : undefined;
  if (kind === 'revoke-user' && id !== undefined) return { userId: id };
  if (kind === 'user-changed' && id !== undefined) return { userChanged: id };
  if (kind === 'revoke-device' && arg.length > 0) return { deviceId: arg };
  return undefined;
}

interface OwnerEntry {
  owner: number;
  loadedAt: number;
}

/**
 * Who a valid token may still act as. A JWT stays valid for days, so its signature alone cannot tell that the
 * user was deleted or disabled since, or that its device_id now belongs to someone else. Every push, pull,
 * notification call and socket login asks this gate: the user must exist and be enabled (else 401), and the
 * token's device_id must be bound to that user (else 403; an unbound id is claimed on first use).
 *
 * Both answers are cached for `ttlMs` (a station pushes many times a minute and should not cost a store read
 * each time). Changes go out on the runtime's invalidation bus (`announce`), so every instance of the fleet
 * drops its cached entry and ends the user's open sockets, not only the one that made the change; the TTL stays
 * as the bound should a change be written by something that does not announce it. Bounded: the oldest entries
 * go first.
 */
export class PrincipalGate {
  private readonly users = new Map<number, UserEntry>();
  private readonly owners = new Map<string, OwnerEntry>();
  /** Bumped by every invalidation, so a load that raced with one does not re-insert stale state. */
  private generation = 0;
  private readonly revokeListeners: ((r: Revocation) => void)[] = [];

  constructor(
    private readonly repos: { users: UsersRepo; bindings: StationBindingsRepo },
    private readonly ttlMs = 1000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
    private readonly bus?: AuthInvalidationBus,
  ) {
    // The bus tells this instance too (synchronously, inside announce), so every instance applies a change the
    // same way, exactly once.
    bus?.subscribe((key) => {
      const c = decodePrincipalChange(key);
      if (!c) return;
      if ('userChanged' in c) this.invalidateUser(c.userChanged);
      else this.revoke(c);
    });
  }

  /**
   * A user deleted or disabled, or a device id released: applied here and on every other instance (their open
   * sockets end too). Resolves once the change is on the bus, so an acknowledged change reaches the fleet.
   */
  async announceRevoke(r: Revocation): Promise<void> {
    if (!this.bus) return this.revoke(r);
    await this.bus.announce(encodePrincipalChange(r));
  }

  /** A user changed in a way that ends nothing (re-enabled): every instance re-reads it on next use. */
  async announceUserChanged(userId: number): Promise<void> {
    if (!this.bus) return this.invalidateUser(userId);
    await this.bus.announce(encodePrincipalChange({ userChanged: userId }));
  }

  /** The token's current user, or an AppError: INVALID_TOKEN (gone, disabled), FORBIDDEN (foreign device). */
  async check(claims: TokenClaims): Promise<PublicUser> {
    const userId = Number(claims.sub);
    const user = await this.user(userId);
    if (!user) throw new AppError('INVALID_TOKEN', 'User no longer exists or is disabled');
    if (claims.device_id !== null) await this.requireOwner(claims.device_id, userId);
    return user;
  }

  /** Binds an unbound device id to the user, or refuses (403) when another user owns it. */
  async requireOwner(deviceId: string, userId: number): Promise<void> {
    const owner = await this.owner(deviceId, userId);
    if (owner !== userId) {
      throw new AppError('FORBIDDEN', 'This device_id is bound to another account');
    }
  }

  /** Called when a user is deleted or disabled, or a device id is released (open sockets end). */
  onRevoke(listener: (r: Revocation) => void): void {
    this.revokeListeners.push(listener);
  }

  /** Forgets a deleted or disabled user, or a released device id, and ends what is still open for it. */
  revoke(r: Revocation): void {
    if ('userId' in r) this.invalidateUser(r.userId);
    else this.invalidateDevice(r.deviceId);
    for (const listener of this.revokeListeners) listener(r);
  }

  invalidateUser(userId: number): void {
    this.generation++;
    this.users.delete(userId);
    // A deleted user's bindings are gone with it (cascade): forget them so the ids can be claimed again.
    for (const [deviceId, e] of this.owners) if (e.owner === userId) this.owners.delete(deviceId);
  }

  invalidateDevice(deviceId: string): void {
    this.generation++;
    this.owners.delete(deviceId);
  }

  private fresh(loadedAt: number): boolean {
    return this.now() - loadedAt < this.ttlMs;
  }

  private async user(id: number): Promise<PublicUser | null> {
    const hit = this.users.get(id);
    if (hit && this.fresh(hit.loadedAt)) return hit.user;
    const gen = this.generation;
    const u = await this.repos.users.findById(id);
    const user: PublicUser | null =
      u && !u.disabled
        ? { id: u.id, username: u.username, name: u.name, email: u.email, role: u.role }
        : null;
    if (gen === this.generation) put(this.users, id, { user, loadedAt: this.now() }, this.maxEntries);
    return user;
  }

  private async owner(deviceId: string, claimant: number): Promise<number> {
    const hit = this.owners.get(deviceId);
    if (hit && this.fresh(hit.loadedAt)) return hit.owner;
    const gen = this.generation;
    // Read first: a claim is a write (and takes the write lock) even when it changes nothing.
    const owner =
      (await this.repos.bindings.ownerOf(deviceId)) ??
      (await this.repos.bindings.claim(deviceId, claimant, new Date(this.now()).toISOString()));
    if (gen === this.generation) put(this.owners, deviceId, { owner, loadedAt: this.now() }, this.maxEntries);
    return owner;
  }
}

function put<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
