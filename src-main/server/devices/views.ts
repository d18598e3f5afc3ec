import type { AdminDevice, DeviceDetails } from '../../../src-shared/api/devices.js';
import type { DeviceRecord } from '../store/devices-repo.js';
import { isOnline } from './presence.js';

/** Store rows → wire shapes. Hashes (secret, token) never leave through here. */
function common(d: DeviceRecord, intervalSec: number, now: number) {
  return {
    device_key: d.device_key,
    note: d.note,
    status: d.status,
    online: d.status === 'registered' && isOnline(d.last_seen, intervalSec, now),
    last_seen: d.last_seen,
    registered_at: d.registered_at,
    ip_address: d.ip_address,
    ip_lan: d.ip_lan,
    ip_public: d.ip_public,
    mac: d.mac,
    cluster_ip: d.cluster_ip,
  };
}

export function adminView(d: DeviceRecord, intervalSec: number, now = Date.now()): AdminDevice {
  const tokenLive =
    d.token_hash !== null && d.token_expires_at !== null && Date.parse(d.token_expires_at) > now;
  return {
    ...common(d, intervalSec, now),
    created_at: d.created_at,
    revoked_at: d.revoked_at,
    token_expires_at: tokenLive ? d.token_expires_at : null,
    has_ssh_key: d.ssh_pubkey !== null,
  };
}

export function deviceView(d: DeviceRecord, intervalSec: number, now = Date.now()): DeviceDetails {
  return { ...common(d, intervalSec, now), ssh_pubkey: d.ssh_pubkey, heartbeat_interval_sec: intervalSec };
}
