/**
 * The persistence boundary of the server. Every method returns a Promise so the PostgreSQL implementation
 * planned for scale-out slots in without touching a route; the SQLite implementation (better-sqlite3) answers
 * synchronously underneath. Each route family owns one repository interface, in its own file.
 */
import type { ApiKeysRepo } from './api-keys-repo.js';
import type { AuditRepo } from './audit-repo.js';
import type { ClientsRepo } from './clients-repo.js';
import type { DeviceEventsRepo } from './device-events-repo.js';
import type { DevicesRepo } from './devices-repo.js';
import type { GroupsRepo } from './groups-repo.js';
import type { DevicesBulkRepo } from './devices-bulk-repo.js';
import type { LicensesRepo } from './licenses-repo.js';
import type { NotificationsRepo } from './notifications-repo.js';
import type { PluginsRepo } from './plugins-repo.js';
import type { StationBindingsRepo } from './station-bindings-repo.js';
import type { SystemsRepo } from './systems-repo.js';
import type { SyncRepo } from './sync-repo.js';
import type { UsersRepo } from './users-repo.js';

export interface StoreHealth {
  status: 'connected' | 'error';
  response_time_ms: number;
  kind: Store['kind'];
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly users: UsersRepo;
  readonly plugins: PluginsRepo;
  readonly licenses: LicensesRepo;
  readonly systems: SystemsRepo;
  readonly devices: DevicesRepo;
  readonly groups: GroupsRepo;
  readonly deviceEvents: DeviceEventsRepo;
  /** Bulk enrollment batches (devices-bulk-repo.ts). */
  readonly bulk: DevicesBulkRepo;
  readonly clients: ClientsRepo;
  readonly sync: SyncRepo;
  readonly notifications: NotificationsRepo;
  readonly bindings: StationBindingsRepo;
  readonly apiKeys: ApiKeysRepo;
  readonly audit: AuditRepo;
  /** A cheap round trip, for /health and /status. */
  ping(): Promise<StoreHealth>;
  /** Flushes anything buffered and closes the database. Safe to call twice. */
  close(): Promise<void>;
}
