import type { Group } from '../../../src-shared/api/inventory.js';
import { DEFAULT_GROUP_ID, type GroupRecord, type GroupsRepo } from '../store/groups-repo.js';
import type { AuthInvalidationBus } from '../runtime/runtime.js';
import { MISSED_INTERVALS_OFFLINE } from './presence.js';

/**
 * Messages on the runtime's invalidation bus (which otherwise carries device keys, never with a ':'):
 * a group's policy or name changed, or devices changed group in bulk (every cached device→group is stale).
 */
export const GROUPS_CHANGED = 'groups:changed';
export const GROUPS_MOVED = 'groups:moved';

/**
 * Every group's heartbeat policy, held per instance so that the heartbeat answer (`next_heartbeat_sec`) reads no
 * table. Reloaded when any instance announces a change on the runtime's bus (within its delivery time: 1 s) and,
 * as a backstop should an announcement be lost, every `refreshMs`. A group unknown here (created a moment ago on
 * another instance) gets the default group's policy until the reload.
 */
export class GroupPolicy {
  private groups = new Map<number, GroupRecord>();
  private loading: Promise<void> | undefined;
  private again = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly repo: GroupsRepo,
    /** The server's configured interval: the default group's until an operator sets one. */
    readonly configIntervalSec: number,
    refreshMs = 60_000,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.timer = setInterval(() => this.refresh(), refreshMs);
    this.timer.unref();
  }

  /** Reloads now; concurrent calls share one read, and a call during a read triggers one more after it. */
  reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.again = false;
          const list = await this.repo.list();
          this.groups = new Map(list.map((g) => [g.id, g]));
        } while (this.again);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** Fire-and-forget reload, failures to the logger (the previous policy stays in force). */
  refresh(): void {
    this.reload().catch(this.onError);
  }

  /** Subscribes to the fleet's group announcements; `onMoved` drops cached device→group assignments. */
  follow(bus: AuthInvalidationBus, onMoved: () => void): void {
    bus.subscribe((msg) => {
      if (msg === GROUPS_CHANGED) this.refresh();
      else if (msg === GROUPS_MOVED) {
        onMoved();
        this.refresh();
      }
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get defaultThresholdSec(): number {
    return MISSED_INTERVALS_OFFLINE * this.configIntervalSec;
  }

  intervalOf(groupId: number): number {
    const g = this.groups.get(groupId) ?? this.groups.get(DEFAULT_GROUP_ID);
    return g?.heartbeat_interval_sec ?? this.configIntervalSec;
  }

  thresholdOf(groupId: number): number {
    const g = this.groups.get(groupId) ?? this.groups.get(DEFAULT_GROUP_ID);
    return g?.silence_threshold_sec ?? this.defaultThresholdSec;
  }

  nameOf(groupId: number): string {
    return this.groups.get(groupId)?.name ?? `#${groupId}`;
  }

  /** A stored group as the API shows it: the default group's policy resolved to the configured one. */
  view(g: GroupRecord): Group {
    return {
      id: g.id,
      name: g.name,
      description: g.description,
      heartbeat_interval_sec: g.heartbeat_interval_sec ?? this.configIntervalSec,
      silence_threshold_sec: g.silence_threshold_sec ?? this.defaultThresholdSec,
      is_default: g.is_default,
      device_count: g.device_count,
      created_at: g.created_at,
    };
  }
}
