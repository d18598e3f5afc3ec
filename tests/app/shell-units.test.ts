/**
 * The desktop shell's pure parts, without Electron: launch flags, the per-data-dir keyring service, canonical
 * renderer URLs on both path conventions, the app scheme's file server, the recorded secret backend, the tray
 * state memo and the shell state holder.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyringServiceFor } from '../../src-main/agent/secrets/keyring-store.js';
import {
  createMemorySecretStore,
  SecretStoreUnavailableError,
  type SecretStore,
} from '../../src-main/agent/secrets/secret-store.js';
import { openEncryptedFileStore } from '../../src-main/agent/secrets/encrypted-file-store.js';
import { serveRendererFile } from '../../src-main/app/renderer-files.js';
import { parseLaunchOptions } from '../../src-main/app/launch-options.js';
import {
  openRecordedSecrets,
  readBackendRecord,
  type SafeStorageLike,
  type SecretBackendDeps,
} from '../../src-main/app/secret-backend.js';
import { isAppUrl, isPermissionAllowed, isTrustedSender } from '../../src-main/app/security-policy.js';
import { ShellStatus } from '../../src-main/app/shell-status.js';
import { TrayStateMemo, trayLines } from '../../src-main/app/tray-state.js';
import { unregisteredDeviceStatus } from '../helpers/device-status.js';

describe('launch flags', () => {
  it('reads --data-dir, --port, --secrets-file among Chromium switches and positionals', () => {
    expect(
      parseLaunchOptions(['/app', '--no-sandbox', '--data-dir', 'rel/dir', '--port=0', '--secrets-file'], {}),
    ).toEqual({
      dataDir: join(process.cwd(), 'rel/dir'),
      port: 0,
      secretsFile: true,
      allowInsecureSecretStorage: false,
    });
  });
  it('takes OUTPOST_USER_DATA when no flag says otherwise; a flag wins', () => {
    expect(parseLaunchOptions([], { OUTPOST_USER_DATA: '/tmp/x' }).dataDir).toBe('/tmp/x');
    expect(parseLaunchOptions(['--data-dir', '/tmp/y'], { OUTPOST_USER_DATA: '/tmp/x' }).dataDir).toBe(
      '/tmp/y',
    );
    expect(parseLaunchOptions([], {})).toEqual({
      dataDir: null,
      port: null,
      secretsFile: false,
      allowInsecureSecretStorage: false,
    });
  });
  it.each(['abc', '70000', '-1', '8787x', ''])('refuses --port %j without echoing it', (bad) => {
    expect(() => parseLaunchOptions(['--port', bad], {})).toThrow('--port must be a number from 0 to 65535');
  });
});

describe('keyring service per data dir', () => {
  it('keeps "outpost" for the default data dir and gives every other dir its own', () => {
    expect(keyringServiceFor(join(homedir(), '.outpost'))).toBe('outpost');
    expect(keyringServiceFor(join(homedir(), '.outpost') + '/')).toBe('outpost');
    const a = keyringServiceFor('/home/op/.config/Outpost');
    const b = keyringServiceFor('/home/op/.config/Outpost-2');
    expect(a).toMatch(/^outpost-[0-9a-f]{16}$/);
    expect(b).not.toBe(a);
    expect(keyringServiceFor('/home/op/.config/Outpost/')).toBe(a);
  });
  it('folds case on Windows (one dir, two spellings) but not elsewhere', () => {
    const win = (p: string) =>
      keyringServiceFor(p, { platform: 'win32', defaultDataDir: 'C:\\Users\\Op\\.outpost' });
    expect(win('c:\\users\\op\\.outpost')).toBe('outpost');
    expect(win('C:\\Users\\Op\\AppData\\Roaming\\Outpost')).toBe(win('c:/users/op/appdata/roaming/outpost'));
    expect(keyringServiceFor('/Data/A')).not.toBe(keyringServiceFor('/data/a'));
  });
});

describe('renderer URLs (canonical compare)', () => {
  const posixOrigin = { rendererIndex: '/opt/outpost/dist/renderer/index.html', devServerOrigin: null };
  const winOrigin = {
    rendererIndex:
      'c:\\Users\\op\\AppData\\Local\\Programs\\outpost\\resources\\app.asar\\dist\\renderer\\index.html',
    devServerOrigin: null,
    platform: 'win32' as const,
  };
  it('accepts the app scheme only on its own host', () => {
    expect(isAppUrl('outpost://app/index.html#/station', posixOrigin)).toBe(true);
    expect(isAppUrl('outpost://evil/index.html', posixOrigin)).toBe(false);
    expect(isAppUrl('outpost://user:pw@app/index.html', posixOrigin)).toBe(false);
  });
  it('on Windows, the drive letter and path case as Chromium reports them still match', () => {
    const chromium =
      'file:///C:/Users/op/AppData/Local/Programs/outpost/resources/app.asar/dist/renderer/index.html';
    expect(isAppUrl(chromium, winOrigin)).toBe(true);
    expect(
      isAppUrl(chromium.replace('/C:/', '/c:/').toUpperCase().replace('FILE:', 'file:'), winOrigin),
    ).toBe(true);
    expect(
      isAppUrl(
        'file:///C:/Users/op/AppData/Local/Programs/outpost/resources/app.asar/dist/x.html',
        winOrigin,
      ),
    ).toBe(false);
    expect(
      isAppUrl(
        'file:///D:/Users/op/AppData/Local/Programs/outpost/resources/app.asar/dist/renderer/index.html',
        winOrigin,
      ),
    ).toBe(false);
    // The IPC trust check goes through the same compare.
    expect(
      isTrustedSender({ sender: { id: 1 }, senderFrame: { url: chromium } }, new Set([1]), winOrigin),
    ).toBe(true);
  });
  it('on POSIX, case still matters (two different files)', () => {
    expect(isAppUrl('file:///opt/outpost/dist/renderer/index.html', posixOrigin)).toBe(true);
    expect(isAppUrl('file:///OPT/outpost/dist/renderer/index.html', posixOrigin)).toBe(false);
  });
  it('allows sanitized clipboard writes to our pages only', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', 'outpost://app/index.html', posixOrigin)).toBe(
      true,
    );
    expect(isPermissionAllowed('clipboard-sanitized-write', 'https://evil.example/', posixOrigin)).toBe(
      false,
    );
    expect(isPermissionAllowed('clipboard-sanitized-write', undefined, posixOrigin)).toBe(false);
    expect(isPermissionAllowed('clipboard-read', 'outpost://app/index.html', posixOrigin)).toBe(false);
    expect(isPermissionAllowed('notifications', 'outpost://app/index.html', posixOrigin)).toBe(false);
  });
});

describe('app scheme file server', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'outpost-scheme-'));
    mkdirSync(join(root, 'renderer/assets'), { recursive: true });
    writeFileSync(join(root, 'renderer/index.html'), '<p>ok</p>');
    writeFileSync(join(root, 'renderer/assets/a.js'), 'export {}');
    writeFileSync(join(root, 'secret.txt'), 'not for the page');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const get = (url: string, method = 'GET') =>
    serveRendererFile({ url, method }, join(root, 'renderer'), 'CSP!');

  it('serves files under the renderer dir with the CSP, type and nosniff headers', async () => {
    const res = await get('outpost://app/assets/a.js');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('export {}');
    expect(res.headers.get('content-security-policy')).toBe('CSP!');
    expect(res.headers.get('content-type')).toContain('text/javascript');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await get('outpost://app/')).status).toBe(200);
  });
  it.each([
    'outpost://app/%2e%2e/secret.txt',
    'outpost://app/..%2fsecret.txt',
    'outpost://app/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    'outpost://app/%00index.html',
    'outpost://app/%E0%A4%A',
    'outpost://other/index.html',
    'https://app/index.html',
  ])('refuses %s', async (url) => {
    const res = await get(url);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-security-policy')).toBe('CSP!');
  });
  it('refuses other methods', async () => {
    expect((await get('outpost://app/index.html', 'POST')).status).toBe(405);
  });
});

describe('recorded secret backend', () => {
  let dir: string;
  const cipher: SafeStorageLike = {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    encryptString: (s) => Buffer.from(s).reverse(),
    decryptString: (b) => Buffer.from(b).reverse().toString(),
  };
  const noKeyring = async (): Promise<SecretStore> => {
    throw new SecretStoreUnavailableError('OS keyring unavailable: no D-Bus session bus is reachable');
  };
  let keyrings: string[];
  const keyring = async (service: string) => {
    keyrings.push(service);
    return createMemorySecretStore();
  };
  const deps = (over: Partial<SecretBackendDeps>): SecretBackendDeps => ({
    dataDir: dir,
    secretsFileRequested: false,
    keyringService: 'outpost-test',
    allowBasicText: false,
    safeStorage: cipher,
    openKeyring: keyring,
    openEncryptedFile: () => openEncryptedFileStore(dir),
    ...over,
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-backend-'));
    keyrings = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('first launch: keyring when it answers, recorded with its service', async () => {
    const r = await openRecordedSecrets(deps({}));
    expect(r).toMatchObject({
      kind: 'opened',
      record: { backend: 'keyring', keyring_service: 'outpost-test' },
    });
    expect(readBackendRecord(dir)).toEqual({ backend: 'keyring', keyring_service: 'outpost-test' });
  });

  it('a keyring recorded once stays the keyring: locked later → unavailable, nothing else opened or written', async () => {
    await openRecordedSecrets(deps({}));
    const later = await openRecordedSecrets(deps({ openKeyring: noKeyring }));
    expect(later).toMatchObject({ kind: 'unavailable', backend: 'keyring' });
    expect(later.kind === 'unavailable' && later.message).toContain('will not move them');
    expect(readBackendRecord(dir)).toEqual({ backend: 'keyring', keyring_service: 'outpost-test' });
    expect(() => readFileSync(join(dir, 'secrets.safestorage.json'))).toThrow();
  });

  it('uses the recorded service name even when the naming rule would now say otherwise', async () => {
    await openRecordedSecrets(deps({ keyringService: 'outpost' }));
    await openRecordedSecrets(deps({ keyringService: 'outpost-new-rule' }));
    expect(keyrings).toEqual(['outpost', 'outpost']);
  });

  it('safeStorage chosen when no keyring; a later launch with the keyring back keeps safeStorage', async () => {
    const first = await openRecordedSecrets(deps({ openKeyring: noKeyring }));
    expect(first).toMatchObject({ kind: 'opened', record: { backend: 'safe-storage' } });
    if (first.kind === 'opened') await first.store.set('device_secret', 'ds_1');
    keyrings = [];
    const later = await openRecordedSecrets(deps({}));
    expect(later).toMatchObject({ kind: 'opened', record: { backend: 'safe-storage' } });
    expect(keyrings).toEqual([]);
    if (later.kind === 'opened') expect(await later.store.get('device_secret')).toBe('ds_1');
  });

  it('an unrecorded data dir in use (settings.json, no secrets file) is taken as the keyring it used', async () => {
    writeFileSync(join(dir, 'settings.json'), '{}');
    expect(await openRecordedSecrets(deps({ openKeyring: noKeyring }))).toMatchObject({
      kind: 'unavailable',
      backend: 'keyring',
    });
  });

  it('refuses basic_text without the opt-in, and --secrets-file on a keyring data dir', async () => {
    const basic = { ...cipher, getSelectedStorageBackend: () => 'basic_text' };
    const r = await openRecordedSecrets(
      deps({ openKeyring: noKeyring, safeStorage: basic, platform: 'linux' }),
    );
    expect(r).toMatchObject({ kind: 'refuse' });
    expect(readBackendRecord(dir)).toBeNull();
    await openRecordedSecrets(deps({}));
    expect(await openRecordedSecrets(deps({ secretsFileRequested: true }))).toMatchObject({ kind: 'refuse' });
  });

  it('--secrets-file on a fresh data dir records the encrypted file', async () => {
    expect(await openRecordedSecrets(deps({ secretsFileRequested: true }))).toMatchObject({
      kind: 'opened',
      record: { backend: 'encrypted-file' },
    });
    expect(await openRecordedSecrets(deps({ openKeyring: noKeyring }))).toMatchObject({ kind: 'opened' });
  });
});

describe('tray and shell state', () => {
  it('the tray starts from what was emitted before it existed', () => {
    const memo = new TrayStateMemo();
    memo.apply({
      type: 'device.status',
      data: { ...unregisteredDeviceStatus, registered: true, heartbeat: 'active' },
    });
    const seen: string[][] = [];
    memo.follow((s) => seen.push(trayLines(s)));
    expect(seen).toEqual([['Outpost — Registered', 'Heartbeat: Active ✓']]);
  });

  it('keeps the admin notice until dismissed, and tells listeners', () => {
    const status = new ShellStatus();
    const states: unknown[] = [];
    status.onChange((s) => states.push(s));
    status.setAdminNotice({ username: 'admin', password: 'p' });
    status.setStartup('failed', 'Embedded server did not start: port in use');
    expect(status.get()).toEqual({
      startup: { phase: 'failed', error: 'Embedded server did not start: port in use' },
      admin_notice: { username: 'admin', password: 'p' },
    });
    status.dismissAdminNotice();
    expect(status.get().admin_notice).toBeNull();
    expect(states).toHaveLength(3);
  });
});
