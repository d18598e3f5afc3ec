import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_URL, SettingsStore, settingsPath } from '../../src-main/agent/settings/settings.js';
import { closeLogging, initLogging, logFilePath } from '../../src-main/agent/logging/logger.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'outpost-settings-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  closeLogging();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('settings store', () => {
  it('starts from defaults and writes settings.json with mode 0600', () => {
    const dir = tempDir();
    const s = SettingsStore.open(dir, {});
    expect(s.get().active).toBe('default');
    expect(s.activeProfile()).toMatchObject({
      name: 'default',
      base_url: DEFAULT_SERVER_URL,
      verify_tls: true,
    });
    expect(s.get().heartbeat_interval_sec).toBe(60);
    expect(statSync(settingsPath(dir)).mode & 0o777).toBe(0o600);
  });

  it('persists updates and reads them back after reopen', () => {
    const dir = tempDir();
    const s = SettingsStore.open(dir, {});
    s.upsertProfile({
      name: 'lab',
      base_url: 'https://lab.example:9443',
      timeout: 5,
      retries: 1,
      verify_tls: false,
    });
    s.update({ active: 'lab', heartbeat_interval_sec: 15 });
    const again = SettingsStore.open(dir, {});
    expect(again.activeProfile()).toMatchObject({ name: 'lab', timeout: 5, verify_tls: false });
    expect(again.get().heartbeat_interval_sec).toBe(15);
  });

  it('rejects an update whose active profile does not exist and keeps the old settings', () => {
    const s = SettingsStore.open(tempDir(), {});
    expect(() => s.update({ active: 'nope' })).toThrow(/active must name one of the profiles/);
    expect(s.get().active).toBe('default');
  });

  it('rejects a profile with a non-http base_url', () => {
    const s = SettingsStore.open(tempDir(), {});
    expect(() =>
      s.upsertProfile({ name: 'x', base_url: 'ftp://h', timeout: 1, retries: 0, verify_tls: true }),
    ).toThrow(/Invalid settings/);
  });

  it('OUTPOST_SERVER_URL overrides the active base URL without being written', () => {
    const dir = tempDir();
    const s = SettingsStore.open(dir, { OUTPOST_SERVER_URL: 'http://10.1.2.3:9000/' });
    expect(s.activeProfile().base_url).toBe('http://10.1.2.3:9000');
    expect(readFileSync(settingsPath(dir), 'utf8')).not.toContain('10.1.2.3');
  });

  it.each([
    ['not JSON at all', '{ this is not json'],
    ['schema violation (active names a missing profile)', JSON.stringify({ active: 'x', profiles: [] })],
    ['wrong types', JSON.stringify({ heartbeat_interval_sec: 'soon' })],
  ])('corrupt file (%s) → defaults, a warning in the log and a .corrupt copy', (_name, content) => {
    const dir = tempDir();
    initLogging({ dataDir: dir, level: 'info' });
    writeFileSync(settingsPath(dir), content);
    const s = SettingsStore.open(dir, {});
    expect(s.get().active).toBe('default');
    const aside = readdirSync(dir).filter((f) => f.startsWith('settings.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(content);
    expect(readFileSync(logFilePath(dir), 'utf8')).toMatch(/settings.json is invalid/);
    // Kept for the command line and the UI: where, where to, and why, without the file's content.
    expect(s.recovered).toEqual({
      path: settingsPath(dir),
      moved_to: join(dir, aside[0]!),
      reason: expect.stringMatching(/^(not valid JSON|invalid value for .+)$/),
    });
    expect(s.recovered!.reason).not.toContain('soon');
    expect(SettingsStore.open(dir, {}).recovered).toBeNull();
  });

  it('a start does not rewrite an unchanged settings.json (an agent must start on a full disk)', () => {
    const dir = tempDir();
    SettingsStore.open(dir, {}).upsertProfile({
      name: 'lab',
      base_url: 'https://lab.example:9443',
      timeout: 5,
      retries: 1,
      verify_tls: true,
    });
    const before = statSync(settingsPath(dir));
    const again = SettingsStore.open(dir, {});
    again.update({ active: again.get().active }); // an update that changes nothing writes nothing either
    const after = statSync(settingsPath(dir));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('strips a token that an old file kept in a profile', () => {
    const dir = tempDir();
    writeFileSync(
      settingsPath(dir),
      JSON.stringify({
        active: 'p',
        profiles: [
          { name: 'p', base_url: 'http://h:1', token: 'legacy-plain-token', timeout: 3, retries: 0 },
        ],
      }),
    );
    const s = SettingsStore.open(dir, {});
    expect(s.activeProfile().name).toBe('p');
    expect(readFileSync(settingsPath(dir), 'utf8')).not.toContain('legacy-plain-token');
    expect(existsSync(settingsPath(dir))).toBe(true);
  });
});
