/**
 * `<dataDir>/license.json`: the activated license, its certificate and the pinned server public key. None of it
 * is a secret (the certificate is a signed statement, the key is public), so it lives in the data dir, written
 * atomically with mode 0600 like the other agent files.
 */
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createLogger } from '../logging/logger.js';

const log = createLogger('license');

export const LicenseFileData = z.object({
  version: z.literal(1),
  license_id: z.string(),
  license_key: z.string(),
  email: z.string(),
  activated_at: z.string(),
  expires_at: z.string(),
  certificate: z.string(),
  public_key_pem: z.string(),
  key_id: z.string(),
  server_url: z.string(),
  /**
   * The server's last word when it refused this machine on an online check: revoked (or the license deleted),
   * expired early by the administrator, or our seat taken by other machines. Survives restarts and offline
   * periods; cleared by the next successful check.
   */
  server_verdict: z.enum(['revoked', 'expired', 'seat_lost']).nullable().default(null),
  server_verdict_at: z.string().nullable().default(null),
  last_validated_at: z.string().nullable().default(null),
  last_online_check_at: z.string().nullable().default(null),
  last_system_report_at: z.string().nullable().default(null),
});
export type LicenseFileData = z.infer<typeof LicenseFileData>;

export class LicenseFile {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'license.json');
  }

  load(): LicenseFileData | null {
    if (!existsSync(this.path)) return null;
    try {
      return LicenseFileData.parse(JSON.parse(readFileSync(this.path, 'utf8')));
    } catch (err) {
      // A damaged file reads as "invalid" to the UI rather than silently as "none".
      log.warn({ err, path: this.path }, 'license.json is unreadable');
      throw new Error('license.json is damaged: activate the license again');
    }
  }

  save(data: LicenseFileData): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
