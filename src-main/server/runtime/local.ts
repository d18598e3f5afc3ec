import { randomBytes } from 'node:crypto';
import type { ServerEvent } from '../../../src-shared/api/realtime.js';
import type { ServerConfig } from '../config.js';
import { FixedWindowLimiter } from '../rate-limiter.js';
import { loadDataDirKeys } from './data-dir-keys.js';
import {
  roomOf,
  type AuthInvalidationBus,
  type FanOut,
  type Limiter,
  type LimiterName,
  type LocalDelivery,
  type Presence,
  type PresenceRoom,
  type Runtime,
  type RuntimeLog,
  type ServerKeys,
  type Singleton,
  type Target,
} from './runtime.js';

/** A limiter in this process's memory (one process = the whole fleet). */
export function memoryLimiter(opts: { max: number; windowMs: number; now?: () => number }): Limiter {
  const w = new FixedWindowLimiter(opts.max, opts.windowMs, 100_000, opts.now);
  return {
    max: opts.max,
    windowMs: opts.windowMs,
    hit: async (key, weight = 1) => w.hit(key, weight),
    blocked: async (key) => w.blocked(key),
    reserve: async (key, weight = 1) => w.reserve(key, weight),
    release: async (key, weight = 1) => w.release(key, weight),
    reset: async (key) => w.reset(key),
  };
}

/** Fan-out inside one process: publishing is delivering. */
export class LocalFanOut implements FanOut {
  private deliver: LocalDelivery = () => undefined;
  bind(deliver: LocalDelivery): void {
    this.deliver = deliver;
  }
  publish(target: Target, event: ServerEvent, data: unknown): void {
    this.deliver(target, event, data);
  }
  /** One process: delivered is shared. */
  shared(): Promise<void> {
    return Promise.resolve();
  }
}

/** Socket counts per room in this process. */
export class LocalPresence implements Presence {
  private readonly rooms = new Map<PresenceRoom, number>();

  async join(rooms: readonly PresenceRoom[]): Promise<boolean> {
    return this.add(rooms, 1);
  }
  async leave(rooms: readonly PresenceRoom[]): Promise<boolean> {
    return this.add(rooms, -1);
  }
  async count(target: Target): Promise<number> {
    return this.rooms.get(roomOf(target)) ?? 0;
  }

  /** True when the device room (the last of `rooms`) went from empty to occupied, or back. */
  private add(rooms: readonly PresenceRoom[], delta: 1 | -1): boolean {
    let flipped = false;
    for (const room of rooms) {
      const n = (this.rooms.get(room) ?? 0) + delta;
      if (n > 0) this.rooms.set(room, n);
      else this.rooms.delete(room);
      if (room.startsWith('device:')) flipped = delta === 1 ? n === 1 : n === 0;
    }
    return flipped;
  }
}

/** The invalidation bus of one process: an announcement reaches this process's cache at once. */
export class LocalAuthBus implements AuthInvalidationBus {
  private readonly subscribers: ((deviceKey: string) => void)[] = [];
  subscribe(onInvalidate: (deviceKey: string) => void): void {
    this.subscribers.push(onInvalidate);
  }
  async announce(deviceKey: string): Promise<void> {
    this.notify(deviceKey);
  }
  notify(deviceKey: string): void {
    for (const fn of this.subscribers) fn(deviceKey);
  }
}

/** The only instance is always the leader. */
export function localSingleton(everyMs: number, job: () => Promise<void>, log: () => RuntimeLog): Singleton {
  const timer = setInterval(() => {
    job().catch((err: unknown) => log().warn({ err }, 'singleton job failed'));
  }, everyMs);
  timer.unref();
  return { isLeader: () => true, stop: () => clearInterval(timer) };
}

/**
 * Everything in this process: the default for the desktop app, tests that embed the server, and any server
 * that is the only process on its data dir. Keys come from the data dir (or the environment).
 */
export function createLocalRuntime(
  config: ServerConfig,
  keys: ServerKeys = loadDataDirKeys(config),
): Runtime {
  const limiters = new Map<LimiterName, Limiter>();
  let log: RuntimeLog = { warn: () => undefined };
  return {
    kind: 'local',
    instanceId: randomBytes(4).toString('hex'),
    fanout: new LocalFanOut(),
    presence: new LocalPresence(),
    authEvents: new LocalAuthBus(),
    keys,
    limiter(name, opts) {
      let l = limiters.get(name);
      if (!l) limiters.set(name, (l = memoryLimiter(opts)));
      return l;
    },
    singleton(_name, everyMs, job) {
      return localSingleton(everyMs, job, () => log);
    },
    bindLogger(l) {
      log = l;
    },
    async close() {},
  };
}
