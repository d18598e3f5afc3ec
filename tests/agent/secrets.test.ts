import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemorySecretStore,
  openSecretStore,
  SecretStoreCorruptError,
} from '../../src-main/agent/secrets/secret-store.js';
import { secretsFilePaths } from '../../src-main/agent/secrets/encrypted-file-store.js';
import { keyringUnavailable } from '../../src-main/agent/secrets/keyring-store.js';

const service = `outpost-test-secrets-${process.pid}-${randomBytes(3).toString('hex')}`;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'outpost-secrets-'));
  dirs.push(d);
  return d;
};

afterAll(async () => {
  const store = await openSecretStore({ dataDir: tmpdir(), service });
  for (const a of ['device_secret', 'profile_token:default', 'jwt']) await store.delete(a);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('keyring secret store (real Secret Service)', () => {
  it('stores, reads, overwrites and deletes a secret under a per-test service name', async () => {
    const store = await openSecretStore({ dataDir: tempDir(), service });
    expect(store.backend).toBe('keyring');
    expect(await store.get('device_secret')).toBeNull();
    await store.set('device_secret', 'first-value');
    await store.set('device_secret', 'second-value');
    const again = await openSecretStore({ dataDir: tempDir(), service });
    expect(await again.get('device_secret')).toBe('second-value');
    await store.delete('device_secret');
    expect(await again.get('device_secret')).toBeNull();
  });

  it('deleting an account that does not exist is not an error', async () => {
    const store = await openSecretStore({ dataDir: tempDir(), service });
    await expect(store.delete('jwt')).resolves.toBeUndefined();
  });

  it('keeps accounts apart (profile tokens vs device secret)', async () => {
    const store = await openSecretStore({ dataDir: tempDir(), service });
    await store.set('profile_token:default', 'tok-a');
    expect(await store.get('device_secret')).toBeNull();
    expect(await store.get('profile_token:default')).toBe('tok-a');
    await store.delete('profile_token:default');
  });

  it('with the session bus pointing nowhere, fails with one clear line and writes no plaintext', () => {
    const dataDir = tempDir();
    const res = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/open-keyring.ts'), dataDir],
      { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }, encoding: 'utf8' },
    );
    expect(res.status).toBe(3);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^SecretStoreUnavailableError: OS keyring unavailable: .*--secrets-file\.$/);
    expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe('keyring error mapping', () => {
  it.each([
    ["Couldn't access platform storage: AccessDenied", /access .* denied/],
    ['Platform failure: DBus error: Failed to connect to socket /x: No such file', /no D-Bus session bus/],
    [
      "Couldn't access platform storage: unlock prompt was dismissed",
      /locked and the unlock prompt was dismissed/,
    ],
    ["Couldn't access platform storage: Secret Service: no result found", /no unlocked default keyring/],
  ])('maps %s to one line', (raw, expected) => {
    const err = keyringUnavailable(new Error(raw));
    expect(err?.message).toMatch(expected);
    expect(err?.message).not.toContain('\n');
  });

  it('leaves unrelated errors alone', () => {
    expect(keyringUnavailable(new Error('Ambiguous: two matching credentials'))).toBeNull();
  });
});

describe('encrypted file store (--secrets-file)', () => {
  it('round-trips secrets across reopen, files are 0600 and hold no plaintext', async () => {
    const dataDir = tempDir();
    const store = await openSecretStore({ dataDir, secretsFile: true });
    expect(store.backend).toBe('encrypted-file');
    await store.set('device_secret', 'plain-device-secret-value');
    await store.set('jwt', 'plain-jwt-value');
    await store.delete('jwt');
    const reopened = await openSecretStore({ dataDir, secretsFile: true });
    expect(await reopened.get('device_secret')).toBe('plain-device-secret-value');
    expect(await reopened.get('jwt')).toBeNull();
    const { file, key } = secretsFilePaths(dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    for (const f of readdirSync(dataDir)) {
      expect(readFileSync(join(dataDir, f), 'utf8')).not.toContain('plain-device-secret-value');
    }
  });

  it('detects a tampered ciphertext byte', async () => {
    const dataDir = tempDir();
    const store = await openSecretStore({ dataDir, secretsFile: true });
    await store.set('device_secret', 'value-to-protect');
    const { file } = secretsFilePaths(dataDir);
    const env = JSON.parse(readFileSync(file, 'utf8')) as { data: string };
    const bytes = Buffer.from(env.data, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 0x01;
    writeFileSync(file, JSON.stringify({ ...env, data: bytes.toString('base64') }));
    await expect(openSecretStore({ dataDir, secretsFile: true })).rejects.toBeInstanceOf(
      SecretStoreCorruptError,
    );
  });

  it('detects a replaced key file and a truncated secrets file', async () => {
    const dataDir = tempDir();
    const store = await openSecretStore({ dataDir, secretsFile: true });
    await store.set('device_secret', 'value-to-protect');
    const { file, key } = secretsFilePaths(dataDir);
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.slice(0, original.length / 2));
    await expect(openSecretStore({ dataDir, secretsFile: true })).rejects.toThrow(
      /not valid|failed authentication/,
    );
    writeFileSync(file, original);
    writeFileSync(key, randomBytes(32).toString('base64'));
    await expect(openSecretStore({ dataDir, secretsFile: true })).rejects.toThrow(/failed authentication/);
  });
});

describe('memory store', () => {
  it('is only what you ask for: values live in the process', async () => {
    const store = createMemorySecretStore();
    expect(store.backend).toBe('memory');
    await store.set('jwt', 'x');
    expect(await store.get('jwt')).toBe('x');
    await store.delete('jwt');
    expect(await store.get('jwt')).toBeNull();
  });
});
