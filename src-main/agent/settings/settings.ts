/**
 * Agent settings in <dataDir>/settings.json through `conf` (atomic write, mode 0600). We validate with zod
 * ourselves: a corrupt or schema-violating file is moved aside to settings.json.corrupt-<time>, a warning is
 * logged and the defaults are used, so a bad edit never stops the agent from starting; the recovery is kept
 * (`recovered`) so the command line and the UI can say it too. The file is written only when its content
 * changes, so an agent starts on a full disk.
 * `OUTPOST_SERVER_URL` (or the CLI's --server, passed the same way) overrides the active profile's base URL
 * without being written to the file.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Conf from 'conf';
import type { SettingsRecovery } from '../../../src-shared/ipc/schemas/settings.js';
import { ensureDataDir } from '../../../src-shared/data-dir.js';
import { AgentError } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { defaultSettings, settingsSchema, type Profile, type SettingsData } from './schema.js';

export type { Profile, SettingsData } from './schema.js';
export type { SettingsRecovery };
export { DEFAULT_SERVER_URL } from './schema.js';

const log = createLogger('settings');

export function settingsPath(dataDir: string): string {
  return join(dataDir, 'settings.json');
}

/** Equal as JSON (key order and object prototypes aside: conf hands out null-prototype objects). */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

/** Reads and validates the file; on any problem moves it aside and returns the defaults. */
function loadOrRecover(path: string): { data: SettingsData; recovered: SettingsRecovery | null } {
  if (!existsSync(path)) return { data: defaultSettings(), recovered: null };
  let problem: string;
  let reason: string;
  try {
    const parsed = settingsSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return { data: parsed.data, recovered: null };
    problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    // Field names only: the values are whatever the bad edit put there and are not repeated to the UI.
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].slice(0, 5);
    reason = `invalid value for ${fields.join(', ')}`;
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
    reason = err instanceof SyntaxError ? 'not valid JSON' : 'unreadable';
  }
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  let movedTo: string | null = aside;
  try {
    renameSync(path, aside);
  } catch {
    // keep going with defaults even if the move fails
    movedTo = null;
  }
  log.warn(
    { problem, moved_to: movedTo },
    'settings.json is invalid: using defaults (the bad file was kept aside)',
  );
  return { data: defaultSettings(), recovered: { path, moved_to: movedTo, reason } };
}

export class SettingsStore {
  private data: SettingsData;

  private constructor(
    private readonly conf: Conf<SettingsData>,
    private readonly env: NodeJS.ProcessEnv,
    initial: SettingsData,
    /** Set when settings.json was corrupt at open and the defaults are in use. */
    readonly recovered: SettingsRecovery | null,
  ) {
    this.data = initial;
  }

  static open(dataDir: string, env: NodeJS.ProcessEnv = process.env): SettingsStore {
    ensureDataDir(dataDir);
    const { data: initial, recovered } = loadOrRecover(settingsPath(dataDir));
    const conf = new Conf<SettingsData>({
      cwd: dataDir,
      configName: 'settings',
      configFileMode: 0o600,
      clearInvalidConfig: false,
      watch: false,
    });
    // Normalised form on disk (defaults filled, unknown/secret keys gone), written only when it differs: a start
    // must not need free disk space.
    if (!existsSync(conf.path) || !sameJson(conf.store, initial)) {
      try {
        conf.store = initial;
      } catch (err) {
        // The settings in memory are complete; the next change writes them (or says why it cannot).
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not write settings.json');
      }
    }
    return new SettingsStore(conf, env, initial, recovered);
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
    if (!sameJson(parsed.data, this.data)) this.conf.store = parsed.data;
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

/** The one line every entry point prints when settings.json was corrupt: the operator's edit was not applied. */
export function recoveredSettingsNotice(bad: SettingsRecovery): string {
  return (
    `${bad.path} was corrupt (${bad.reason}): using default settings` +
    `${bad.moved_to ? `; the bad file was kept as ${bad.moved_to}` : ''}`
  );
}
