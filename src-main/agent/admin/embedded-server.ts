/**
 * The embedded server as the agent sees it: a process started by an injected spawner (headless: a forked
 * `src-main/cli/server.ts`; Electron: a utilityProcess), never an import of src-main/server. This module owns
 * what both shells share: the mode/port in settings, the admin API key in the SecretStore (handed to the child
 * only through OUTPOST_API_KEYS), pointing the agent's active profile at the server, and its status.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ServerStatus } from '../../../src-shared/ipc/channels.js';
import type { AdminNotice } from '../../../src-shared/ipc/shell-state.js';
import type { AgentServices } from '../agent.js';
import { backoffDelay } from '../../../src-shared/backoff.js';
import { AgentError, describeError } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import type { AdminEndpoint } from './admin-client.js';

const log = createLogger('embedded-server');

export const EMBEDDED_API_KEY_ACCOUNT = 'embedded_server_api_key';
export const EMBEDDED_PROFILE = 'embedded';

export type EmbeddedMode = 'off' | 'local' | 'lan';

const ADMIN_NOTICE = /^Created admin user '([^']+)' with password \(shown once\): (\S+)\s*$/;

/** The server CLI's first-start line (both shells' spawners read it), split; null for every other line. */
export function parseAdminNotice(line: string): AdminNotice | null {
  const m = ADMIN_NOTICE.exec(line);
  return m ? { username: m[1]!, password: m[2]! } : null;
}

export interface SpawnedServer {
  /** Resolves with the URL the server printed once it listens; rejects when it exits first. */
  ready: Promise<string>;
  /** Resolves when the process has exited (code or null). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after a grace period; resolves after exit. */
  stop(): Promise<void>;
  pid: number | undefined;
  /** The last line the server wrote to stderr (its CLI's one-line reason when it ends), if any. */
  lastOutput?(): string | null;
}

/** Timer functions and clock, injectable so tests drive the restart backoff without waiting. */
export interface SupervisorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: SupervisorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SupervisorOptions {
  clock?: SupervisorClock;
  /** First delay before restarting a crashed server; doubles per crash in a row up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A server that stayed up this long counts as healthy: the next crash starts the backoff over. */
  healthyAfterMs?: number;
}

/**
 * The server's own words for why it stopped, turned into the operator's: the server CLI's last stderr line
 * (`outpost server: listen EADDRINUSE: …`) or the exit code.
 */
export function describeServerFailure(text: string, port: number): string {
  const line = text.replace(/^.*?outpost server: /s, '').trim();
  if (/EADDRINUSE/.test(text)) return `port ${port} is in use by another program`;
  if (/listen EACCES/.test(text)) return `port ${port} needs privileges this user does not have`;
  if (/EADDRNOTAVAIL/.test(text)) return 'the address to listen on does not exist on this machine';
  return line || text;
}

export type ServerSpawner = (opts: {
  host: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
}) => SpawnedServer;

/** What the API adapter (server.* channels) and the admin client need; implemented below. */
export interface ServerController {
  status(): ServerStatus;
  configure(input: { mode: EmbeddedMode; port?: number; confirm_lan?: boolean }): Promise<ServerStatus>;
  restart(): Promise<ServerStatus>;
  adminEndpoint(): Promise<AdminEndpoint | null>;
  onStatus(listener: (s: ServerStatus) => void): () => void;
}

export class EmbeddedServer implements ServerController {
  private child: SpawnedServer | null = null;
  private url: string | null = null;
  private startedAt: string | null = null;
  private lastError: string | null = null;
  private readonly listeners = new Set<(s: ServerStatus) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Crashes in a row (reset by a server that stayed up healthyAfterMs, or by Restart). */
  private crashes = 0;
  private restartTimer: unknown = null;
  private restartAt: number | null = null;
  private readyAt: number | null = null;
  private stopped = false;
  private readonly clock: SupervisorClock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly healthyAfterMs: number;

  constructor(
    private readonly agent: Pick<AgentServices, 'dataDir' | 'settings' | 'secrets'>,
    private readonly spawn: ServerSpawner,
    private readonly hooks: { onReady?(url: string): void; onStopped?(): void } = {},
    supervisor: SupervisorOptions = {},
  ) {
    this.clock = supervisor.clock ?? realClock;
    this.baseDelayMs = supervisor.baseDelayMs ?? 1_000;
    this.maxDelayMs = supervisor.maxDelayMs ?? 60_000;
    this.healthyAfterMs = supervisor.healthyAfterMs ?? 60_000;
  }

  status(): ServerStatus {
    const { mode, port } = this.agent.settings.get().embedded_server;
    let active = '';
    try {
      active = this.agent.settings.activeProfile().base_url.replace(/\/+$/, '');
    } catch {
      // no profile: the agent does not point here
    }
    return {
      mode,
      // The bound port (settings may say 0 = any free port).
      port: this.url ? Number(new URL(this.url).port) : port,
      running: this.url !== null,
      url: this.url,
      agent_points_here: this.url !== null && active === this.url,
      started_at: this.startedAt,
      last_error: this.lastError,
      admin_available: this.url !== null,
      restarting_at: this.restartAt === null ? null : new Date(this.restartAt).toISOString(),
      crashes: this.crashes,
    };
  }

  onStatus(listener: (s: ServerStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Start according to settings (app / CLI start-up). Failure is recorded in status, not thrown. */
  async startFromSettings(): Promise<ServerStatus> {
    return this.serial(async () => {
      const { mode, port } = this.agent.settings.get().embedded_server;
      if (mode !== 'off') await this.startChild(mode, port).catch(() => undefined);
      return this.status();
    });
  }

  async configure(input: {
    mode: EmbeddedMode;
    port?: number;
    confirm_lan?: boolean;
  }): Promise<ServerStatus> {
    if (input.mode === 'lan' && input.confirm_lan !== true) {
      throw new AgentError(
        'CONFIRMATION_REQUIRED',
        'Serving on the LAN lets other machines reach this server: confirm the warning to turn it on',
      );
    }
    return this.serial(async () => {
      const current = this.agent.settings.get().embedded_server;
      const port = input.port ?? current.port;
      this.agent.settings.update({ embedded_server: { mode: input.mode, port } });
      this.cancelRestart();
      this.crashes = 0;
      await this.stopChild();
      if (input.mode !== 'off') await this.startChild(input.mode, port);
      else this.pointAgentAway();
      return this.status();
    });
  }

  async adminEndpoint(): Promise<AdminEndpoint | null> {
    if (!this.url) return null;
    const apiKey = await this.agent.secrets.get(EMBEDDED_API_KEY_ACCOUNT);
    return apiKey ? { url: this.url, apiKey } : null;
  }

  /** The Restart button: stop whatever runs (or waits to restart) and start now, backoff forgotten. */
  async restart(): Promise<ServerStatus> {
    return this.serial(async () => {
      const { mode, port } = this.agent.settings.get().embedded_server;
      if (mode === 'off') {
        throw new AgentError('SETTINGS_INVALID', 'The embedded server is off: turn it on in Settings first');
      }
      this.cancelRestart();
      this.crashes = 0;
      await this.stopChild();
      await this.startChild(mode, port);
      return this.status();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRestart();
    await this.serial(() => this.stopChild());
  }

  private localUrl(port: number): string {
    return `http://127.0.0.1:${port}`;
  }

  private async apiKey(): Promise<string> {
    const existing = await this.agent.secrets.get(EMBEDDED_API_KEY_ACCOUNT);
    if (existing) return existing;
    const key = randomBytes(32).toString('base64url');
    await this.agent.secrets.set(EMBEDDED_API_KEY_ACCOUNT, key);
    return key;
  }

  private async startChild(mode: EmbeddedMode, port: number): Promise<void> {
    this.lastError = null;
    try {
      const child = this.spawn({
        host: mode === 'lan' ? '0.0.0.0' : '127.0.0.1',
        port,
        dataDir: join(this.agent.dataDir, 'server'),
        env: { OUTPOST_API_KEYS: await this.apiKey() },
      });
      this.child = child;
      const printed = await child.ready;
      const boundPort = Number(new URL(printed).port) || port;
      this.url = this.localUrl(boundPort);
      this.startedAt = new Date(this.clock.now()).toISOString();
      this.readyAt = this.clock.now();
      void child.exited.then((code) => this.onExit(child, code, port));
      this.pointAgentHere(boundPort);
      log.info({ url: this.url, mode }, 'embedded server running');
      this.hooks.onReady?.(this.url);
    } catch (err) {
      this.child = null;
      this.url = null;
      this.lastError = `Embedded server did not start: ${describeServerFailure(describeError(err), port)}`;
      log.error({ err: describeError(err), port }, 'embedded server did not start');
      throw new AgentError('SERVICE_UNAVAILABLE', this.lastError);
    } finally {
      this.emit();
    }
  }

  private onExit(child: SpawnedServer, code: number | null, port: number): void {
    if (this.child !== child) return; // a stop we asked for
    this.child = null;
    this.url = null;
    this.startedAt = null;
    const said = child.lastOutput?.() ?? null;
    const cause = said
      ? describeServerFailure(said, port)
      : code === null
        ? 'it was killed by a signal'
        : `it exited with code ${code}`;
    if (this.readyAt !== null && this.clock.now() - this.readyAt >= this.healthyAfterMs) this.crashes = 0;
    this.crashes++;
    log.error({ code, cause, crashes: this.crashes }, 'embedded server exited');
    this.hooks.onStopped?.();
    this.scheduleRestart(`Embedded server stopped unexpectedly: ${cause}`);
  }

  /** After a crash: try again after 1 s, 2 s, 4 s … (maxDelayMs at most), until it runs or is turned off. */
  private scheduleRestart(why: string): void {
    if (this.stopped) return;
    // No jitter (random = 1): one local child, no fleet to spread, and the screen can say exactly when.
    const delay = backoffDelay(
      this.crashes - 1,
      { baseMs: this.baseDelayMs, capMs: this.maxDelayMs },
      () => 1,
    );
    this.restartAt = this.clock.now() + delay;
    this.lastError = `${why}. Restarting in ${Math.round(delay / 1000)} s (attempt ${this.crashes}).`;
    this.emit();
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = null;
      this.restartAt = null;
      void this.serial(async () => {
        const { mode, port } = this.agent.settings.get().embedded_server;
        if (mode === 'off' || this.stopped || this.child) return;
        try {
          await this.startChild(mode, port);
        } catch {
          this.crashes++;
          this.scheduleRestart(this.lastError ?? 'Embedded server did not start');
        }
      });
    }, delay);
  }

  private cancelRestart(): void {
    if (this.restartTimer !== null) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.restartAt = null;
  }

  private async stopChild(): Promise<void> {
    const child = this.child;
    this.child = null;
    this.url = null;
    this.startedAt = null;
    if (child) {
      await child.stop();
      this.hooks.onStopped?.();
      this.emit();
    }
  }

  /** The agent talks to the server it runs: profile 'embedded' → 127.0.0.1:port, made active. */
  private pointAgentHere(port: number): void {
    const s = this.agent.settings.get();
    const existing = s.profiles.find((p) => p.name === EMBEDDED_PROFILE);
    const profile = {
      timeout: 20,
      retries: 3,
      verify_tls: true,
      ...existing,
      name: EMBEDDED_PROFILE,
      base_url: this.localUrl(port),
    };
    this.agent.settings.update({
      profiles: [...s.profiles.filter((p) => p.name !== EMBEDDED_PROFILE), profile],
      active: EMBEDDED_PROFILE,
    });
  }

  /** Server turned off: an agent still aimed at it goes back to the first other profile (if there is one). */
  private pointAgentAway(): void {
    const s = this.agent.settings.get();
    const other = s.profiles.find((p) => p.name !== EMBEDDED_PROFILE);
    if (s.active === EMBEDDED_PROFILE && other) this.agent.settings.update({ active: other.name });
  }

  private emit(): void {
    const s = this.status();
    for (const l of [...this.listeners]) {
      try {
        l(s);
      } catch (err) {
        log.warn({ err: describeError(err) }, 'server status listener threw');
      }
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
