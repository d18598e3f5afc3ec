/**
 * LicenseService: activation, deactivation and validation of this machine's license (seed 002).
 *
 * Validation is offline first (certificate signature against the key pinned in the secret store at activation,
 * this machine's fingerprint, expiry by the server's time as the agent knows it) at start and hourly, then online
 * when the server is reachable: the check re-posts the idempotent activation with the same fingerprint, which
 * answers 403 when the license was revoked or expired early and hands out a fresh certificate otherwise (so a
 * duration changed by the administrator reaches the agent). A failed online check never downgrades the offline
 * verdict: no network means the certificate decides.
 *
 * Nothing in license.json is trusted on its own: the file's digest is pinned next to the key, so an edited file
 * (a planted key with a re-signed certificate, a removed revocation) reads as modified, and a certificate from the
 * pinned server that verifies against the pinned key replaces whatever the file says.
 */
import os from 'node:os';
import type { AxiosInstance } from 'axios';
import { AgentError, describeError } from '../errors.js';
import type { AgentEvents } from '../events.js';
import { createHttpClient, type HttpClientOptions } from '../http/client.js';
import { machineFingerprint } from '../identity/index.js';
import { createLogger } from '../logging/logger.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { SettingsStore } from '../settings/settings.js';
import { clockFilePath, ServerClock } from '../time/server-clock.js';
import { verifyCertificate } from './certificate.js';
import { fetchPublicKey, postActivate, postDeactivate, postSystemReport } from './license-api.js';
import { LicenseFile, LicenseFileData } from './license-file.js';
import { LicensePinStore, licenseFileDigest, type LicensePin } from './license-pin.js';
import {
  MODIFIED_MESSAGE,
  UNPINNED_MESSAGE,
  noneStatus,
  offlineStatus,
  untrustedStatus,
  type LicenseStatus,
} from './license-status.js';

const log = createLogger('license');
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The high-water mark of judged time moves in steps, so an hourly check is not a keyring write every time. */
const HIGH_WATER_STEP_MS = 60_000;
const AGENT_VERSION = '0.1.0';

export interface LicenseServiceOptions {
  dataDir: string;
  settings: SettingsStore;
  events: AgentEvents;
  /** Holds the pinned server key, the digest of license.json and the time high-water mark. */
  secrets: SecretStore;
  /** The server's time as the agent knows it (shared with the station); default: its own over `now`. */
  clock?: ServerClock;
  /** Injected local clock (tests move it); used only when no `clock` is given. */
  now?: () => Date;
  /** Injected machine fingerprint (tests play "another machine"); default machineFingerprint(). */
  fingerprint?: () => Promise<string>;
  http?: HttpClientOptions;
  /** Validation interval (default 1 h) and system report interval (default 24 h). */
  intervals?: { validateMs?: number; reportMs?: number };
}

type LocalLicense =
  | { kind: 'none' }
  | { kind: 'damaged' }
  | { kind: 'file'; file: LicenseFileData; pin: LicensePin | null; intact: boolean };

export class LicenseService {
  private readonly file: LicenseFile;
  private readonly pins: LicensePinStore;
  private readonly clock: ServerClock;
  private readonly fingerprint: () => Promise<string>;
  private last: LicenseStatus | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<LicenseStatus> | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: LicenseServiceOptions) {
    this.file = new LicenseFile(o.dataDir);
    this.pins = new LicensePinStore(o.secrets);
    const localNow = o.now;
    this.clock =
      o.clock ??
      new ServerClock({
        file: clockFilePath(o.dataDir),
        localNow: localNow ? () => localNow().getTime() : undefined,
      });
    this.fingerprint = o.fingerprint ?? machineFingerprint;
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  private http(baseUrl?: string): AxiosInstance {
    const profile = this.o.settings.activeProfile();
    return createHttpClient(baseUrl ? { ...profile, base_url: baseUrl } : profile, {
      ...this.o.http,
      onServerDate: (date) => this.clock.observeDateHeader(date),
    });
  }

  /**
   * Runs file-changing work one at a time: an hourly check that read license.json before an activation wrote a
   * new one must not write the old license back (nor an old digest into the pin).
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

  /** license.json with what the secret store says about it. */
  private async readLocal(): Promise<LocalLicense> {
    const f = this.load();
    if (f === null) return { kind: 'none' };
    if (f === 'damaged') return { kind: 'damaged' };
    const pin = await this.pins.get();
    const digest = licenseFileDigest(f);
    const intact = pin !== null && (digest === pin.file_sha256 || digest === pin.pending_sha256);
    return { kind: 'file', file: f, pin, intact };
  }

  /**
   * Writes license.json and pins its digest. The pin first names the new digest as pending, so a crash between
   * the two writes leaves either file acceptable rather than an honest file that reads as modified.
   */
  private async save(data: LicenseFileData, pin: LicensePin): Promise<void> {
    const digest = licenseFileDigest(LicenseFileData.parse(data));
    await this.pins.set({ ...pin, pending_sha256: digest });
    this.file.save(data);
    await this.pins.set({ ...pin, file_sha256: digest, pending_sha256: null });
  }

  private publish(status: LicenseStatus): LicenseStatus {
    const prev = this.last;
    this.last = status;
    if (!prev || prev.state !== status.state || prev.message !== status.message) {
      this.o.events.emit({ type: 'license.status', data: status });
    }
    return status;
  }

  /** With `record` (only inside exclusive()) the pin's time high-water mark moves forward. */
  private async judgeOffline(record = true): Promise<LicenseStatus> {
    const local = await this.readLocal();
    if (local.kind === 'none') return noneStatus();
    if (local.kind === 'damaged') {
      return {
        ...noneStatus(),
        state: 'invalid',
        message: 'license.json is damaged: activate the license again.',
      };
    }
    const { file, pin, intact } = local;
    const serverNow = this.clock.now();
    if (!pin) return untrustedStatus(file, new Date(serverNow), UNPINNED_MESSAGE);
    if (!intact) {
      log.warn({ path: this.file.path }, 'license.json does not match the digest pinned in the secret store');
      return untrustedStatus(file, new Date(serverNow), MODIFIED_MESSAGE);
    }
    // Never judge at a time earlier than one already seen: a clock set back must not revive an expiry.
    const at = Math.max(serverNow, pin.latest_seen_ms);
    const status = await offlineStatus(file, pin.public_key_pem, await this.fingerprint(), new Date(at));
    if (record && serverNow > pin.latest_seen_ms + HIGH_WATER_STEP_MS) {
      await this.pins.set({ ...pin, latest_seen_ms: serverNow });
    }
    return status;
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
    const serverUrl = String(http.defaults.baseURL);
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
      server_url: serverUrl,
      server_verdict: null,
      server_verdict_at: null,
      last_validated_at: at,
      last_online_check_at: at,
      last_system_report_at: null,
    };
    // Activation is the operator's explicit choice of server: its key is pinned (replacing any earlier pin),
    // and the server's answer resets the time high-water mark.
    await this.save(record, {
      v: 1,
      public_key_pem: pub.public_key_pem,
      key_id: pub.key_id,
      server_url: serverUrl,
      file_sha256: null,
      pending_sha256: null,
      latest_seen_ms: this.clock.now(),
    });
    log.info({ license_id: data.license_id, expires_at: data.expires_at }, 'license activated');
    await this.reportSystem();
    return this.publish(await this.judgeOffline());
  }

  /** Frees this machine's seat on the server, then forgets the license locally. */
  deactivate(): Promise<LicenseStatus> {
    return this.exclusive(() => this.doDeactivate());
  }

  private async doDeactivate(): Promise<LicenseStatus> {
    const f = this.load();
    if (f && f !== 'damaged') {
      const pin = await this.pins.get();
      try {
        await postDeactivate(this.http(pin?.server_url ?? f.server_url), {
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
    await this.pins.delete();
    return this.publish(noneStatus());
  }

  /** The last verdict (offline judgement when none has been made yet). Never touches the network. */
  async status(): Promise<LicenseStatus> {
    // Read-only, so it need not queue behind an online check that may be waiting on the network.
    return this.last ?? this.publish(await this.judgeOffline(false));
  }

  /** Offline judgement, then the online check when the server is reachable. Concurrent calls share one run. */
  validate(): Promise<LicenseStatus> {
    this.running ??= this.exclusive(() => this.runValidation()).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Whether this agent's license is the given one (a server announcement about another license is ignored). */
  holds(licenseId: string): boolean {
    const f = this.load();
    return f !== null && f !== 'damaged' && f.license_id === licenseId;
  }

  /**
   * The License page's "Check now", and what the agent does when the server announces a license change:
   * the same validation as the hourly one, at once.
   */
  checkNow(): Promise<LicenseStatus> {
    return this.validate();
  }

  private async runValidation(): Promise<LicenseStatus> {
    const offline = this.publish(await this.judgeOffline());
    const local = await this.readLocal();
    if (local.kind !== 'file') return offline;
    const { file: f, pin, intact } = local;
    const trusted = intact && pin !== null;
    // A trusted file the server already refused (seat lost) or that belongs to another machine stays as judged;
    // an untrusted one is exactly what the server's answer can settle.
    if (trusted && offline.state === 'invalid') return offline;
    const fp = await this.fingerprint();
    const at = this.now().toISOString();
    // The pinned server, never the URL in the file (an edit could name a server of the editor's choosing). With
    // no pin, the configured profile's server, exactly as a new activation would use.
    const http = this.http(pin?.server_url);
    const serverUrl = String(http.defaults.baseURL);
    let restored = false;
    try {
      const key = await fetchPublicKey(http);
      if (pin && key.public_key_pem.trim() !== pin.public_key_pem.trim()) {
        // Rotated on purpose or another server at that address: either way not adopted behind the operator's
        // back. The pinned certificate keeps deciding until the operator activates again.
        log.warn({ server: serverUrl }, 'the server signs licenses with a key other than the pinned one');
        throw new AgentError('UNEXPECTED_RESPONSE', 'license server key differs from the pinned key');
      }
      const trustedKey = pin?.public_key_pem ?? key.public_key_pem;
      const data = await postActivate(http, {
        license_key: f.license_key,
        user_email: f.email,
        system_fingerprint: fp,
      });
      const cert = await verifyCertificate(data.certificate, trustedKey);
      if (!cert.ok || cert.payload.fingerprint !== fp || cert.payload.license_key !== data.license_key) {
        log.warn('online check returned a certificate that does not verify against the pinned key');
        throw new AgentError('UNEXPECTED_RESPONSE', 'certificate from the server does not verify');
      }
      // The server's answer, verified against the pinned key, replaces whatever license.json says.
      const record: LicenseFileData = {
        version: 1,
        license_id: data.license_id,
        license_key: data.license_key,
        email: data.user_email,
        activated_at: data.activated_at,
        expires_at: data.expires_at,
        certificate: data.certificate,
        public_key_pem: trustedKey,
        key_id: pin?.key_id ?? key.key_id,
        server_url: serverUrl,
        server_verdict: null,
        server_verdict_at: null,
        last_validated_at: at,
        last_online_check_at: at,
        last_system_report_at: trusted ? f.last_system_report_at : null,
      };
      // The answer just measured the server's clock: its time replaces the high-water mark, up or down.
      await this.save(record, {
        v: 1,
        public_key_pem: trustedKey,
        key_id: pin?.key_id ?? key.key_id,
        server_url: serverUrl,
        file_sha256: pin?.file_sha256 ?? null,
        pending_sha256: null,
        latest_seen_ms: this.clock.now(),
      });
      if (pin && !intact) {
        restored = true;
        log.warn(
          { license_id: data.license_id },
          'modified license.json replaced by the server’s certificate',
        );
      } else if (!pin) log.info({ license_id: data.license_id }, 'license server key pinned on online check');
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
      // Only a trusted file is written back: re-pinning an edited one would launder the edit.
      if (trusted && pin) {
        const next: LicenseFileData = verdict
          ? {
              ...f,
              last_validated_at: at,
              server_verdict: verdict,
              server_verdict_at: at,
              last_online_check_at: at,
            }
          : { ...f, last_validated_at: at };
        await this.save(next, pin);
      }
      if (!verdict) log.info({ reason: describeError(err) }, 'online license check gave no verdict');
    }
    const st = await this.judgeOffline();
    return this.publish(
      restored
        ? { ...st, message: `License file was modified; restored from the server. ${st.message}` }
        : st,
    );
  }

  private async reportSystem(): Promise<void> {
    const cur = await this.readLocal();
    if (cur.kind !== 'file' || !cur.intact || !cur.pin) return;
    try {
      await postSystemReport(this.http(cur.pin.server_url), {
        license_id: cur.file.license_id,
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
      await this.save({ ...cur.file, last_system_report_at: this.now().toISOString() }, cur.pin);
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
        if (cur && cur !== 'damaged' && cur.license_id === f.license_id) await this.reportSystem();
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
