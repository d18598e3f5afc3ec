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
    expect(config.asarUnpack).toEqual(['**/*.node']);
    expect(config.asar).toEqual({ smartUnpack: false });
    const files = config.files as string[];
    for (const f of ['dist/preload/preload.cjs', 'dist/renderer/**', 'resources/icon.png'])
      expect(files).toContain(f);
  });

  it('has a 512×512 PNG icon', () => {
    const png = readFileSync(new URL('resources/icon.png', root));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
  });

  it('keeps the .deb defaults: Depends (libnss3, libgtk, libsecret…) and the after-install AppArmor profile', () => {
    const deb = (config.deb ?? {}) as Record<string, unknown>;
    expect(deb.depends).toBeUndefined();
    expect(deb.afterInstall).toBeUndefined();
    expect(deb.appArmorProfile).toBeUndefined();
    const src = readFileSync(require.resolve('app-builder-lib/out/targets/FpmTarget.js'), 'utf8');
    for (const lib of ['libnss3', 'libgtk-3-0', 'libsecret-1-0']) expect(src).toContain(`"${lib}"`);
    const afterInstall = readFileSync(
      require.resolve('app-builder-lib/templates/linux/after-install.tpl'),
      'utf8',
    );
    expect(afterInstall).toContain('/etc/apparmor.d/');
  });

  it('forces the native rebuild, checks the packaged ABI, and sets release fuses', () => {
    expect(config).toMatchObject({
      npmRebuild: true,
      beforeBuild: 'scripts/before-build.mjs',
      afterPack: 'scripts/after-pack.mjs',
      electronFuses: {
        runAsNode: false,
        enableNodeOptionsEnvironmentVariable: false,
        enableNodeCliInspectArguments: false,
        onlyLoadAppFromAsar: true,
        enableEmbeddedAsarIntegrityValidation: true,
        grantFileProtocolExtraPrivileges: false,
      },
    });
  });
});
