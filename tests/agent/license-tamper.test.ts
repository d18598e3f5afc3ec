/**
 * The forged-certificate attack, exactly as an attacker runs it: activate for real, then plant an own Ed25519 key
 * in license.json with a certificate re-signed to expire in 2099 (and the server URL pointed away). Neither the
 * offline nor the online status may say "active until 2099"; online, the server's genuine certificate wins and the
 * file is restored. Real server, real CLI processes, real files (secrets in the encrypted file store).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEvents } from '../../src-main/agent/events.js';
import { LicenseService } from '../../src-main/agent/license/license-service.js';
import { openSecretStore, SECRET_ACCOUNTS } from '../../src-main/agent/secrets/secret-store.js';
import { SettingsStore } from '../../src-main/agent/settings/settings.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { uniqueService } from './device-helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const root = join(import.meta.dirname, '..', '..');
const DAY = 86_400_000;

function agentCli(dataDir: string, args: string[]): Promise<Run> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/cli/agent.ts', '--data-dir', dataDir, '--secrets-file', ...args],
    {
      cwd: root,
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', OUTPOST_SERVER_URL: '' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function status(dataDir: string, offline: boolean) {
  const r = await agentCli(dataDir, ['--json', 'license', 'status', ...(offline ? ['--offline'] : [])]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    state: string;
    expires_at: string | null;
    days_left: number | null;
    message: string;
  };
}

/** What the attacker does to license.json: own key, certificate re-signed with it, expiry 2099. */
async function forge(dataDir: string, extra: Record<string, unknown> = {}): Promise<void> {
  const path = join(dataDir, 'license.json');
  const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const [header, payload] = String(file.certificate).split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  claims.expires_at = '2099-12-31T00:00:00.000Z';
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const forged = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(JSON.parse(Buffer.from(header!, 'base64url').toString()) as { alg: string })
    .sign(privateKey);
  writeFileSync(
    path,
    JSON.stringify(
      {
        ...file,
        ...extra,
        certificate: forged,
        expires_at: '2099-12-31T00:00:00.000Z',
        public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      },
      null,
      2,
    ),
  );
}

describe('forged license certificate (own key planted in license.json)', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let dataDir: string;
  let genuineExpiry: string;

  beforeAll(async () => {
    srv = await startTestServer();
    dataDir = mkdtempSync(join(tmpdir(), 'outpost-license-tamper-'));
    const gen = await srv.api(
      'POST',
      '/api/licenses/generate',
      { duration_days: 30 },
      { 'X-API-Key': srv.apiKey },
    );
    const key = gen.body.data.license_key as string;
    const act = await agentCli(dataDir, [
      '--server',
      srv.url,
      '--json',
      'license',
      'activate',
      '--key',
      key,
      '--email',
      'victim@example.com',
    ]);
    expect(act.code, act.stderr).toBe(0);
    genuineExpiry = (JSON.parse(act.stdout) as { expires_at: string }).expires_at;
    expect(Date.parse(genuineExpiry) - Date.now()).toBeLessThan(31 * DAY);
  });
  afterAll(async () => {
    await srv.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('offline: the forged certificate is detected as a modified file, not active until 2099', async () => {
    await forge(dataDir);
    const st = await status(dataDir, true);
    expect(st.state).toBe('invalid');
    expect(st.message).toContain('License file was modified');
    expect(st.expires_at).toBeNull();
    expect(JSON.stringify(st)).not.toContain('2099');
  });

  it('online: the server’s genuine certificate wins, the file is restored, and it says the file was modified', async () => {
    // The attacker also points the file at a server of their choosing: the pinned server is asked instead.
    await forge(dataDir, { server_url: 'http://127.0.0.1:9' });
    const st = await status(dataDir, false);
    expect(st.state).toBe('active');
    expect(st.expires_at).toBe(genuineExpiry);
    expect(st.message).toContain('License file was modified; restored from the server');
    const file = JSON.parse(readFileSync(join(dataDir, 'license.json'), 'utf8')) as Record<string, string>;
    const pk = (await srv.api('GET', '/api/licenses/public-key')).body.data as { public_key_pem: string };
    expect(file.public_key_pem).toBe(pk.public_key_pem);
    expect(file.expires_at).toBe(genuineExpiry);
    expect(file.server_url).toBe(srv.url);
    // Restored means trusted again offline, with the genuine expiry.
    const after = await status(dataDir, true);
    expect(after.state).toBe('active');
    expect(after.expires_at).toBe(genuineExpiry);
  });

  it('online with the server down: still modified (the forged file is never re-pinned as genuine)', async () => {
    await forge(dataDir);
    await srv.dispose({ keepData: true });
    try {
      const st = await status(dataDir, false);
      expect(st.state).toBe('invalid');
      expect(st.message).toContain('License file was modified');
      expect((await status(dataDir, true)).state).toBe('invalid');
    } finally {
      srv = await startTestServer({ dataDir: srv.dataDir });
    }
  });
});

describe('the pin in the real OS keyring (Secret Service)', () => {
  it('activation pins the key in the keyring; the forged file reads as modified; deactivation removes the pin', async () => {
    const srv = await startTestServer();
    const dataDir = mkdtempSync(join(tmpdir(), 'outpost-license-keyring-'));
    const secrets = await openSecretStore({ dataDir, service: uniqueService('license') });
    try {
      const make = () =>
        new LicenseService({
          dataDir,
          settings: SettingsStore.open(dataDir, { OUTPOST_SERVER_URL: srv.url }),
          events: new AgentEvents(),
          secrets,
          fingerprint: async () => 'a'.repeat(64),
          http: { retryBaseMs: 1 },
        });
      const gen = await srv.api(
        'POST',
        '/api/licenses/generate',
        { duration_days: 30 },
        { 'X-API-Key': srv.apiKey },
      );
      expect((await make().activate(gen.body.data.license_key as string, 'k@example.com')).state).toBe(
        'active',
      );
      const pin = JSON.parse((await secrets.get(SECRET_ACCOUNTS.licensePin))!) as { public_key_pem: string };
      const pk = (await srv.api('GET', '/api/licenses/public-key')).body.data as { public_key_pem: string };
      expect(pin.public_key_pem).toBe(pk.public_key_pem);
      await forge(dataDir);
      const st = await make().status();
      expect(st).toMatchObject({ state: 'invalid', expires_at: null });
      expect(st.message).toContain('License file was modified');
      await make().deactivate();
      expect(await secrets.get(SECRET_ACCOUNTS.licensePin)).toBeNull();
    } finally {
      await secrets.delete(SECRET_ACCOUNTS.licensePin);
      await srv.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
