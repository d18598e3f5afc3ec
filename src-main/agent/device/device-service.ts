/**
 * DeviceService: registration, heartbeats, plugin heartbeat and SSH identity, as the UI and the CLI use them.
 * Every method returns plain JSON without secrets and throws AgentError with an operator message on failure.
 * The device secret is read from the secret store once and kept in memory (a keyring round trip per heartbeat
 * would cost more than the heartbeat).
 */
import type { HeartbeatResult } from '../../../src-shared/ipc/schemas/device.js';
import type { AxiosInstance } from 'axios';
import { AgentError, describeError } from '../errors.js';
import type { AgentEvents, DeviceStatus } from '../events.js';
import { createHttpClient, type HttpClientOptions } from '../http/client.js';
import { collectDeviceInfo } from '../identity/index.js';
import { createLogger } from '../logging/logger.js';
import { SECRET_ACCOUNTS, type SecretStore } from '../secrets/secret-store.js';
import type { SettingsStore } from '../settings/settings.js';
import { fetchServerHostKey, publishSshKey, registerDevice, sendHeartbeat, type BeatOutcome } from './api.js';
import { HeartbeatLoop, type HeartbeatTimings } from './heartbeat.js';
import { boundedServerInterval } from './server-interval.js';
import { PluginHeartbeat } from './plugin-heartbeat.js';
import { checkServerHostKey, ensureSshKeyPair, sshFingerprint, type HostKeyCheck } from './ssh.js';
import { DeviceStateFile, type DeviceState } from './state.js';
import { HeartbeatStatusFile } from './status-file.js';
import { normalizeDeviceKey, normalizeToken } from './token.js';

const log = createLogger('device');

export type { HeartbeatResult };

export interface DeviceTimingOverrides {
  intervalMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  inactiveAfter?: number;
  pluginIntervalMs?: number;
}

export interface DeviceServiceOptions {
  dataDir: string;
  settings: SettingsStore;
  secrets: SecretStore;
  events: AgentEvents;
  timings?: DeviceTimingOverrides;
  http?: HttpClientOptions;
}

export interface SshStatus {
  public_key_fingerprint: string | null;
  published: boolean;
  server_host_key: HostKeyCheck | null;
}

export class DeviceService {
  private readonly file: DeviceStateFile;
  private readonly statusFile: HeartbeatStatusFile;
  private state: DeviceState | null;
  private secret: string | null = null;
  private started = false;
  private httpCache: { key: string; client: AxiosInstance } | null = null;
  private readonly loop: HeartbeatLoop;
  private readonly plugin: PluginHeartbeat;
  readonly ssh: SshStatus = { public_key_fingerprint: null, published: false, server_host_key: null };

  constructor(private readonly o: DeviceServiceOptions) {
    this.file = new DeviceStateFile(o.dataDir);
    this.statusFile = new HeartbeatStatusFile(o.dataDir);
    this.state = this.file.load();
    this.loop = new HeartbeatLoop(
      () => this.beat(),
      () => this.timings(),
      () => this.emit(),
    );
    this.plugin = new PluginHeartbeat(
      () => this.http(),
      () => o.settings.get().plugin_id_prefix,
      () => o.timings?.pluginIntervalMs ?? o.settings.get().plugin_heartbeat_interval_sec * 1000,
    );
  }

  /** The HTTP client for the active profile (rebuilt when the profile changes). */
  http(): AxiosInstance {
    const profile = this.o.settings.activeProfile();
    const key = JSON.stringify(profile);
    if (this.httpCache?.key !== key) this.httpCache = { key, client: createHttpClient(profile, this.o.http) };
    return this.httpCache.client;
  }

  private timings(): HeartbeatTimings {
    const t = this.o.timings ?? {};
    const intervalMs = t.intervalMs ?? this.o.settings.get().heartbeat_interval_sec * 1000;
    const baseMs = t.backoffBaseMs ?? Math.min(intervalMs, 5000);
    return {
      intervalMs,
      backoff: { baseMs, capMs: t.backoffCapMs ?? 5 * 60_000, floorMs: Math.min(baseMs, 1000) },
      inactiveAfter: t.inactiveAfter ?? 5,
      // A fixed interval given to the service (tests, benchmarks) is not replaced by the server's.
      followServer: t.intervalMs === undefined,
    };
  }

  status(): DeviceStatus {
    // While this process runs no heartbeats, show what the process that does (CLI `run`, desktop app) reports.
    const local = this.loop.state;
    const shared =
      this.state &&
      !this.started &&
      local.heartbeat === 'stopped' &&
      !local.last_success_at &&
      !local.last_error;
    const s = (shared ? this.statusFile.read() : null) ?? local;
    return {
      registered: this.state !== null,
      device_key: this.state?.device_key ?? null,
      registered_at: this.state?.registered_at || null,
      heartbeat: s.heartbeat,
      last_success_at: s.last_success_at,
      last_error: s.last_error,
      // A status file written by an older agent lacks the kind.
      last_error_kind: s.last_error_kind ?? null,
      last_error_at: s.last_error_at,
      last_latency_ms: s.last_latency_ms,
      consecutive_failures: s.consecutive_failures,
      next_attempt_at: s.next_attempt_at,
      server_url: this.o.settings.activeProfile().base_url,
    };
  }

  ownDeviceKey(): string {
    return this.file.ownKey();
  }

  /** Starts heartbeats when registered (first one at once). Idempotent. */
  async start(): Promise<void> {
    this.started = true;
    if (!this.state) {
      log.info('device not registered: heartbeats start after registration');
      return;
    }
    if (!(await this.loadSecret())) return;
    this.loop.start();
    this.background(this.syncSsh(), 'ssh key sync');
  }

  async stop(): Promise<void> {
    const wasStarted = this.started;
    this.started = false;
    this.plugin.stop();
    await this.loop.stop();
    if (wasStarted && this.state) this.statusFile.write(this.loop.state, true);
  }

  async register(token: string, deviceKey?: string): Promise<DeviceStatus> {
    const code = normalizeToken(token);
    const key =
      deviceKey !== undefined && deviceKey !== '' ? normalizeDeviceKey(deviceKey) : this.ownDeviceKey();
    if (
      this.state &&
      this.loop.state.heartbeat !== 'reregistration_needed' &&
      (await this.loadSecret(false))
    ) {
      throw new AgentError(
        'ALREADY_REGISTERED',
        `This agent is already registered as "${this.state.device_key}": unregister it first to register again.`,
      );
    }
    const s = this.o.settings.get();
    const info = await collectDeviceInfo({
      note: s.device_note,
      publicIpUrl: s.public_ip_url,
      clusterIp: s.cluster_ip,
      waitPublicIp: true,
    });
    log.info({ device_key: key, server: this.o.settings.activeProfile().base_url }, 'registering device');
    let res;
    try {
      res = await registerDevice(this.http(), key, code, info);
    } catch (err) {
      log.warn(
        { device_key: key, code: (err as AgentError).code, reason: describeError(err) },
        'registration failed',
      );
      throw err;
    }
    await this.o.secrets.set(SECRET_ACCOUNTS.deviceSecret, res.device_secret);
    this.secret = res.device_secret;
    this.state = { device_key: key, device_info: info, registered_at: new Date().toISOString() };
    this.file.save(this.state);
    this.file.rememberKey(key);
    this.loop.reset();
    this.loop.adoptServerInterval(boundedServerInterval(res.next_heartbeat_sec) ?? undefined);
    log.info({ device_key: key }, 'device registered');
    this.emit();
    // Seed 004: the first heartbeat right after registration.
    if (this.started) this.loop.start();
    await this.loop.runNow();
    await this.syncSsh();
    return this.status();
  }

  /** Local unregister: stops heartbeats, deletes the secret and device_info.json (the server keeps its record). */
  async unregister(): Promise<DeviceStatus> {
    await this.loop.stop();
    await this.o.secrets.delete(SECRET_ACCOUNTS.deviceSecret);
    this.secret = null;
    const key = this.state?.device_key;
    this.state = null;
    this.file.clear();
    this.statusFile.clear();
    this.loop.reset();
    log.info({ device_key: key }, 'device unregistered locally');
    this.emit();
    return this.status();
  }

  /** The Test Heartbeat button: one beat now, result for the operator. */
  async heartbeatNow(): Promise<HeartbeatResult> {
    if (!this.state) {
      return {
        ok: false,
        message: 'Device is not registered: register it with a token first.',
        latency_ms: null,
      };
    }
    if (!(await this.loadSecret())) {
      return { ok: false, message: this.loop.state.last_error ?? 'Device secret missing', latency_ms: null };
    }
    const o = await this.loop.runNow();
    if (o.ok && this.started && !this.loop.isRunning) this.loop.start();
    return { ok: o.ok, message: o.message, latency_ms: o.latency_ms };
  }

  async startPluginHeartbeat(): Promise<boolean> {
    return this.plugin.start();
  }

  stopPluginHeartbeat(): void {
    this.plugin.stop();
  }

  get pluginHeartbeat(): PluginHeartbeat {
    return this.plugin;
  }

  /** The interval the next successful heartbeat waits, in seconds: the server's when it gave one. */
  get heartbeatIntervalSec(): number {
    return this.loop.intervalMs() / 1000;
  }

  /** Number of heartbeat attempts made by this service (bench, tests). */
  get beatCount(): number {
    return this.loop.beats;
  }

  private async beat(): Promise<BeatOutcome> {
    const key = this.state?.device_key;
    const secret = this.secret;
    if (!key || !secret)
      return {
        ok: false,
        fatal: true,
        kind: 'refused',
        message: 'Device is not registered',
        latency_ms: null,
      };
    const s = this.o.settings.get();
    const info = await collectDeviceInfo({
      note: s.device_note,
      publicIpUrl: s.public_ip_url,
      clusterIp: s.cluster_ip,
    });
    log.debug({ device_info: info }, 'sending heartbeat');
    return sendHeartbeat(this.http(), key, secret, info);
  }

  /** Loads the device secret once; a registered device without one needs re-registration. */
  private async loadSecret(markMissing = true): Promise<boolean> {
    if (this.secret) return true;
    this.secret = await this.o.secrets.get(SECRET_ACCOUNTS.deviceSecret);
    if (this.secret) return true;
    if (markMissing) {
      Object.assign(this.loop.state, {
        heartbeat: 'reregistration_needed',
        last_error_kind: 'refused',
        last_error: 'The device secret is missing from the secret store: re-registration needed.',
        last_error_at: new Date().toISOString(),
      });
      log.error('device secret missing from the secret store: re-registration needed');
      this.emit();
    }
    return false;
  }

  /** Publishes our SSH public key and pins the server host key. Never fails the caller. */
  private async syncSsh(): Promise<void> {
    const key = this.state?.device_key;
    const secret = this.secret;
    if (!key || !secret) return;
    try {
      const pub = ensureSshKeyPair(this.o.dataDir, key);
      this.ssh.public_key_fingerprint = sshFingerprint(pub);
      await publishSshKey(this.http(), key, secret, pub);
      this.ssh.published = true;
      log.info({ fingerprint: this.ssh.public_key_fingerprint }, 'device SSH key published');
    } catch (err) {
      log.warn({ err }, 'could not publish the device SSH key; will retry at next start');
    }
    try {
      const check = checkServerHostKey(this.o.dataDir, await fetchServerHostKey(this.http()));
      this.ssh.server_host_key = check;
      if (check.status === 'changed') {
        log.warn(
          { pinned: check.pinned_fingerprint, presented: check.fingerprint },
          'SERVER SSH HOST KEY CHANGED: keeping the pinned key; verify with your administrator',
        );
      } else if (check.status === 'pinned') {
        log.info({ fingerprint: check.fingerprint }, 'server SSH host key pinned on first use');
      }
    } catch (err) {
      log.warn({ err }, 'could not fetch the server SSH host key');
    }
  }

  private background(p: Promise<unknown>, what: string): void {
    p.catch((err: unknown) => log.warn({ err }, `${what} failed`));
  }

  private emit(): void {
    if (this.started) this.statusFile.write(this.loop.state);
    this.o.events.emit({ type: 'device.status', data: this.status() });
  }
}
