/**
 * The slice of the Agent the API adapter needs, written structurally so the adapter compiles against the agreed
 * interfaces (TEAM.md) while the services are being built, and so it accepts the real `Agent` from agent.ts.
 * Services whose exact return shapes are still moving are typed loosely here and normalised in mappers.ts.
 */
import type { DeviceStatus } from '../events.js';
import type { AgentEvents } from '../events.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { Profile, SettingsData, SettingsRecovery } from '../settings/settings.js';

type MaybePromise<T> = T | Promise<T>;

export interface DeviceServiceLike {
  status(): MaybePromise<DeviceStatus>;
  register(token: string, deviceKey?: string): MaybePromise<unknown>;
  unregister(): MaybePromise<unknown>;
  heartbeatNow(): MaybePromise<unknown>;
  ownDeviceKey(): MaybePromise<unknown>;
  startPluginHeartbeat(): unknown;
  stopPluginHeartbeat(): unknown;
}

export interface StationServiceLike {
  login(username: string, password: string): MaybePromise<unknown>;
  logout(): MaybePromise<unknown>;
  recordCopy(clientId: number, uid: string): MaybePromise<unknown>;
  syncNow(): MaybePromise<unknown>;
  queue(): MaybePromise<unknown>;
  quotas(): MaybePromise<unknown>;
  retry(uuid: string): MaybePromise<unknown>;
  dismiss(uuid: string): MaybePromise<unknown>;
  undoDismiss(uuid: string): MaybePromise<unknown>;
  status(): MaybePromise<unknown>;
}

export interface LicenseServiceLike {
  activate(key: string, email: string): MaybePromise<unknown>;
  deactivate(): MaybePromise<unknown>;
  status(): MaybePromise<unknown>;
  /** Asks the server about the license now (the License page's "Check now"). */
  checkNow(): MaybePromise<unknown>;
}

export interface SettingsLike {
  get(): SettingsData;
  update(patch: Partial<SettingsData>): SettingsData;
  activeProfile(): Profile;
  /** A corrupt settings.json replaced by the defaults at start (absent in fakes = none). */
  readonly recovered?: SettingsRecovery | null;
}

export interface AgentLike {
  dataDir: string;
  settings: SettingsLike;
  secrets: SecretStore;
  events: Pick<AgentEvents, 'on' | 'emit'>;
  device: DeviceServiceLike;
  station?: StationServiceLike;
  license?: LicenseServiceLike;
}
