/**
 * Heartbeats per minute and online devices over the last hour, for the admin chart. The server exposes a
 * heartbeat counter on /metrics, not a history, so main samples it once a minute while the embedded server runs
 * and keeps the last 60 points in memory (a restart starts a fresh hour: the chart says so by having fewer points).
 */
import { describeError } from '../errors.js';
import { createLogger } from '../logging/logger.js';

const log = createLogger('admin-stats');
const COUNTER = 'outpost_device_heartbeats_total';
const KEEP = 60;

export interface StatsPoint {
  minute: string;
  heartbeats: number;
  online: number | null;
}

/** Sum of every sample of a Prometheus counter in exposition text (all label sets). */
export function readCounter(text: string, name: string): number | null {
  let total = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(line.trim().split(/\s+/).pop());
    if (Number.isFinite(value)) {
      total += value;
      seen = true;
    }
  }
  return seen ? total : null;
}

export class HeartbeatSampler {
  private points: StatsPoint[] = [];
  private lastCount: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly src: {
      fetchText(path: string): Promise<string>;
      /** Devices online now and in all (counts, not lists: a fleet may hold 100,000). */
      counts(): Promise<{ online: number; total: number }>;
    },
    private readonly intervalMs = 60_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.lastCount = null;
    this.points = [];
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One reading: the counter delta since the last one becomes a point. Never throws. */
  async sample(now = new Date()): Promise<void> {
    try {
      const count = readCounter(await this.src.fetchText('/metrics'), COUNTER);
      const { online } = await this.src.counts();
      if (count !== null && this.lastCount !== null) {
        const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
        this.points.push({ minute, heartbeats: Math.max(0, count - this.lastCount), online });
        if (this.points.length > KEEP) this.points.splice(0, this.points.length - KEEP);
      }
      if (count !== null) this.lastCount = count;
    } catch (err) {
      log.debug({ err: describeError(err) }, 'stats sample failed');
    }
  }

  async snapshot(): Promise<{
    online_devices: number;
    total_devices: number;
    points: StatsPoint[];
  }> {
    const { online, total } = await this.src.counts();
    return {
      online_devices: online,
      total_devices: total,
      points: [...this.points],
    };
  }
}
