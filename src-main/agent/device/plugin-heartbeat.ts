/**
 * Seed 000's plugin activity heartbeat: POST /api/heartbeat with the seed's body, sent when the UI opens and
 * every 5 minutes (configurable) while it is open, stopped when it closes. Ids follow the seed:
 * plugin_id = "<prefix>-<hostname>-<username>" lowercased (characters the server's id pattern does not allow
 * become '-'), user_id = "<username>@<hostname>". Failures are logged and retried at the next tick.
 */
import { hostname, release, type as osType, userInfo } from 'node:os';
import type { AxiosInstance } from 'axios';
import { createLogger } from '../logging/logger.js';

const log = createLogger('plugin-heartbeat');
export const AGENT_VERSION = '0.1.0';

function username(): string {
  try {
    return userInfo().username || process.env.USER || process.env.USERNAME || 'user';
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'user';
  }
}

export function pluginIdentity(prefix: string, host = hostname(), user = username()) {
  const plugin_id = `${prefix}-${host}-${user}`
    .toLowerCase()
    .replace(/[^a-z0-9._@-]/g, '-')
    .slice(0, 128);
  return { plugin_id, user_id: `${user}@${host}`, computer_name: host };
}

export function pluginHeartbeatBody(prefix: string) {
  const id = pluginIdentity(prefix);
  return {
    ...id,
    plugin_name: 'Outpost',
    version: AGENT_VERSION,
    system_info: `${osType()} ${release()}`,
    timestamp: new Date().toISOString(),
    action: 'heartbeat_update',
    source: 'outpost_agent',
    update_existing: true,
    force_update: false,
  };
}

export class PluginHeartbeat {
  private timer: NodeJS.Timeout | null = null;
  sent = 0;
  lastError: string | null = null;

  constructor(
    private readonly http: () => AxiosInstance,
    private readonly prefix: () => string,
    private readonly intervalMs: () => number,
  ) {}

  get isRunning(): boolean {
    return this.timer !== null;
  }

  /** Sends one now and every interval until stop(). Calling it again while running just sends one more. */
  async start(): Promise<boolean> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.sendOnce(), this.intervalMs());
      this.timer.unref();
    }
    return this.sendOnce();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sendOnce(): Promise<boolean> {
    try {
      await this.http().post('/api/heartbeat', pluginHeartbeatBody(this.prefix()), {
        headers: { 'Content-Type': 'application/json' },
      });
      this.sent++;
      this.lastError = null;
      log.debug('plugin heartbeat sent');
      return true;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      log.warn({ err }, 'plugin heartbeat failed');
      return false;
    }
  }
}
