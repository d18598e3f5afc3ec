import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseSecretBackend, SafeStorageSecretStore } from '../../src-main/app/secret-backend.js';
import {
  appContentSecurityPolicy,
  EXTERNAL_HOSTS,
  isAllowedExternalUrl,
  isAppUrl,
} from '../../src-main/app/security-policy.js';
import { trayLines } from '../../src-main/app/tray-state.js';

describe('external URL allow-list (shell.openExternal)', () => {
  it('allows https on an allow-listed host', () => {
    expect(isAllowedExternalUrl('https://github.com/outpost/docs', EXTERNAL_HOSTS)).toBe(true);
  });

  it.each([
    ['http (not https)', 'http://github.com/'],
    ['file://', 'file:///etc/passwd'],
    ['javascript:', 'javascript:alert(1)'],
    ['a custom scheme', 'smb://github.com/share'],
    ['a host not on the list', 'https://evil.example/'],
    ['a look-alike host', 'https://github.com.evil.example/'],
    ['credentials in the URL', 'https://user:pw@github.com/'],
    ['garbage', 'not a url'],
  ])('refuses %s', (_name, url) => {
    expect(isAllowedExternalUrl(url, EXTERNAL_HOSTS)).toBe(false);
  });
});

describe('navigation allow-list (will-navigate)', () => {
  const origin = { rendererIndex: '/opt/outpost/dist/renderer/index.html', devServerOrigin: null };
  it('allows the renderer files and refuses anything else', () => {
    expect(isAppUrl('file:///opt/outpost/dist/renderer/index.html#/station', origin)).toBe(true);
    expect(isAppUrl('file:///opt/outpost/dist/renderer/assets/app.js', origin)).toBe(true);
    expect(isAppUrl('file:///opt/outpost/dist/renderer/../../package.json', origin)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', origin)).toBe(false);
    expect(isAppUrl('https://evil.example/', origin)).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/', origin)).toBe(false);
  });
});

describe('window and CSP defaults', () => {
  it('every window: context isolation, sandbox, no Node, web security, no webview, no auxclick (window.ts)', () => {
    const src = readFileSync(new URL('../../src-main/app/window.ts', import.meta.url), 'utf8');
    for (const flag of [
      'contextIsolation: true',
      'sandbox: true',
      'nodeIntegration: false',
      'nodeIntegrationInWorker: false',
      'nodeIntegrationInSubFrames: false',
      'webSecurity: true',
      'allowRunningInsecureContent: false',
      'webviewTag: false',
      "disableBlinkFeatures: 'Auxclick'",
    ]) {
      expect(src, flag).toContain(flag);
    }
    expect(src).not.toMatch(
      /nodeIntegration: true|contextIsolation: false|sandbox: false|webSecurity: false/,
    );
  });

  it('CSP allows only our own scripts, no inline, no eval, no framing', () => {
    const csp = appContentSecurityPolicy(null);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(appContentSecurityPolicy('http://127.0.0.1:5173')).toContain('ws://127.0.0.1:5173');
  });
});

describe('secret backend choice (safeStorage)', () => {
  const ss = (available: boolean, backend: string) => ({
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
  });
  it('prefers the OS keyring', () => {
    expect(
      chooseSecretBackend({
        keyringAvailable: true,
        safeStorage: ss(false, 'basic_text'),
        allowBasicText: false,
      }),
    ).toEqual({ kind: 'keyring' });
  });
  it('uses safeStorage with a real backend (gnome_libsecret, kwallet) when the keyring is out', () => {
    const c = chooseSecretBackend({
      keyringAvailable: false,
      safeStorage: ss(true, 'kwallet5'),
      allowBasicText: false,
      platform: 'linux',
    });
    expect(c).toEqual({ kind: 'safe-storage' });
  });
  it('refuses basic_text without opt-in, accepts it with a warning after opt-in', () => {
    const refused = chooseSecretBackend({
      keyringAvailable: false,
      safeStorage: ss(true, 'basic_text'),
      allowBasicText: false,
      platform: 'linux',
    });
    expect(refused.kind).toBe('refuse');
    const opted = chooseSecretBackend({
      keyringAvailable: false,
      safeStorage: ss(true, 'basic_text'),
      allowBasicText: true,
      platform: 'linux',
    });
    expect(opted.kind).toBe('safe-storage');
    expect(opted.kind === 'safe-storage' && opted.warning).toMatch(/basic_text/);
  });
  it('refuses when safeStorage cannot encrypt at all', () => {
    expect(
      chooseSecretBackend({
        keyringAvailable: false,
        safeStorage: ss(false, 'unknown'),
        allowBasicText: true,
      }).kind,
    ).toBe('refuse');
  });
});

describe('SafeStorageSecretStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'outpost-safe-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  // Stand-in for Electron's safeStorage cipher (reversed base64 + marker): enough to prove the file never holds plaintext.
  const cipher = {
    encryptString: (s: string) =>
      Buffer.from(`enc:${[...Buffer.from(s).toString('base64')].reverse().join('')}`),
    decryptString: (b: Buffer) =>
      Buffer.from([...b.toString().slice(4)].reverse().join(''), 'base64').toString(),
  };
  it('round-trips, deletes, and never writes a secret in plain text (file mode 0600)', async () => {
    const store = new SafeStorageSecretStore(dir, cipher);
    const secret = 'ds_plaintext_must_not_appear_0123456789';
    await store.set('device_secret', secret);
    expect(await store.get('device_secret')).toBe(secret);
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f), 'utf8')).not.toContain(secret);
    const { statSync } = await import('node:fs');
    expect(statSync(join(dir, 'secrets.safestorage.json')).mode & 0o777).toBe(0o600);
    await store.delete('device_secret');
    expect(await store.get('device_secret')).toBeNull();
  });
});

describe('tray state', () => {
  it('shows registration, heartbeat and online state', () => {
    expect(trayLines({ registered: true, heartbeat: 'active', online: true })).toEqual([
      'Outpost — Registered',
      'Heartbeat: Active ✓',
      'Server: online',
    ]);
    expect(trayLines({ registered: false, heartbeat: 'stopped', online: null })).toEqual([
      'Outpost — Not registered',
      'Heartbeat: stopped',
    ]);
  });
});
