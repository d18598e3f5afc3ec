/**
 * Agent settings in <dataDir>/settings.json through `conf` (atomic write, mode 0600). We validate with zod
 * ourselves: a corrupt or schema-violating file is moved aside to settings.json.corrupt-<time>, a warning is
 * logged and the defaults are used, so a bad edit never stops the agent from starting.
 * `OUTPOST_SERVER_URL` (or the CLI's --server, passed the same way) overrides the active profile's base URL
 * without being written to the file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { AgentError } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { defaultSettings, settingsSchema, type Profile, type SettingsData } from './schema.js';

export type { Profile, SettingsData } from './schema.js';
export { DEFAULT_SERVER_URL } from './schema.js';

const log = createLogger('settings');

export function settingsPath(dataDir: string): string {
  return join(dataDir, 'settings.json');
}

/** Reads and validates the file; on any problem moves it aside and returns the defaults. */
function loadOrRecover(path: string): SettingsData {
  if (!existsSync(path)) return defaultSettings();
  let problem: string;
  try {
    const parsed = settingsSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return parsed.data;
    problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
  }
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, aside);
  } catch {
    // keep going with defaults even if the copy fails
  }
  log.warn(
    { problem, moved_to: aside },
    'settings.json is invalid: using defaults (the bad file was kept aside)',
  );
  return defaultSettings();
}

export class SettingsStore {
  private data: SettingsData;

  private constructor(
    private readonly conf: Conf<SettingsData>,
    private readonly env: NodeJS.ProcessEnv,
    initial: SettingsData,
  ) {
    this.data = initial;
  }

  static open(dataDir: string, env: NodeJS.ProcessEnv = process.env): SettingsStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const initial = loadOrRecover(settingsPath(dataDir));
    const conf = new Conf<SettingsData>({
      cwd: dataDir,
      configName: 'settings',
      configFileMode: 0o600,
      clearInvalidConfig: false,
      watch: false,
    });
    conf.store = initial; // normalised form on disk (defaults filled, unknown/secret keys gone)
    return new SettingsStore(conf, env, initial);
  }

  get(): SettingsData {
    return structuredClone(this.data);
  }

  /** Shallow-merges the patch, validates the result and writes it atomically. */
  update(patch: Partial<SettingsData>): SettingsData {
    const parsed = settingsSchema.safeParse({ ...this.data, ...patch });
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new AgentError('SETTINGS_INVALID', `Invalid settings: ${why}`);
    }
    this.conf.store = parsed.data;
    this.data = parsed.data;
    return this.get();
  }

  /** The active profile with OUTPOST_SERVER_URL applied. */
  activeProfile(): Profile {
    const p = this.data.profiles.find((x) => x.name === this.data.active) ?? this.data.profiles[0];
    if (!p) throw new AgentError('SETTINGS_INVALID', 'No profile configured');
    const override = this.env.OUTPOST_SERVER_URL?.trim();
    return override ? { ...p, base_url: override.replace(/\/+$/, '') } : { ...p };
  }

  /** Adds or replaces a profile (by name). */
  upsertProfile(profile: Profile): SettingsData {
    const profiles = this.data.profiles.filter((p) => p.name !== profile.name);
    return this.update({ profiles: [...profiles, profile] });
  }

  get path(): string {
    return this.conf.path;
  }
}
