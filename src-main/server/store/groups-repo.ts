/** Device groups and their heartbeat policy. Group 1 is the default group and cannot be deleted. */
export const DEFAULT_GROUP_ID = 1;

export interface GroupRecord {
  id: number;
  name: string;
  description: string | null;
  /** NULL on the default group until set: the server's configured interval applies. */
  heartbeat_interval_sec: number | null;
  silence_threshold_sec: number | null;
  is_default: boolean;
  device_count: number;
  created_at: string;
}

export interface NewGroup {
  name: string;
  description: string | null;
  heartbeat_interval_sec: number;
  silence_threshold_sec: number;
}

export type GroupPatch = Partial<NewGroup>;

export interface GroupsRepo {
  /** Every group with its device count, by id. */
  list(): Promise<GroupRecord[]>;
  get(id: number): Promise<GroupRecord | undefined>;
  /** Throws a CONFLICT AppError when the name (case-insensitive) is taken. */
  create(g: NewGroup, now: string): Promise<GroupRecord>;
  /**
   * Changes the given fields. CONFLICT on a taken name, VALIDATION_ERROR when the stored result would have a
   * threshold below the interval (the table's CHECK decides, so racing updates cannot produce one).
   */
  update(id: number, patch: GroupPatch): Promise<GroupRecord | undefined>;
  /**
   * Deletes a group and moves its devices to the default group in the same statement (with `group_changed`
   * events). `'default'` for the default group, undefined when there is no such group.
   */
  remove(id: number, now: string): Promise<{ moved: number } | 'default' | undefined>;
}
