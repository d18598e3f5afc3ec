/**
 * Who the console acts as on the server the active profile points at. The embedded server is administered with
 * the key main already holds (no sign-in); any other server after the operator signs in, with username and
 * password (the server's `/api/auth/login` JWT) or with an API key they paste. That credential lives in the
 * SecretStore (OS keyring), one entry per server URL, never in settings.json and never in the UI. A credential
 * the server stops accepting (expired JWT, revoked key, disabled user) is forgotten on the first 401, and the
 * session says so until the operator signs in again.
 */
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import { z } from 'zod';
import { TokenResponse } from '../../../src-shared/api/auth.js';
import type { ConsoleSession as SessionView } from '../../../src-shared/ipc/channels.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { AgentError } from '../errors.js';
import { USER_AGENT } from '../http/client.js';
import { throwUnlessOk, type AdminEndpoint } from './admin-http.js';

export const CONSOLE_ACCOUNT_PREFIX = 'console_credential:';

const Stored = z.object({
  kind: z.enum(['user', 'api_key']),
  secret: z.string().min(1),
  name: z.string().nullable(),
  role: z.string().nullable(),
  expires_at: z.string().nullable(),
});
type Stored = z.infer<typeof Stored>;

export interface ConsoleSessionDeps {
  /** The active profile's server URL (no trailing slash), or null without a profile. */
  targetUrl(): string | null;
  /** The embedded server's admin endpoint while it runs (its URL and key), else null. */
  embedded(): Promise<AdminEndpoint | null>;
  secrets: SecretStore;
  now?: () => number;
  timeoutMs?: number;
}

const trim = (u: string) => u.replace(/\/+$/, '');

export class ConsoleSession {
  /** URLs whose sign-in the server refused since (memory only: "Signed out: sign in again" until next sign-in). */
  private readonly expired = new Set<string>();
  private readonly http;
  private readonly now: () => number;

  constructor(private readonly deps: ConsoleSessionDeps) {
    this.now = deps.now ?? Date.now;
    this.http = axios.create({
      timeout: deps.timeoutMs ?? 10_000,
      proxy: false,
      httpAgent: new http.Agent({ keepAlive: false }),
      httpsAgent: new https.Agent({ keepAlive: false }),
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      headers: { 'User-Agent': USER_AGENT },
    });
  }

  private target(): string {
    const url = this.deps.targetUrl();
    if (!url) throw new AgentError('SETTINGS_INVALID', 'No server profile: add one in Settings first');
    return trim(url);
  }

  private async embeddedFor(url: string): Promise<AdminEndpoint | null> {
    const ep = await this.deps.embedded();
    return ep && trim(ep.url) === url ? ep : null;
  }

  private async stored(url: string): Promise<Stored | null> {
    const raw = await this.deps.secrets.get(CONSOLE_ACCOUNT_PREFIX + url);
    if (!raw) return null;
    try {
      return Stored.parse(JSON.parse(raw));
    } catch {
      return null;
    }
  }

  async status(): Promise<SessionView> {
    const url = this.deps.targetUrl() ? this.target() : null;
    const none = { server_url: url, kind: null, name: null, role: null, expires_at: null };
    if (!url) return { ...none, state: 'signed_out' };
    if (await this.embeddedFor(url)) {
      return { ...none, state: 'embedded', kind: 'embedded', name: 'this machine', role: 'admin' };
    }
    const s = await this.stored(url);
    if (s && s.expires_at && Date.parse(s.expires_at) <= this.now()) {
      await this.forget(url);
      return { ...none, state: 'expired' };
    }
    if (!s) return { ...none, state: this.expired.has(url) ? 'expired' : 'signed_out' };
    return {
      server_url: url,
      state: 'signed_in',
      kind: s.kind,
      name: s.name,
      role: s.role,
      expires_at: s.expires_at,
    };
  }

  /** The endpoint of the administered server, with the credential to use; SIGNED_OUT when there is none. */
  async endpoint(): Promise<AdminEndpoint> {
    const url = this.target();
    const own = await this.embeddedFor(url);
    if (own) return own;
    const view = await this.status();
    const s = view.state === 'signed_in' ? await this.stored(url) : null;
    if (!s) {
      throw new AgentError(
        'SIGNED_OUT',
        view.state === 'expired'
          ? 'Signed out: sign in again'
          : `Not signed in: sign in to ${url} to administer it`,
      );
    }
    return {
      url,
      ...(s.kind === 'user' ? { bearer: s.secret } : { apiKey: s.secret }),
      rejected: () => this.forget(url, true),
    };
  }

  async signIn(input: { username: string; password: string } | { api_key: string }): Promise<SessionView> {
    const url = this.target();
    let stored: Stored;
    if ('username' in input) {
      const res = await this.post(url, '/api/auth/login', {
        username: input.username,
        password: input.password,
      });
      const parsed = TokenResponse.safeParse(res.json);
      if (res.status === 401) {
        throw new AgentError('INVALID_CREDENTIALS', 'Wrong username or password: check both and try again');
      }
      throwUnlessOk(res.status, res.json);
      if (!parsed.success) {
        throw new AgentError(
          'UNEXPECTED_RESPONSE',
          `${url} answered the login with something else: is it an Outpost server?`,
        );
      }
      const { token, expires_at, user } = parsed.data;
      stored = { kind: 'user', secret: token, name: user.username, role: user.role, expires_at };
      await this.probe(url, { authorization: `Bearer ${token}` }, 'user');
    } else {
      const headers = { 'x-api-key': input.api_key };
      await this.probe(url, headers, 'api_key');
      stored = {
        kind: 'api_key',
        secret: input.api_key,
        name: 'API key',
        role: await this.keyRole(url, headers),
        expires_at: null,
      };
    }
    await this.deps.secrets.set(CONSOLE_ACCOUNT_PREFIX + url, JSON.stringify(stored));
    this.expired.delete(url);
    return this.status();
  }

  async signOut(): Promise<SessionView> {
    const url = this.target();
    await this.forget(url);
    this.expired.delete(url);
    return this.status();
  }

  private async forget(url: string, refused = false): Promise<void> {
    await this.deps.secrets.delete(CONSOLE_ACCOUNT_PREFIX + url);
    if (refused) this.expired.add(url);
  }

  /** Checks that the server takes the credential on its admin routes (a view-level read) before keeping it. */
  private async probe(url: string, headers: Record<string, string>, kind: 'user' | 'api_key'): Promise<void> {
    const res = await this.get(url, '/api/admin/devices?limit=1', headers);
    if (res.status === 401) {
      throw new AgentError(
        'UNAUTHORIZED',
        kind === 'user'
          ? `${url} does not accept a signed-in user on its admin routes: sign in with an API key instead`
          : 'The server does not accept this API key: check it and paste it again',
      );
    }
    // 403: a role with no view access (a station user): signed in, and the server refuses what it may not do.
    if (res.status !== 403) throwUnlessOk(res.status, res.json);
  }

  /** A pasted key carries no role on the wire; the user list (admin only) tells admin from the rest. */
  private async keyRole(url: string, headers: Record<string, string>): Promise<string | null> {
    const res = await this.get(url, '/api/admin/users', headers);
    return res.status >= 200 && res.status < 300 ? 'admin' : null;
  }

  private post(url: string, path: string, body: unknown) {
    return this.send({
      method: 'POST',
      url: url + path,
      data: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  }

  private get(url: string, path: string, headers: Record<string, string>) {
    return this.send({ method: 'GET', url: url + path, headers });
  }

  private async send(req: { method: string; url: string; data?: string; headers: Record<string, string> }) {
    try {
      const res = await this.http.request<string>(req);
      let json: unknown;
      try {
        json = JSON.parse(typeof res.data === 'string' ? res.data : '');
      } catch {
        json = undefined;
      }
      return { status: res.status, json };
    } catch {
      const origin = new URL(req.url).origin;
      throw new AgentError(
        'NETWORK_ERROR',
        `The server at ${origin} did not answer: check that it runs and the profile URL in Settings`,
      );
    }
  }
}
