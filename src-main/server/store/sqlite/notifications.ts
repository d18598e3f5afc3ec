import type { NotificationRecord, NotificationsRepo } from '../notifications-repo.js';
import type { Db } from './db.js';

/** Table created by migration 4 (see sync.ts). */
export function sqliteNotifications(db: Db): NotificationsRepo {
  const insert = db.prepare(
    `INSERT INTO notifications (device_id, type, title, message, data, created_at)
     VALUES (@device_id, @type, @title, @message, @data, @created_at)`,
  );
  const byId = db.prepare('SELECT * FROM notifications WHERE id = ?');
  const visible = db.prepare(
    'SELECT * FROM notifications WHERE id = ? AND (device_id IS NULL OR device_id = ?)',
  );
  const read = db.prepare(
    `INSERT INTO notification_reads (notification_id, reader, read_at) VALUES (?, ?, ?)
     ON CONFLICT DO NOTHING`,
  );
  const readAt = db
    .prepare('SELECT read_at FROM notification_reads WHERE notification_id = ? AND reader = ?')
    .pluck();
  const list = db.prepare(
    `SELECT n.*, r.read_at FROM notifications n
     LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.reader = @reader
     WHERE (n.device_id IS NULL OR n.device_id = @reader) AND (@unread = 0 OR r.read_at IS NULL)
     ORDER BY n.id DESC LIMIT @limit`,
  );
  return {
    async create(n) {
      const info = insert.run({ ...n, created_at: new Date().toISOString() });
      return byId.get(info.lastInsertRowid) as NotificationRecord;
    },
    async findVisible(id, reader) {
      return visible.get(id, reader) as NotificationRecord | undefined;
    },
    async markRead(id, reader, now) {
      read.run(id, reader, now);
      return readAt.get(id, reader) as string;
    },
    async listFor(reader, opts) {
      return list.all({
        reader,
        unread: opts.unreadOnly ? 1 : 0,
        limit: opts.limit,
      }) as (NotificationRecord & {
        read_at: string | null;
      })[];
    },
  };
}
