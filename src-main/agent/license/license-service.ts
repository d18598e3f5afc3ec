/**
 * LicenseService: activation, deactivation and validation of this machine's license (issue 5).
 *
 * Validation is offline first (certificate signature against the pinned key, this machine's fingerprint, expiry by
 * the clock) at start and hourly, then online when the server is reachable: the check re-posts the idempotent
 * activation with the same fingerprint, which answers 403 when the license was revoked or expired early and hands
 * out a fresh certificate otherwise (so a duration changed by the administrator reaches the agent). A failed
 * online check never downgrades the offline verdict: no network means the certificate decides.
 */
import os from 'node:os';
import type { AxiosInstance } from 'axios';
import { AgentError, describeError } from '../errors.js';
import type { AgentEvents } from '../events.js';
import { createHttpClient, type HttpClientOptions } from '../http/client.js';
import { machineFingerprint } from '../identity/index.js';
import { createLogger } from '../logging/logger.js';
import type { SettingsStore } from '../settings/settings.js';
import { verifyCertificate } from './certificate.js';
import { fetchPublicKey, postActivate, postDeactivate, postSystemReport } from './license-api.js';
import { LicenseFile, type LicenseFileData } from './license-file.js';
import { noneStatus, offlineStatus, type LicenseStatus } from './license-status.js';

const log = createLogger('license');
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const AGENT_VERSION = '0.1.0';

export interface LicenseServiceOptions {
  dataDir: string;
  settings: SettingsStore;
  events: AgentEvents;
  /** Injected clock (tests move it past expiry). */
  now?: () => Date;
  /** Injected machine fingerprint (tests play "another machine"); default machineFingerprint(). */
  fingerprint?: () => Promise<string>;
  http?: HttpClientOptions;
  /** Validation interval (default 1 h) and system report interval (default 24 h). */
  intervals?: { validateMs?: number; reportMs?: number };
}

export class LicenseService {
  private readonly file: LicenseFile;
  private readonly now: () => Date;
  private readonly fingerprint: () => Promise<string>;
  private last: LicenseStatus | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<LicenseStatus> | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: LicenseServiceOptions) {
    this.file = new LicenseFile(o.dataDir);
    this.now = o.now ?? (() => new Date());
    this.fingerprint = o.fingerprint ?? machineFingerprint;
  }

  private http(baseUrl?: string): AxiosInstance {
    const profile = this.o.settings.activeProfile();
    return createHttpClient(baseUrl ? { ...profile, base_url: baseUrl } : profile, this.o.http);
  }

  /**
   * Runs file-changing work one at a time: an hourly check that read license.json before an activation wrote a
   * new one must not write the old license back.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private load(): LicenseFileData | null | 'damaged' {
    try {
      return this.file.load();
    } catch {
      return 'damaged';
    }
  }

  private publish(status: LicenseStatus): LicenseStatus {
    const prev = this.last;
    this.last = status;
    if (!prev || prev.state !== status.state || prev.message !== status.message) {
      this.o.events.emit({ type: 'license.status', data: status });
    }
    return status;
  }

  private async judgeOffline(): Promise<LicenseStatus> {
    const f = this.load();
    if (f === 'damaged') {
      return {
        ...noneStatus(),
        state: 'invalid',
        message: 'license.json is damaged: activate the license again.',
      };
    }
    return offlineStatus(f, await this.fingerprint(), this.now());
  }

  /** Activates `key` for `email` on this machine, pins the server's public key and stores the certificate. */
  activate(key: string, email: string): Promise<LicenseStatus> {
    return this.exclusive(() => this.doActivate(key, email));
  }

  private async doActivate(key: string, email: string): Promise<LicenseStatus> {
    const licenseKey = key.trim().toUpperCase();
    const userEmail = email.trim().toLowerCase();
    if (!licenseKey || !userEmail)
      throw new AgentError('VALIDATION_ERROR', 'Enter the license key and your email.');
    const http = this.http();
    const fp = await this.fingerprint();
    const pub = await fetchPublicKey(http);
    const data = await postActivate(http, {
      license_key: licenseKey,
      user_email: userEmail,
      system_fingerprint: fp,
    });
    const cert = await verifyCertificate(data.certificate, pub.public_key_pem);
    if (!cert.ok || cert.payload.fingerprint !== fp || cert.payload.license_key !== data.license_key) {
      throw new AgentError(
        'UNEXPECTED_RESPONSE',
        'The server returned a license certificate that does not verify: check the server URL.',
      );
    }
    const at = this.now().toISOString();
    const record: LicenseFileData = {
      version: 1,
      license_id: data.license_id,
      license_key: data.license_key,
      email: data.user_email,
      activated_at: data.activated_at,
      expires_at: data.expires_at,
      certificate: data.certificate,
      public_key_pem: pub.public_key_pem,
      key_id: pub.key_id,
      server_url: String(http.defaults.baseURL),
      server_verdict: null,
      server_verdict_at: null,
      last_validated_at: at,
      last_online_check_at: at,
      last_system_report_at: null,
    };
    this.file.save(record);
    log.info({ license_id: data.license_id, expires_at: data.expires_at }, 'license activated');
    await this.reportSystem(record);
    return this.publish(await this.judgeOffline());
  }

  /** Frees this machine's seat on the server, then forgets the license locally. */
  deactivate(): Promise<LicenseStatus> {
    return this.exclusive(() => this.doDeactivate());
  }

  private async doDeactivate(): Promise<LicenseStatus> {
    const f = this.load();
    if (f && f !== 'damaged') {
      try {
        await postDeactivate(this.http(f.server_url), {
          license_key: f.license_key,
          system_fingerprint: await this.fingerprint(),
        });
      } catch (err) {
        // Already gone on the server (license deleted, seat freed elsewhere): forgetting locally is right.
        if (!(err instanceof AgentError && err.code === 'NOT_FOUND')) throw err;
      }
      log.info({ license_id: f.license_id }, 'license deactivated');
    }
    this.file.remove();
    return this.publish(noneStatus());
  }

  /** The last verdict (offline judgement when none has been made yet). Never touches the network. */
  async status(): Promise<LicenseStatus> {
    return this.last ?? this.publish(await this.judgeOffline());
  }

  /** Offline judgement, then the online check when the server is reachable. Concurrent calls share one run. */
  validate(): Promise<LicenseStatus> {
    this.running ??= this.exclusive(() => this.runValidation()).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runValidation(): Promise<LicenseStatus> {
    const offline = this.publish(await this.judgeOffline());
    const f = this.load();
    if (!f || f === 'damaged' || offline.state === 'invalid') return offline;
    const fp = await this.fingerprint();
    const at = this.now().toISOString();
    let next: LicenseFileData = { ...f, last_validated_at: at };
    try {
      const data = await postActivate(this.http(f.server_url), {
        license_key: f.license_key,
        user_email: f.email,
        system_fingerprint: fp,
      });
      const cert = await verifyCertificate(data.certificate, f.public_key_pem);
      if (cert.ok && cert.payload.fingerprint === fp) {
        next = { ...next, certificate: data.certificate, expires_at: data.expires_at, server_verdict: null };
      } else {
        // The pinned key decides; a certificate signed by another key is ignored, not adopted.
        log.warn('online check returned a certificate that does not verify against the pinned key');
      }
      next = { ...next, last_online_check_at: at, server_verdict_at: null };
    } catch (err) {
      const code = err instanceof AgentError ? err.code : '';
      const verdict =
        code === 'LICENSE_REVOKED' || code === 'NOT_FOUND'
          ? 'revoked'
          : code === 'LICENSE_EXPIRED'
            ? 'expired'
            : code === 'LICENSE_IN_USE'
              ? 'seat_lost'
              : null;
      if (verdict)
        next = { ...next, server_verdict: verdict, server_verdict_at: at, last_online_check_at: at };
      else log.info({ reason: describeError(err) }, 'online license check skipped: server not reachable');
    }
    this.file.save(next);
    return this.publish(await this.judgeOffline());
  }

  private async reportSystem(f: LicenseFileData): Promise<void> {
    try {
      await postSystemReport(this.http(f.server_url), {
        license_id: f.license_id,
        fingerprint_hash: await this.fingerprint(),
        system_data: {
          os: `${os.type()} ${os.release()}`,
          platform: process.platform,
          arch: process.arch,
          hostname: os.hostname(),
          cpus: os.cpus().length,
          node_version: process.versions.node,
          agent_version: AGENT_VERSION,
        },
      });
      const cur = this.load();
      if (cur && cur !== 'damaged')
        this.file.save({ ...cur, last_system_report_at: this.now().toISOString() });
    } catch (err) {
      log.warn({ reason: describeError(err) }, 'system report failed; retrying on the next tick');
    }
  }

  private async tick(): Promise<void> {
    const status = await this.validate();
    const f = this.load();
    if (!f || f === 'damaged' || status.state === 'invalid' || status.state === 'revoked') return;
    const reportMs = this.o.intervals?.reportMs ?? DAY_MS;
    const lastReport = f.last_system_report_at ? Date.parse(f.last_system_report_at) : 0;
    if (this.now().getTime() - lastReport >= reportMs) {
      await this.exclusive(async () => {
        const cur = this.load();
        // Re-read under the lock: the license may have been deactivated or replaced meanwhile.
        if (cur && cur !== 'damaged' && cur.license_id === f.license_id) await this.reportSystem(cur);
      });
    }
  }

  /** Validates now and then every hour (offline always, online when reachable); reports the system daily. */
  async start(): Promise<void> {
    if (this.timer) return;
    const run = () => {
      this.tick().catch((err: unknown) => log.warn({ reason: describeError(err) }, 'license check failed'));
    };
    this.timer = setInterval(run, this.o.intervals?.validateMs ?? HOUR_MS);
    this.timer.unref();
    run();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
