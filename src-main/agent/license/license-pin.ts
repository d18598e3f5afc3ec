/**
 * What the agent trusts about its license, kept in the secret store (OS keyring or the encrypted file store)
 * rather than in license.json, which the user can edit: the server's public key and URL pinned at activation, the
 * digest of the license.json this agent last wrote (so any edit of the file, a planted key or a rolled-back
 * revocation, shows), and the latest server time seen (so setting the clock back cannot revive an expiry).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { createLogger } from '../logging/logger.js';
import { SECRET_ACCOUNTS, type SecretStore } from '../secrets/secret-store.js';
import type { LicenseFileData } from './license-file.js';

const log = createLogger('license');

export const LicensePin = z.object({
  v: z.literal(1),
  public_key_pem: z.string().min(1),
  key_id: z.string(),
  server_url: z.string().min(1),
  /** Digest of the license.json last written by this agent. */
  file_sha256: z.string().nullable(),
  /** Digest of a license.json being written right now (a crash between the two writes must not look like an edit). */
  pending_sha256: z.string().nullable().default(null),
  /** Latest server time (ms) the license was judged at; only an online answer may lower it. */
  latest_seen_ms: z.number().default(0),
});
export type LicensePin = z.infer<typeof LicensePin>;

/** Digest of the parsed (normalised) file, so the same content in another JSON layout still matches. */
export function licenseFileDigest(data: LicenseFileData): string {
  return createHash('sha256').update(JSON.stringify(data)).digest('hex');
}

export class LicensePinStore {
  constructor(private readonly secrets: SecretStore) {}

  async get(): Promise<LicensePin | null> {
    const raw = await this.secrets.get(SECRET_ACCOUNTS.licensePin);
    if (raw === null) return null;
    try {
      return LicensePin.parse(JSON.parse(raw));
    } catch {
      // Unusable pin = no pin: the license is then not trusted until the server confirms it again.
      log.warn('the pinned license key in the secret store is unreadable');
      return null;
    }
  }

  async set(pin: LicensePin): Promise<void> {
    await this.secrets.set(SECRET_ACCOUNTS.licensePin, JSON.stringify(pin));
  }

  async delete(): Promise<void> {
    await this.secrets.delete(SECRET_ACCOUNTS.licensePin);
  }
}
