/** Admin notifications (seed 003 `notification` events), kept so a device that was offline can read them later. */
export interface NotificationRecord {
  id: number;
  /** null = for every device. */
  device_id: string | null;
  type: string;
  title: string;
  message: string;
  /** JSON text or null. */
  data: string | null;
  created_at: string;
}

export interface NewNotification {
  device_id: string | null;
  type: string;
  title: string;
  message: string;
  data: string | null;
}

export interface NotificationsRepo {
  create(n: NewNotification): Promise<NotificationRecord>;
  /** The notification when `reader` may see it (addressed to it or to all). */
  findVisible(id: number, reader: string): Promise<NotificationRecord | undefined>;
  /** Marks read for `reader` (idempotent); returns when it was first read. */
  markRead(id: number, reader: string, now: string): Promise<string>;
  /** Newest first, with the reader's read time. */
  listFor(
    reader: string,
    opts: { unreadOnly: boolean; limit: number },
  ): Promise<(NotificationRecord & { read_at: string | null })[]>;
}
