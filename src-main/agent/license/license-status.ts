/**
 * The license state the UI shows, judged offline from license.json: the certificate's signature against the key
 * pinned in the secret store (never the copy in the file), its fingerprint against this machine's, its expiry
 * against the server's time as the agent knows it. Same shape as the IPC channel's LicenseStatus.
 */
import type { LicenseStatus } from '../../../src-shared/ipc/schemas/license.js';
import { verifyCertificate } from './certificate.js';
import type { LicenseFileData } from './license-file.js';

export type { LicenseStatus };
export const EXPIRING_DAYS = 14;
const DAY_MS = 86_400_000;

export function noneStatus(): LicenseStatus {
  return {
    state: 'none',
    license_key: null,
    email: null,
    activated_at: null,
    expires_at: null,
    days_left: null,
    last_validated_at: null,
    message: 'No license activated: enter your license key and email.',
  };
}

export const MODIFIED_MESSAGE =
  'License file was modified (license.json is not what this agent wrote): not trusted. Run `license status` with the server reachable to restore it, or activate again.';
export const UNPINNED_MESSAGE =
  'License not verified on this machine yet (no pinned server key): run `license status` with the server reachable, or activate again.';

function baseOf(file: LicenseFileData, now: Date) {
  return {
    license_key: file.license_key,
    email: file.email,
    activated_at: file.activated_at,
    expires_at: file.expires_at,
    last_validated_at: now.toISOString(),
  };
}

/** A license.json that cannot be trusted as a whole: its fields are shown, nothing in it counts. */
export function untrustedStatus(file: LicenseFileData, now: Date, message: string): LicenseStatus {
  // The expiry in an untrusted file is exactly what an edit would change: it is not shown as if it counted.
  return { ...baseOf(file, now), expires_at: null, state: 'invalid', days_left: null, message };
}

export async function offlineStatus(
  file: LicenseFileData | null,
  publicKeyPem: string,
  fingerprint: string,
  now: Date,
): Promise<LicenseStatus> {
  if (!file) return noneStatus();
  const base = baseOf(file, now);
  const daysLeft = (iso: string) => Math.max(0, Math.ceil((Date.parse(iso) - now.getTime()) / DAY_MS));
  if (file.server_verdict === 'revoked') {
    return {
      ...base,
      state: 'revoked',
      days_left: null,
      message: 'License revoked by the administrator: contact them for a new key.',
    };
  }
  if (file.server_verdict === 'expired') {
    return {
      ...base,
      state: 'expired',
      days_left: 0,
      message: 'License expired: renew it or activate another key.',
    };
  }
  if (file.server_verdict === 'seat_lost') {
    return {
      ...base,
      state: 'invalid',
      days_left: null,
      message: 'License is now in use on other machines: deactivate it there, then activate it here again.',
    };
  }
  const cert = await verifyCertificate(file.certificate, publicKeyPem);
  if (!cert.ok) {
    return {
      ...base,
      state: 'invalid',
      days_left: null,
      message: `License certificate is not valid (${cert.reason.replace('_', ' ')}): activate the license again.`,
    };
  }
  const p = cert.payload;
  if (p.fingerprint !== fingerprint || p.license_key !== file.license_key) {
    return {
      ...base,
      state: 'invalid',
      days_left: null,
      message: 'License was activated on another machine: activate it again here.',
    };
  }
  // The signed expiry is authoritative, not the file's copy (which anyone can edit).
  const expires = p.expires_at ?? file.expires_at;
  const left = daysLeft(expires);
  const signed = { ...base, expires_at: expires, days_left: left };
  if (Date.parse(expires) <= now.getTime()) {
    return {
      ...signed,
      days_left: 0,
      state: 'expired',
      message: 'License expired: renew it or activate another key.',
    };
  }
  if (left <= EXPIRING_DAYS) {
    return { ...signed, state: 'expiring', message: `License expires in ${left} days: renew it soon.` };
  }
  return { ...signed, state: 'active', message: `License active, expires in ${left} days.` };
}
