/**
 * Local device state, no secrets:
 *  - device_info.json = {device_key, device_info, registered_at} (seed 004's file);
 *  - device-key = the key this agent generated for itself before registration, so the key shown to the
 *    operator stays the same across restarts until a registration uses it (or another one).
 * Writes are atomic (temp file + rename) with mode 0600.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceInfo } from '../identity/index.js';
import { createLogger } from '../logging/logger.js';
import { generateDeviceKey } from './token.js';

const log = createLogger('device');

export interface DeviceState {
  device_key: string;
  device_info: DeviceInfo;
  registered_at: string;
}

export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export class DeviceStateFile {
  constructor(private readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  }

  get path(): string {
    return join(this.dataDir, 'device_info.json');
  }

  load(): DeviceState | null {
    if (!existsSync(this.path)) return null;
    try {
      const v = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<DeviceState>;
      if (typeof v.device_key !== 'string' || !v.device_key) throw new Error('device_key missing');
      return {
        device_key: v.device_key,
        device_info: v.device_info && typeof v.device_info === 'object' ? v.device_info : {},
        registered_at: typeof v.registered_at === 'string' ? v.registered_at : '',
      };
    } catch (err) {
      log.warn(
        { err, path: this.path },
        'device_info.json is unreadable: treating the device as not registered',
      );
      return null;
    }
  }

  save(state: DeviceState): void {
    writeAtomic(this.path, `${JSON.stringify(state, null, 2)}\n`);
  }

  clear(): void {
    rmSync(this.path, { force: true });
  }

  /** The key to register with when the operator gives none: generated once, then stable. */
  ownKey(): string {
    const registered = this.load();
    if (registered) return registered.device_key;
    const path = join(this.dataDir, 'device-key');
    if (existsSync(path)) {
      const v = readFileSync(path, 'utf8').trim();
      if (v) return v;
    }
    const key = generateDeviceKey();
    writeAtomic(path, `${key}\n`);
    return key;
  }

  /** After a registration with an operator-given key, that key becomes ours. */
  rememberKey(key: string): void {
    writeAtomic(join(this.dataDir, 'device-key'), `${key}\n`);
  }
}
