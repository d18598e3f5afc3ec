import { Readable } from 'node:stream';
import { csvLine } from '../csv.js';
import { DEVICE_CSV_COLUMNS } from '../../../src-shared/api/inventory.js';
import type { DeviceFilter, DevicesRepo, InventoryRow, PresencePolicy } from '../store/devices-repo.js';

/** Rows per store read: memory stays flat whatever the fleet's size (one page in flight at a time). */
export const CSV_PAGE = 1000;

function line(d: InventoryRow): string {
  const cells: Record<(typeof DEVICE_CSV_COLUMNS)[number], string | null> = {
    device_key: d.device_key,
    state: d.state,
    group: d.group_name,
    note: d.note,
    hostname: d.hostname,
    ip_address: d.ip_address,
    ip_lan: d.ip_lan,
    ip_public: d.ip_public,
    mac: d.mac,
    cluster_ip: d.cluster_ip,
    status: d.status,
    last_seen: d.last_seen,
    registered_at: d.registered_at,
    created_at: d.created_at,
    revoked_at: d.revoked_at,
  };
  return csvLine(DEVICE_CSV_COLUMNS.map((c) => cells[c]));
}

/**
 * The filter's devices as a CSV stream, read from the store in key order one page at a time (keyset, so a page
 * costs the same at the end as at the start) and only when the client has taken the previous one
 * (backpressure: a slow download holds one page, not the fleet).
 */
export function deviceCsvStream(repo: DevicesRepo, filter: DeviceFilter, policy: PresencePolicy): Readable {
  async function* lines() {
    yield DEVICE_CSV_COLUMNS.join(',') + '\r\n';
    let after = '';
    for (;;) {
      const rows = await repo.scan(filter, policy, after, CSV_PAGE);
      if (rows.length > 0) yield rows.map(line).join('');
      if (rows.length < CSV_PAGE) return;
      after = rows[rows.length - 1]!.device_key;
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
