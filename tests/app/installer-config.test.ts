import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url);

/** electron-builder's own schema check, run offline (packaging itself needs the internet: `npm run dist`). */
describe('installer configuration', () => {
  const yaml = require('js-yaml') as { load(s: string): Record<string, unknown> };
  const config = yaml.load(readFileSync(new URL('electron-builder.yml', root), 'utf8'));

  it('passes electron-builder schema validation', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(c: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('targets AppImage + deb, NSIS and dmg, unpacks the native modules, ships the built app', () => {
    expect(config).toMatchObject({
      appId: expect.any(String),
      productName: 'Outpost',
      linux: { target: ['AppImage', 'deb'] },
      win: { target: ['nsis'] },
      mac: { target: ['dmg'] },
      extraMetadata: { main: 'dist/src-main/main.js' },
    });
    const unpack = (config.asarUnpack as string[]).join(' ');
    expect(unpack).toContain('better-sqlite3');
    expect(unpack).toContain('@napi-rs/keyring');
    const files = config.files as string[];
    for (const f of ['dist/preload/preload.cjs', 'dist/renderer/**', 'resources/icon.png'])
      expect(files).toContain(f);
  });

  it('has a 512×512 PNG icon', () => {
    const png = readFileSync(new URL('resources/icon.png', root));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
  });
});
