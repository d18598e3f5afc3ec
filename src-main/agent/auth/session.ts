import { AgentError, describeError, relayedCode } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { ServerClock } from '../time/server-clock.js';
import { StationApiError, type StationApi } from '../station/station-api.js';
import { tokenExpiry } from './jwt-claims.js';

const log = createLogger('auth');
const JWT_ACCOUNT = 'jwt';
/** Seed 001: refresh when less than a day is left. */
const REFRESH_BEFORE_MS = 24 * 60 * 60 * 1000;

export type AuthState = 'logged_out' | 'logged_in' | 'login_needed';

export interface SessionUser {
  id: number;
  username: string;
  role: string;
}

/**
 * The station's login: the JWT lives only in the SecretStore (account 'jwt') and in memory. A 401 anywhere turns
 * the state to 'login_needed'; recording copies never depends on it.
 */
export class AuthSession {
  private token: string | null | undefined; // undefined = not read from the store yet
  private _state: AuthState = 'logged_out';
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly opts: {
      secrets: SecretStore;
      api: () => StationApi;
      deviceId: string;
      /** The token's exp is the server's statement in the server's time: judged against the server clock. */
      clock: ServerClock;
      user: { get(): SessionUser | null; set(u: SessionUser | null): void };
      onChange?: (state: AuthState) => void;
    },
  ) {}

  get state(): AuthState {
    return this._state;
  }

  get user(): SessionUser | null {
    return this.opts.user.get();
  }

  /** Reads the stored token once (agent start). */
  async load(): Promise<void> {
    if (this.token !== undefined) return;
    this.token = await this.opts.secrets.get(JWT_ACCOUNT);
    this.setState(!this.token ? 'logged_out' : this.expired(this.token) ? 'login_needed' : 'logged_in');
  }

  async login(username: string, password: string): Promise<SessionUser> {
    if (!username || !password)
      throw new AgentError('VALIDATION_ERROR', 'username and password are required');
    let answer;
    try {
      answer = await this.opts.api().login(username, password, this.opts.deviceId);
    } catch (err) {
      if (err instanceof StationApiError && err.kind === 'auth') {
        throw new AgentError('INVALID_CREDENTIALS', 'Wrong username or password');
      }
      if (err instanceof StationApiError && err.kind === 'network') {
        throw new AgentError('NETWORK_ERROR', `Cannot reach the server: ${err.message}`);
      }
      throw new AgentError(
        relayedCode((err as StationApiError).code, 'UNEXPECTED_RESPONSE'),
        `Login failed: ${describeError(err)}`,
      );
    }
    await this.opts.secrets.set(JWT_ACCOUNT, answer.token);
    this.token = answer.token;
    const user = { id: answer.user.id, username: answer.user.username, role: answer.user.role };
    this.opts.user.set(user);
    this.setState('logged_in');
    log.info({ username: user.username, role: user.role }, 'station logged in');
    return user;
  }

  async logout(): Promise<void> {
    await this.opts.secrets.delete(JWT_ACCOUNT);
    this.token = null;
    this.opts.user.set(null);
    this.setState('logged_out');
  }

  /** The token to call the server with, refreshed first when it has less than 24 h left; null = no usable login. */
  async currentToken(): Promise<string | null> {
    await this.load();
    if (!this.token || this._state === 'login_needed') return null;
    const exp = tokenExpiry(this.token);
    if (exp && exp.getTime() - this.opts.clock.now() < REFRESH_BEFORE_MS) {
      this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    return this._state === 'logged_in' ? this.token : null;
  }

  /** The server said 401 to this token: the operator has to log in again. The queue keeps filling. */
  loginNeeded(reason: string): void {
    if (this._state === 'login_needed') return;
    log.warn({ reason }, 'server refused the station token: login needed');
    this.setState('login_needed');
  }

  /**
   * Expired by the server's clock. Before any answer has measured that clock, only the server can say: a station
   * clock days ahead must not throw away a valid login (the next call measures the clock, or is refused with 401).
   */
  private expired(token: string): boolean {
    const exp = tokenExpiry(token);
    return exp !== null && this.opts.clock.measured && exp.getTime() <= this.opts.clock.now();
  }

  private async refresh(): Promise<void> {
    const old = this.token;
    if (!old) return;
    try {
      const answer = await this.opts.api().refresh(old);
      await this.opts.secrets.set(JWT_ACCOUNT, answer.token);
      this.token = answer.token;
      log.info('station token refreshed');
    } catch (err) {
      if (err instanceof StationApiError && err.kind === 'auth') this.loginNeeded('refresh refused');
      // Offline or server trouble: keep the old token while it is valid and try again next time.
      else log.warn({ err: describeError(err) }, 'token refresh failed; will retry');
      if (this.expired(old)) this.loginNeeded('token expired');
    }
  }

  private setState(s: AuthState): void {
    if (s === this._state) return;
    this._state = s;
    this.opts.onChange?.(s);
  }
}
