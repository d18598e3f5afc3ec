import type { AdminDevice, DeviceDetails } from '../../../src-shared/api/devices.js';
import type { InventoryDevice } from '../../../src-shared/api/inventory.js';
import type { DeviceRecord, InventoryRow } from '../store/devices-repo.js';
import type { GroupPolicy } from './group-policy.js';
import { isWithin } from './presence.js';

/** Store rows → wire shapes. Hashes (secret, token) never leave through here. */
function common(d: DeviceRecord, policy: GroupPolicy, now: number) {
  return {
    device_key: d.device_key,
    note: d.note,
    status: d.status,
    online: d.status === 'registered' && isWithin(d.last_seen, policy.thresholdOf(d.group_id), now),
    last_seen: d.last_seen,
    registered_at: d.registered_at,
    ip_address: d.ip_address,
    ip_lan: d.ip_lan,
    ip_public: d.ip_public,
    mac: d.mac,
    cluster_ip: d.cluster_ip,
  };
}

export function adminView(d: DeviceRecord, policy: GroupPolicy, now = Date.now()): AdminDevice {
  const tokenLive =
    d.token_hash !== null && d.token_expires_at !== null && Date.parse(d.token_expires_at) > now;
  return {
    ...common(d, policy, now),
    created_at: d.created_at,
    revoked_at: d.revoked_at,
    token_expires_at: tokenLive ? d.token_expires_at : null,
    has_ssh_key: d.ssh_pubkey !== null,
  };
}

/** A listed device: `state` comes from the store, judged by the device's own group's threshold. */
export function inventoryView(d: InventoryRow, policy: GroupPolicy, now = Date.now()): InventoryDevice {
  return {
    ...adminView(d, policy, now),
    online: d.state === 'online',
    state: d.state,
    group: { id: d.group_id, name: d.group_name },
    hostname: d.hostname,
  };
}

export function deviceView(d: DeviceRecord, policy: GroupPolicy, now = Date.now()): DeviceDetails {
  return {
    ...common(d, policy, now),
    ssh_pubkey: d.ssh_pubkey,
    heartbeat_interval_sec: policy.intervalOf(d.group_id),
  };
}
