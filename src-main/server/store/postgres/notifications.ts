import type { NotificationRecord, NotificationsRepo } from '../notifications-repo.js';
import type { Queryable } from './db.js';

const COLS = 'id, device_id, type, title, message, data, created_at';

export function pgNotifications(db: Queryable): NotificationsRepo {
  return {
    async create(n) {
      // Named: an admin can raise these at hundreds a second, and a prepared statement skips the parse and
      // plan each one would otherwise cost the database.
      const rows = await db.query<NotificationRecord>(
        `INSERT INTO notifications (device_id, type, title, message, data, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLS}`,
        [n.device_id, n.type, n.title, n.message, n.data, new Date().toISOString()],
        'notifications_create',
      );
      return rows[0]!;
    },
    async findVisible(id, reader) {
      const rows = await db.query<NotificationRecord>(
        `SELECT ${COLS} FROM notifications WHERE id = $1 AND (device_id IS NULL OR device_id = $2)`,
        [id, reader],
      );
      return rows[0];
    },
    async markRead(id, reader, now) {
      // Two statements: a concurrent first read on another instance may win the insert, and only a new
      // statement's snapshot sees its row.
      await db.query(
        `INSERT INTO notification_reads (notification_id, reader, read_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING`,
        [id, reader, now],
      );
      const rows = await db.query<{ read_at: string }>(
        'SELECT read_at FROM notification_reads WHERE notification_id = $1 AND reader = $2',
        [id, reader],
      );
      return rows[0]!.read_at;
    },
    async listFor(reader, opts) {
      return db.query<NotificationRecord & { read_at: string | null }>(
        `SELECT n.id, n.device_id, n.type, n.title, n.message, n.data, n.created_at, r.read_at
         FROM notifications n
         LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.reader = $1
         WHERE (n.device_id IS NULL OR n.device_id = $1) AND (NOT $2 OR r.read_at IS NULL)
         ORDER BY n.id DESC LIMIT $3`,
        [reader, opts.unreadOnly, opts.limit],
      );
    },
  };
}
